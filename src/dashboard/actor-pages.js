// The Actors page (a live, sortable, filterable table and each
// application's supervision tree) and the page of one actor (its state,
// recent crashes, facets, and a form that asks it a message).
import { api, el, errorBox, formatBytes, sortableTable } from './app.js';
import { subscribe } from './pages.js';

const actorHref = (a) => `#/actor/${[a.tenant, a.namespace, a.id].map(encodeURIComponent).join('/')}`;

export async function actorsPage(main) {
  const table = sortableTable(
    [
      { key: 'tenant', label: 'tenant' },
      { key: 'namespace', label: 'namespace' },
      { key: 'id', label: 'id', cell: (a) => el('a', { href: actorHref(a) }, a.id) },
      { key: 'application', label: 'application' },
      { key: 'module', label: 'module' },
      { key: 'worker', label: 'worker', num: true },
      { key: 'node', label: 'node' },
      { key: 'state', label: 'state' },
      { key: 'workerQueue', label: 'worker queue', num: true },
      { key: 'messages', label: 'messages', num: true },
      { key: 'rate', label: 'msgs/s', num: true },
      { key: 'memoryBytes', label: 'memory', num: true, cell: (a) => formatBytes(a.memoryBytes) },
      { key: 'restarts', label: 'restarts', num: true },
      { key: 'crashes', label: 'crashes', num: true },
    ],
    { testid: 'actors', rowKey: (a) => `${a.tenant}/${a.namespace}/${a.id}` },
  );
  const filter = el('input', { type: 'search', placeholder: 'filter (any column)', 'data-testid': 'actor-filter', oninput: (e) => table.setFilter(e.target.value) });
  const count = el('span', { class: 'muted', 'data-testid': 'actor-count' });
  const trees = el('div', { 'data-testid': 'supervision' });
  main.replaceChildren(
    el('h1', {}, 'Actors ', count),
    el('p', {}, filter),
    table.node,
    el('p', { class: 'note' }, 'messages: handled since the actor started, counted by its worker; msgs/s between two refreshes. memory: its linear memory (a shared memory counts whole for each actor on it). Worker queue: messages queued for the actor’s worker thread (the runtime keeps one queue per worker, not per actor).'),
    el('h2', {}, 'Applications and their supervision trees'),
    trees,
  );
  // msgs/s from two snapshots of the workers' message counts.
  let previous = new Map();
  let previousAt = 0;
  function show({ actors }) {
    const now = performance.now();
    const seconds = (now - previousAt) / 1000;
    const rows = actors.map((a) => {
      const key = `${a.tenant}/${a.namespace}/${a.id}`;
      const before = previous.get(key);
      return { ...a, rate: before === undefined || seconds <= 0 ? null : Math.round(((a.messages - before) / seconds) * 10) / 10 };
    });
    previous = new Map(actors.map((a) => [`${a.tenant}/${a.namespace}/${a.id}`, a.messages]));
    previousAt = now;
    count.textContent = `(${actors.length})`;
    table.update(rows);
  }
  show(await api('/api/v1/dashboard/actors'));
  const { applications } = await api('/api/v1/dashboard/applications');
  trees.replaceChildren(
    ...(applications.length === 0
      ? [el('p', { class: 'muted' }, 'No application deployed.')]
      : applications.map((app) =>
          el(
            'section',
            { 'data-testid': 'application', 'data-application': `${app.tenant}/${app.applicationId}` },
            el('h2', {}, `${app.tenant}/${app.applicationId} `, el('span', { class: 'badge' }, app.kind), el('span', { class: 'muted' }, ` ${app.name} ${app.version} · modules ${app.modules.join(', ')}`)),
            app.supervision === null ? el('p', { class: 'note' }, 'A module application: its actors start on their first message, with no supervisor.') : tree(app.supervision),
          ),
        )),
  );
  return subscribe('actors', show);
}

function tree(node) {
  return el(
    'ul',
    { class: 'tree' },
    el('li', {}, el('b', {}, 'supervisor'), ` ${node.status ?? ''}`),
    ...node.children.map((child) =>
      el('li', {}, `${child.id} (${child.kind}) `, el('span', { class: child.running ? 'badge' : 'badge down' }, child.running ? 'running' : 'stopped'), child.restarts > 0 ? ` restarts ${child.restarts}` : '', child.children ? tree({ children: child.children }) : ''),
    ),
  );
}

export async function actorPage(main, [tenant, namespace, ...rest]) {
  const id = rest.join('/');
  const path = `/api/v1/dashboard/actors/${[tenant, namespace, id].map(encodeURIComponent).join('/')}`;
  const details = el('div');
  const reply = el('pre', { 'data-testid': 'ask-reply' }, 'no reply yet');
  const type = el('input', { name: 'message_type', value: 'get', required: true, 'data-testid': 'ask-type' });
  const payload = el('textarea', { name: 'payload', placeholder: 'JSON payload (empty: none)', 'data-testid': 'ask-payload' });
  const form = el(
    'form',
    {
      class: 'op',
      'data-testid': 'ask-form',
      onsubmit: async (event) => {
        event.preventDefault();
        reply.textContent = 'asking…';
        try {
          const text = payload.value.trim();
          const body = { tenant, namespace, message_type: type.value, ...(text === '' ? {} : { payload: JSON.parse(text) }) };
          const answer = await api(`/api/v1/actors/${encodeURIComponent(id)}/ask`, { method: 'POST', body });
          reply.textContent = JSON.stringify(answer, null, 2);
          await refresh();
        } catch (error) {
          reply.textContent = `${error.message}`;
        }
      },
    },
    el('label', {}, 'message type', type),
    el('label', {}, 'payload', payload),
    el('button', { type: 'submit' }, 'Ask'),
  );
  main.replaceChildren(el('h1', {}, `Actor ${tenant}/${namespace}/${id}`), details, el('h2', {}, 'Ask it a message'), form, reply);
  async function refresh() {
    let actor;
    try {
      actor = await api(path);
    } catch (error) {
      details.replaceChildren(errorBox(error));
      return;
    }
    const a = actor.actor;
    const state = actor.state === null ? 'its module keeps no state it can snapshot' : 'error' in actor.state ? `could not read it: ${actor.state.error}` : actor.state.text ?? `${actor.state.bytes} bytes of binary state`;
    details.replaceChildren(
      el('table', {}, el('tbody', {}, ...[['application', a.application ?? '—'], ['module', a.module], ['worker', a.worker], ['node', a.node], ['state', a.state], ['restarts', a.restarts], ['crashes', a.crashes]].map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', { 'data-field': k }, v))))),
      el('h2', {}, 'State (get-state)'),
      el('pre', { 'data-testid': 'actor-state' }, state),
      el('h2', {}, 'Facets'),
      el('p', { 'data-testid': 'actor-facets' }, actor.facets.intercepted ? 'Messages pass through its facets.' : 'No facet: messages go straight to the actor.', actor.facets.metrics ? ` metrics: ${actor.facets.metrics.messages} messages, ${actor.facets.metrics.failures} failures, max ${actor.facets.metrics.maxMs.toFixed(2)} ms.` : ''),
      el('h2', {}, 'Recent crashes'),
      actor.crashes.length === 0 ? el('p', { class: 'muted', 'data-testid': 'actor-crashes' }, 'none since the node started') : el('ul', { 'data-testid': 'actor-crashes' }, ...actor.crashes.map((c) => el('li', {}, `${c.at} ${c.code}: ${c.message}`))),
    );
  }
  await refresh();
}
