// The Coordination page (one tenant / namespace at a time: its queues and
// topics, process groups, key-value and blob usage, and a lock looked up by
// name) and the Jobs page (running jobs with their progress, cancellable).
import { api, el, errorBox, formatBytes, token } from './app.js';
import { subscribe } from './pages.js';

/** The token's tenant, read from its payload to prefill the form (the node checks the token; this is only a default). */
function tokenTenant() {
  const t = token();
  if (!t) return 'default';
  try {
    const payload = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.tenant === 'string' ? payload.tenant : 'default';
  } catch {
    return 'default';
  }
}

const table = (testid, headers, rows) =>
  el('table', { 'data-testid': testid }, el('thead', {}, el('tr', {}, ...headers.map(([label, num]) => el('th', { class: num ? 'num' : undefined }, label)))), el('tbody', {}, ...(rows.length === 0 ? [el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, 'none'))] : rows)));

export async function coordinationPage(main, [tenantParam, namespaceParam]) {
  const tenant = el('input', { value: tenantParam ?? tokenTenant(), required: true, 'data-testid': 'coord-tenant' });
  const namespace = el('input', { value: namespaceParam ?? 'default', required: true, 'data-testid': 'coord-namespace' });
  const figures = el('div');
  const lockName = el('input', { placeholder: 'lock name', required: true, 'data-testid': 'lock-name' });
  const lockResult = el('pre', { 'data-testid': 'lock-result' }, 'no lookup yet');
  main.replaceChildren(
    el('h1', {}, 'Coordination'),
    el('form', { class: 'op', onsubmit: (event) => {
      event.preventDefault();
      location.hash = `#/coordination/${encodeURIComponent(tenant.value)}/${encodeURIComponent(namespace.value)}`;
    } }, el('label', {}, 'tenant', tenant), el('label', {}, 'namespace', namespace), el('button', { type: 'submit' }, 'Show')),
    figures,
    el('h2', {}, 'Lock'),
    el('p', { class: 'note' }, 'Locks are looked up by name: the lock services keep no list of a namespace’s locks.'),
    el('form', { class: 'op', 'data-testid': 'lock-form', onsubmit: async (event) => {
      event.preventDefault();
      try {
        const answer = await api(`/api/v1/dashboard/coordination/${encodeURIComponent(tenant.value)}/${encodeURIComponent(namespace.value)}?lock=${encodeURIComponent(lockName.value)}`);
        const grant = answer.lock.grant;
        lockResult.textContent = grant === null ? `${answer.lock.name}: free` : `${answer.lock.name}: held by ${grant.holder}, version ${grant.version}, lease until ${new Date(grant.expiresAt).toISOString()}`;
      } catch (error) {
        lockResult.textContent = error.message;
      }
    } }, el('label', {}, 'name', lockName), el('button', { type: 'submit' }, 'Look up')),
    lockResult,
  );
  const path = `/api/v1/dashboard/coordination/${encodeURIComponent(tenant.value)}/${encodeURIComponent(namespace.value)}`;
  function show(c) {
    figures.replaceChildren(
      el('div', { class: 'cards' },
        el('div', { class: 'card' }, el('div', { class: 'label' }, 'KV keys'), el('div', { class: 'value', 'data-testid': 'kv-keys' }, c.kv.truncated ? `≥ ${c.kv.keys}` : c.kv.keys)),
        el('div', { class: 'card' }, el('div', { class: 'label' }, 'KV size (keys + values)'), el('div', { class: 'value', 'data-testid': 'kv-bytes' }, formatBytes(c.kv.bytes))),
        el('div', { class: 'card' }, el('div', { class: 'label' }, 'blobs'), el('div', { class: 'value', 'data-testid': 'blob-count' }, c.blobs.count)),
        el('div', { class: 'card' }, el('div', { class: 'label' }, 'blob bytes'), el('div', { class: 'value', 'data-testid': 'blob-bytes' }, formatBytes(c.blobs.bytes)))),
      el('h2', {}, 'Channels'),
      table('channels', [['name'], ['kind'], ['ready', true], ['in flight', true], ['dead letters', true], ['capacity', true], ['sent', true], ['acked', true]],
        c.channels.map((ch) => el('tr', { 'data-row': ch.name }, el('td', {}, ch.name), el('td', {}, ch.kind), ...['ready', 'inFlight', 'deadLetters', 'capacity', 'sent', 'acked'].map((k) => el('td', { class: 'num', 'data-col': k }, ch[k] ?? '—'))))),
      el('h2', {}, 'Process groups'),
      table('groups', [['group'], ['members', true], ['member ids']], c.groups.map((g) => el('tr', { 'data-row': g.name }, el('td', {}, g.name), el('td', { class: 'num', 'data-col': 'members' }, g.members.length), el('td', { class: 'muted' }, g.members.join(', '))))),
    );
  }
  try {
    show(await api(path));
  } catch (error) {
    figures.replaceChildren(errorBox(error));
    return undefined;
  }
  return subscribe('coordination', show, { tenant: tenant.value, namespace: namespace.value });
}

export async function jobsPage(main) {
  const list = el('div');
  main.replaceChildren(
    el('h1', {}, 'Jobs'),
    el('p', { class: 'note' }, 'Long computations running on this node (the websocket’s job.nbody), with their progress; Cancel stops one between two steps. A job is listed from its start to its end.'),
    list,
  );
  function show({ jobs }) {
    list.replaceChildren(
      table('jobs', [['kind'], ['tenant / namespace'], ['started'], ['parameters'], ['progress', true], ['energy', true], ['']],
        jobs.map((job) => el('tr', { 'data-row': job.id },
          el('td', {}, job.kind),
          el('td', {}, `${job.tenant}/${job.namespace}`),
          el('td', {}, new Date(job.startedAt).toLocaleTimeString('en-GB')),
          el('td', { class: 'muted' }, Object.entries(job.params).map(([k, v]) => `${k} ${v}`).join(', ')),
          el('td', { class: 'num', 'data-col': 'progress' }, job.steps === null ? 'starting' : `${job.step} / ${job.steps}`, ' ', el('progress', { max: job.steps ?? 1, value: job.step })),
          el('td', { class: 'num' }, job.energy === null ? '—' : job.energy.toPrecision(8)),
          el('td', {}, el('button', { type: 'button', 'data-testid': 'cancel-job', onclick: async (event) => {
            event.target.disabled = true;
            try {
              await api(`/api/v1/dashboard/jobs/${encodeURIComponent(job.id)}/cancel`, { method: 'POST' });
            } catch (error) {
              list.append(errorBox(error));
            }
          } }, 'Cancel'))))),
    );
  }
  show(await api('/api/v1/dashboard/jobs'));
  return subscribe('jobs', show);
}
