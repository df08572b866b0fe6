// The Spaces page: every open space the token may see (live), a form that
// reads, takes, counts or writes with a template through the tuple-space
// routes, and a watch view over the websocket's `ts.watch`.
import { api, el, live, sortableTable } from './app.js';
import { subscribe } from './pages.js';

const OPERATIONS = ['take', 'read', 'count', 'write'];

export async function spacesPage(main) {
  const table = sortableTable(
    [
      { key: 'tenant', label: 'tenant' },
      { key: 'namespace', label: 'namespace' },
      { key: 'space', label: 'space' },
      { key: 'tuples', label: 'tuples', num: true },
      { key: 'waiters', label: 'waiters', num: true },
      { key: 'watchers', label: 'watchers', num: true },
      { key: 'leased', label: 'held (unacked)', num: true },
      { key: 'writesPerSecond', label: 'writes/s (1 min)', num: true },
      { key: 'takesPerSecond', label: 'takes/s (1 min)', num: true },
      { key: 'shapes', label: 'frequent templates', cell: (r) => r.shapes.map((s) => `${s.shape} ×${s.count}`).join('  ') || '—' },
    ],
    { testid: 'spaces', rowKey: (r) => `${r.tenant}/${r.namespace}/${r.space}` },
  );
  const filter = el('input', { type: 'search', placeholder: 'filter (any column)', oninput: (e) => table.setFilter(e.target.value) });
  const field = (name, value, attributes = {}) => el('input', { name, value, required: true, 'data-testid': `op-${name}`, ...attributes });
  const tenant = field('tenant', 'default');
  const namespace = field('namespace', 'default');
  const space = field('space', '');
  const operation = el('select', { name: 'operation', 'data-testid': 'op-operation' }, ...OPERATIONS.map((op) => el('option', { value: op }, op)));
  const tuple = el('textarea', { name: 'tuple', placeholder: '["order", null]', 'data-testid': 'op-tuple' });
  const result = el('pre', { 'data-testid': 'op-result' }, 'no operation yet');
  const form = el(
    'form',
    {
      class: 'op',
      'data-testid': 'op-form',
      onsubmit: async (event) => {
        event.preventDefault();
        const path = `/api/v1/tuplespace/${[tenant.value, namespace.value, space.value].map(encodeURIComponent).join('/')}/${operation.value}`;
        try {
          const parsed = JSON.parse(tuple.value);
          // A form never blocks: a read or take that finds nothing answers null at once.
          const body = operation.value === 'write' ? { tuple: parsed } : { template: parsed, ...(operation.value === 'count' ? {} : { timeoutMs: 0 }) };
          result.textContent = JSON.stringify(await api(path, { method: 'POST', body }), null, 2);
        } catch (error) {
          result.textContent = error.message;
        }
      },
    },
    el('label', {}, 'tenant', tenant),
    el('label', {}, 'namespace', namespace),
    el('label', {}, 'space', space),
    el('label', {}, 'operation', operation),
    el('label', {}, 'tuple (write) or template, JSON', tuple),
    el('button', { type: 'submit' }, 'Run'),
  );

  const watchTemplate = el('input', { placeholder: '["order", null]', required: true, 'data-testid': 'watch-template', size: 28 });
  const watchLog = el('pre', { class: 'watch-log', 'data-testid': 'watch-log' }, '');
  let watch;
  const stopWatch = () => {
    watch?.cancel();
    watch = undefined;
  };
  const watchForm = el(
    'form',
    {
      class: 'op',
      'data-testid': 'watch-form',
      onsubmit: (event) => {
        event.preventDefault();
        stopWatch();
        let template;
        try {
          template = JSON.parse(watchTemplate.value);
        } catch (error) {
          watchLog.textContent = `the template is not JSON: ${error.message}`;
          return;
        }
        watchLog.textContent = `watching ${tenant.value}/${namespace.value}/${space.value} for ${watchTemplate.value}\n`;
        watch = live.request('ts.watch', { space: space.value, template }, {
          scope: { tenant: tenant.value, namespace: namespace.value },
          onEvent: (kind, data) => {
            watchLog.textContent += `${new Date().toLocaleTimeString()} ${kind} ${JSON.stringify(data.tuple ?? data)}\n`;
          },
        });
        watch.done.catch((error) => (watchLog.textContent += `ended: ${error.message}\n`));
      },
    },
    el('label', {}, 'template (same tenant / namespace / space as above)', watchTemplate),
    el('button', { type: 'submit' }, 'Watch'),
    el('button', { type: 'button', onclick: stopWatch }, 'Stop'),
  );

  main.replaceChildren(
    el('h1', {}, 'Spaces'),
    el('p', {}, filter),
    table.node,
    el('p', { class: 'note' }, 'Rates and templates count what came through the node’s HTTP, websocket and gRPC surfaces (an actor’s own host calls are not counted). Click a row to fill the forms.'),
    el('h2', {}, 'Read, take, count or write'),
    form,
    result,
    el('h2', {}, 'Watch'),
    watchForm,
    watchLog,
  );
  table.node.addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-row]');
    if (row === null) return;
    const [t, n, ...s] = row.dataset.row.split('/');
    tenant.value = t;
    namespace.value = n;
    space.value = s.join('/');
  });
  const show = ({ spaces }) => table.update(spaces.map((r) => ({ tenant: r.tenant, namespace: r.namespace, space: r.space, ...(r.stats ?? {}), ...r.activity })));
  show(await api('/api/v1/dashboard/spaces'));
  const unsubscribe = subscribe('spaces', show);
  return () => {
    unsubscribe();
    stopWatch();
  };
}
