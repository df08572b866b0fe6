// The dashboard's pages. Each renders into `main` from the JSON API and, for
// the live ones, keeps itself current from `dashboard.subscribe` snapshots
// (the same JSON as the route); it returns a cleanup that ends them.
/* global uPlot */
import { api, el, formatBytes, formatSeconds, live, sortableTable } from './app.js';
import { actorPage, actorsPage } from './actor-pages.js';
import { spacesPage } from './space-pages.js';
import { coordinationPage, jobsPage } from './coordination-pages.js';
import { pipelinesPage } from './pipeline-pages.js';

const SURFACES = ['http', 'ws', 'grpc'];
const COLORS = { http: '#2f6fde', ws: '#e07b00', grpc: '#1e8e3e' };

/** Subscribes `onSnapshot` to a page's figures; returns the cancel. */
export function subscribe(page, onSnapshot, args = {}) {
  const stream = live.request('dashboard.subscribe', { page, intervalMs: 1000, ...args }, { stream: true, onEvent: (event, data) => event === 'snapshot' && onSnapshot(data) });
  return () => stream.cancel();
}

const card = (label, testid, value, wide = false) => el('div', { class: wide ? 'card wide' : 'card' }, el('div', { class: 'label' }, label), el('div', { class: 'value', 'data-testid': testid }, value));

// ── Overview ────────────────────────────────────────────────────────────────

async function overviewPage(main) {
  const first = await api('/api/v1/dashboard/overview');
  const cards = el('div', { class: 'cards' });
  const nodes = sortableTable(
    [
      { key: 'id', label: 'node', cell: (n) => [n.id, n.self ? ' ' : '', n.self ? el('span', { class: 'badge' }, 'this node') : ''] },
      { key: 'version', label: 'version' },
      { key: 'workers', label: 'workers', num: true },
      { key: 'uptimeSeconds', label: 'uptime', num: true, cell: (n) => formatSeconds(n.uptimeSeconds) },
      { key: 'actors', label: 'actors', num: true },
      { key: 'cpuPercent', label: 'CPU', num: true, cell: (n) => (n.cpuPercent === null || n.cpuPercent === undefined ? '—' : `${n.cpuPercent} %`) },
      { key: 'rssBytes', label: 'memory (RSS)', num: true, cell: (n) => formatBytes(n.rssBytes) },
      { key: 'http', label: 'HTTP' },
    ],
    { testid: 'nodes', rowKey: (n) => n.id },
  );
  const charts = el('div', { class: 'charts' });
  const workers = sortableTable(
    [
      { key: 'worker', label: 'worker thread', num: true },
      { key: 'actors', label: 'actors', num: true },
      { key: 'queued', label: 'queued messages', num: true },
      { key: 'inFlight', label: 'asks in flight', num: true },
    ],
    { testid: 'workers', rowKey: (w) => String(w.worker) },
  );
  const workerSection = first.node.process === null ? [] : [el('h2', {}, 'Worker threads of this node'), workers.node];
  main.replaceChildren(el('h1', {}, 'Overview'), cards, el('h2', {}, 'Nodes'), nodes.node, ...workerSection, el('h2', {}, 'Load over the last minutes'), charts);
  // Seconds shown on the charts (the history the node keeps).
  const samples = [];
  let opsChart;
  let latencyChart;
  if (first.load === null) {
    charts.replaceWith(el('p', { class: 'note', 'data-testid': 'load-hidden' }, 'Load per surface is a node-wide figure: it needs the operator role (auth.operators).'));
  } else {
    const width = Math.max(480, Math.floor((main.clientWidth - 40) / 2));
    // Clock time on the x axis (uPlot's default for a span of seconds shows ":27.000").
    const clock = (_, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString('en-GB'));
    const time = { scales: { x: { time: true } }, axes: [{ values: clock, space: 70 }, { size: 60 }] };
    opsChart = new uPlot({ title: 'operations / s', width, height: 240, ...time, series: [{}, ...SURFACES.map((s) => ({ label: s, stroke: COLORS[s], width: 1.5 }))] }, [[], ...SURFACES.map(() => [])], el('div', { class: 'chart', 'data-testid': 'chart-ops' }));
    latencyChart = new uPlot(
      // Log scale: one slow deploy would flatten every other second's latency to zero on a linear one.
      { title: 'latency, ms, log scale (p50 solid, p99 dashed)', width, height: 240, ...time, scales: { x: { time: true }, y: { distr: 3 } }, series: [{}, ...SURFACES.flatMap((s) => [{ label: `${s} p50`, stroke: COLORS[s], width: 1.5, spanGaps: true }, { label: `${s} p99`, stroke: COLORS[s], dash: [6, 4], width: 1, spanGaps: true }])] },
      [[], ...SURFACES.flatMap(() => [[], []])],
      el('div', { class: 'chart', 'data-testid': 'chart-latency' }),
    );
    charts.append(opsChart.root.parentElement, latencyChart.root.parentElement);
  }
  function add(load) {
    for (const sample of load ?? []) {
      if (samples.length > 0 && sample.at <= samples.at(-1).at) continue;
      samples.push(sample);
    }
    if (samples.length > 300) samples.splice(0, samples.length - 300);
    if (opsChart === undefined) return;
    const xs = samples.map((s) => s.at / 1000);
    opsChart.setData([xs, ...SURFACES.map((surface) => samples.map((s) => s.surfaces[surface]?.ops ?? 0))]);
    latencyChart.setData([xs, ...SURFACES.flatMap((surface) => [samples.map((s) => s.surfaces[surface]?.p50Ms ?? null), samples.map((s) => s.surfaces[surface]?.p99Ms ?? null)])]);
  }
  function show(overview) {
    const n = overview.node;
    const p = n.process;
    cards.replaceChildren(
      card('node', 'node-id', n.id, true),
      card('version', 'node-version', n.version),
      card('uptime', 'node-uptime', formatSeconds(n.uptimeSeconds)),
      card('workers', 'node-workers', n.workers),
      card(overview.scope === 'node' ? 'actors' : 'your actors', 'node-actors', n.actors),
      card('CPU (of one core)', 'node-cpu', p === null ? '—' : p.cpuPercent === null ? '…' : `${p.cpuPercent} %`),
      card('memory (RSS)', 'node-rss', p === null ? '—' : formatBytes(p.rssBytes)),
      card('data', 'node-durable', n.durable ? 'durable' : 'in memory'),
    );
    // CPU, memory and actors of every node are an operator's figures (each node read with the same token).
    if (p !== null) workers.update(p.workerQueues);
    nodes.update(overview.nodes.map((node) => ({ ...node, ...(node.figures ?? { actors: null, cpuPercent: null, rssBytes: null }) })));
    add(overview.load);
  }
  show(first);
  return subscribe('overview', show);
}

// ── Shard groups ────────────────────────────────────────────────────────────

async function shardGroupsPage(main) {
  const list = el('div');
  main.replaceChildren(el('h1', {}, 'Shard groups'), list, el('p', { class: 'note' }, 'Each shard is an actor; its worker thread and node come from the runtime’s placement. Latencies: each shard’s answer time over its group’s last 20 gathers (scatter-gather, reduce, barrier, bulk update) made through the node’s surfaces.'));
  function show({ groups }) {
    if (groups.length === 0) {
      list.replaceChildren(el('p', { class: 'muted', 'data-testid': 'no-groups' }, 'No shard group on this node.'));
      return;
    }
    list.replaceChildren(
      ...groups.map((g) =>
        el(
          'section',
          { 'data-testid': 'group', 'data-group': `${g.tenant}/${g.namespace}/${g.id}` },
          el('h2', {}, `${g.tenant}/${g.namespace}/${g.id} `, el('span', { class: 'badge' }, g.partition), g.rebalancing ? el('span', { class: 'badge down' }, 'rebalancing') : ''),
          el(
            'table',
            {},
            el('thead', {}, el('tr', {}, ...[['shard', 1], ['actor'], ['worker', 1], ['node'], ['gathers', 1], ['last ms', 1], ['p50 ms', 1], ['max ms', 1], ['last']].map(([label, num]) => el('th', { class: num ? 'num' : undefined }, label)))),
            el('tbody', {}, ...g.shards.map((s) => el('tr', { 'data-row': String(s.shard) },
              el('td', { class: 'num' }, s.shard),
              el('td', {}, s.actor),
              el('td', { class: 'num' }, s.worker ?? '—'),
              el('td', {}, s.node ?? '—'),
              ...['gathers', 'lastMs', 'p50Ms', 'maxMs'].map((k) => el('td', { class: 'num', 'data-col': k }, s.recent?.[k] ?? '—')),
              el('td', {}, s.recent === null ? '—' : el('span', { class: s.recent.lastStatus === 'ok' ? 'badge' : 'badge down' }, s.recent.lastStatus))))),
          ),
        ),
      ),
    );
  }
  show(await api('/api/v1/dashboard/shard-groups'));
  return subscribe('shard-groups', show);
}

// ── Benchmarks ──────────────────────────────────────────────────────────────

async function benchmarksPage(main) {
  const { suites } = await api('/api/v1/dashboard/benchmarks');
  const number = (v) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : Number(v.toPrecision(3)).toLocaleString('en'));
  main.replaceChildren(
    el('h1', {}, 'Benchmarks'),
    el('p', { class: 'note' }, 'The committed results of plexspaces bench (native-bench/results/*.json), as measured on the machine named with each run.'),
    suites.length === 0 ? el('p', { class: 'muted', 'data-testid': 'no-benchmarks' }, 'No committed results next to this node (an installed package ships none).') : '',
    ...suites.map((suite) =>
      el(
        'section',
        { 'data-testid': 'suite', 'data-suite': suite.file },
        el('h2', {}, `${suite.file} `, el('span', { class: 'muted' }, `${suite.date} · Node ${suite.node} · ${suite.cpu}`)),
        throughputChart(suite),
        el(
          'table',
          {},
          el('thead', {}, el('tr', {}, el('th', {}, 'id'), el('th', { class: 'num' }, 'value'), el('th', {}, 'unit'), el('th', {}, 'baseline'), el('th', { class: 'num' }, 'ratio'), el('th', {}, 'target'), el('th', {}, 'check'))),
          el('tbody', {}, ...suite.results.map((r) => el('tr', { 'data-result': r.id }, el('td', {}, r.id), el('td', { class: 'num', 'data-col': 'value' }, number(r.value)), el('td', {}, r.unit), el('td', {}, r.baseline ?? ''), el('td', { class: 'num' }, r.ratio === undefined ? '' : `${r.ratio}×`), el('td', {}, r.target ?? ''), el('td', { class: 'muted', title: r.check ?? '' }, el('span', { class: 'clip' }, r.check ?? ''))))),
        ),
        suite.notes.length > 0 ? el('ul', { class: 'note' }, ...suite.notes.map((n) => el('li', {}, n))) : '',
      ),
    ),
  );
}

/** A bar chart (uPlot, log scale: the rows span orders of magnitude) of a suite's rates — the results whose unit is per second. */
function throughputChart(suite) {
  const rows = suite.results.filter((r) => r.unit.endsWith('/s') && r.value > 0);
  if (rows.length === 0) return '';
  const target = el('div', { class: 'chart', 'data-testid': 'bench-chart' });
  const xs = rows.map((_, i) => i);
  new uPlot(
    {
      title: `${suite.file}: rates (log scale)`,
      width: 1200,
      height: 360,
      scales: { x: { time: false, range: [-0.5, rows.length - 0.5] }, y: { distr: 3 } },
      axes: [
        { values: (_, ticks) => ticks.map((t) => (Number.isInteger(t) && rows[t] ? rows[t].id : '')), incrs: [1], rotate: -30, size: 130, gap: 4 },
        { size: 90, values: (_, ticks) => ticks.map((t) => (t === null || t === undefined ? '' : t.toLocaleString('en'))) },
      ],
      legend: { show: false },
      cursor: { show: false },
      series: [{}, { label: 'value', fill: 'rgba(47,111,222,0.55)', stroke: '#2f6fde', paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false } }],
    },
    [xs, rows.map((r) => r.value)],
    target,
  );
  return target;
}

export const PAGES = {
  overview: overviewPage,
  actors: actorsPage,
  actor: actorPage,
  spaces: spacesPage,
  'shard-groups': shardGroupsPage,
  coordination: coordinationPage,
  jobs: jobsPage,
  pipelines: pipelinesPage,
  benchmarks: benchmarksPage,
};
