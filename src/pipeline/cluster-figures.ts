import type { PipelineFigures, PipelineState } from './pipeline.js';
import type { StageFigures, StageState } from './stage-metrics.js';

/**
 * One pipeline's figures across the nodes of a cluster that run it on a
 * shared space (docs/pipelines.md, "Across nodes"): each node's own figures
 * as it last published them, and the stages merged.
 */
export interface ClusterPipelineFigures {
  readonly name: string;
  readonly space: string;
  /** `unknown` when no node has published for STALE_MS (they stopped or died). */
  readonly state: PipelineState | 'unknown';
  /** The first failure a live node reports. */
  readonly error?: PipelineFigures['error'];
  /** Merged per stage: see mergeStage. */
  readonly stages: readonly ClusterStageFigures[];
  /** Each node that ran it, this one included, freshest figures first. */
  readonly nodes: readonly NodePipelineFigures[];
}

export interface ClusterStageFigures extends Omit<StageFigures, 'state'> {
  readonly state: StageState | 'unknown';
  /** Nodes whose figures are live and run this stage. */
  readonly nodes: number;
}

export interface NodePipelineFigures {
  readonly node: string;
  /** When the node published them (Redis's clock), ISO 8601. */
  readonly at: string;
  /** Older than STALE_MS: the node stopped publishing (it died, or lost Redis); only its totals count. */
  readonly stale: boolean;
  readonly figures: PipelineFigures;
}

/** A node publishes every second; figures older than this are a node that is gone. */
export const STALE_MS = 5000;

/**
 * Merges nodes' figures of one pipeline. Totals since start (taken, done,
 * written, failures, returned, restarts) add up over every node, stale ones
 * included: that work happened. What describes now (instances, backlog and
 * its limit, in flight, rates) adds up over live nodes only. Latency
 * percentiles cannot be merged from percentiles: the stage shows the
 * slowest live node's p50 and p99 (an upper bound of the cluster's).
 */
export function mergeNodeFigures(name: string, entries: readonly NodePipelineFigures[]): ClusterPipelineFigures {
  const nodes = [...entries].sort((a, b) => Number(a.stale) - Number(b.stale) || b.at.localeCompare(a.at));
  const live = nodes.filter((n) => !n.stale);
  const stageNames: string[] = [];
  for (const n of nodes) for (const s of n.figures.stages) if (!stageNames.includes(s.stage)) stageNames.push(s.stage);
  const failed = live.find((n) => n.figures.state === 'failed');
  return {
    name,
    space: nodes[0]?.figures.space ?? '',
    state: mergeState(live.map((n) => n.figures.state)),
    ...(failed?.figures.error === undefined ? {} : { error: failed.figures.error }),
    stages: stageNames.map((stage) => mergeStage(stage, nodes)),
    nodes,
  };
}

function mergeStage(stage: string, nodes: readonly NodePipelineFigures[]): ClusterStageFigures {
  const all = nodes.flatMap((n) => n.figures.stages.filter((s) => s.stage === stage).map((s) => ({ s, live: !n.stale })));
  const live = all.filter((x) => x.live).map((x) => x.s);
  const total = (field: 'taken' | 'done' | 'written' | 'failures' | 'returned' | 'restarts') => all.reduce((sum, x) => sum + x.s[field], 0);
  const now = (field: 'instances' | 'backlog' | 'maxBacklog' | 'inFlight' | 'inPerSecond' | 'outPerSecond') => live.reduce((sum, s) => sum + s[field], 0);
  const slowest = (field: 'latencyP50Ms' | 'latencyP99Ms') => live.reduce((max, s) => (s.done > 0 ? Math.max(max, s[field]) : max), 0);
  return {
    stage,
    instances: now('instances'),
    taken: total('taken'),
    done: total('done'),
    written: total('written'),
    failures: total('failures'),
    returned: total('returned'),
    restarts: total('restarts'),
    backlog: now('backlog'),
    maxBacklog: now('maxBacklog'),
    inFlight: now('inFlight'),
    inPerSecond: now('inPerSecond'),
    outPerSecond: now('outPerSecond'),
    latencyP50Ms: slowest('latencyP50Ms'),
    latencyP99Ms: slowest('latencyP99Ms'),
    state: mergeState(live.map((s) => s.state)) as StageState | 'unknown',
    nodes: live.length,
  };
}

/** A failure anywhere shows; otherwise it runs while any node runs it (draining while none runs and one drains), then finished when one finished, else stopped. */
function mergeState<S extends string>(states: readonly S[]): S | 'unknown' {
  if (states.length === 0) return 'unknown';
  for (const first of ['failed', 'running', 'draining', 'finished'] as const) if (states.includes(first as unknown as S)) return first as unknown as S;
  return states[0];
}
