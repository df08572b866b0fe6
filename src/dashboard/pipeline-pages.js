// The Pipelines page: every dataflow pipeline the viewer may see (docs/pipelines.md), one table of
// stages each, live from `dashboard.subscribe` `pipelines` snapshots — rates, backlog against its
// bound, latency, failures and restarts per stage.
import { api, el, sortableTable } from './app.js';
import { subscribe } from './pages.js';

const rate = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-GB') : n.toFixed(1));

export async function pipelinesPage(main) {
  const list = el('div');
  main.replaceChildren(
    el('h1', {}, 'Pipelines'),
    el('p', { class: 'note' }, 'Dataflow pipelines on this node: each stage takes its tuples crash-safe and acks them with its outputs in one step. Backlog is what waits for a stage in its space plus what it holds; upstream waits at the bound. A pipeline on a space the cluster shares shows every node that runs it: totals summed, rates and backlog of the live nodes, latency of the slowest.'),
    list,
  );
  const tables = new Map();
  function show({ pipelines }) {
    if (pipelines.length === 0) {
      tables.clear();
      list.replaceChildren(el('p', { class: 'muted', 'data-testid': 'no-pipelines' }, 'No pipeline runs here (start one with node.pipelines.start, POST /api/v1/pipelines/…, or [[pipeline]] in a manifest).'));
      return;
    }
    const sections = [];
    for (const p of pipelines) {
      const key = `${p.tenant}/${p.namespace}/${p.name}`;
      let entry = tables.get(key);
      if (entry === undefined) {
        const table = sortableTable(
          [
            { key: 'stage', label: 'stage' },
            { key: 'state', label: 'state' },
            { key: 'instances', label: 'instances', num: true },
            { key: 'inPerSecond', label: 'in / s', num: true, cell: (s) => rate(s.inPerSecond) },
            { key: 'outPerSecond', label: 'out / s', num: true, cell: (s) => rate(s.outPerSecond) },
            { key: 'backlog', label: 'backlog', num: true, cell: (s) => [`${s.backlog} / ${s.maxBacklog} `, el('meter', { min: 0, max: s.maxBacklog, value: s.backlog })] },
            { key: 'done', label: 'done', num: true },
            { key: 'latencyP50Ms', label: 'p50 ms', num: true },
            { key: 'latencyP99Ms', label: 'p99 ms', num: true },
            { key: 'failures', label: 'failures', num: true },
            { key: 'restarts', label: 'restarts', num: true },
            { key: 'nodes', label: 'nodes', num: true, cell: (s) => (s.nodes === undefined ? '—' : String(s.nodes)) },
          ],
          { testid: `pipeline-${key}`, rowKey: (s) => s.stage },
        );
        entry = { table, heading: el('h2', {}), note: el('p', { class: 'note' }) };
        tables.set(key, entry);
      }
      // A pipeline on a shared space shows the cluster's figures: every node that runs it, merged.
      const cluster = p.cluster !== undefined && p.cluster.error === undefined ? p.cluster : undefined;
      entry.heading.textContent = `${key} — ${cluster?.state ?? p.state}`;
      const where = cluster === undefined ? '' : ` · across ${cluster.nodes.filter((n) => !n.stale).length} live node(s): ${cluster.nodes.map((n) => `${n.node} ${n.stale ? 'stale' : n.state}`).join(', ')}`;
      const backend = p.cluster?.error === undefined ? '' : ` · cluster figures unavailable (${p.cluster.error}): this node's only`;
      entry.note.textContent = p.error ? `${p.error.code}: ${p.error.message}` : `space ${p.space}${where}${backend}`;
      entry.table.update(cluster?.stages ?? p.stages);
      sections.push(entry.heading, entry.note, entry.table.node);
    }
    list.replaceChildren(...sections);
  }
  show(await api('/api/v1/dashboard/pipelines'));
  return subscribe('pipelines', show);
}
