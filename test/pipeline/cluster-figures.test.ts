import { describe, expect, it } from 'vitest';
import { mergeNodeFigures, type NodePipelineFigures } from '../../src/pipeline/cluster-figures.js';
import type { PipelineFigures } from '../../src/pipeline/pipeline.js';
import type { StageFigures } from '../../src/pipeline/stage-metrics.js';

// The merge of nodes' figures of one pipeline, field by field: which fields add up over every
// node, which over live ones only, and how the states combine.

function stage(name: string, n: number, state: StageFigures['state'] = 'running'): StageFigures {
  return { stage: name, instances: n, taken: 10 * n, done: 9 * n, written: 8 * n, failures: n, returned: n, restarts: n, backlog: 2 * n, maxBacklog: 16, inFlight: n, inPerSecond: 100 * n, outPerSecond: 90 * n, latencyP50Ms: n, latencyP99Ms: 3 * n, state };
}

function node(id: string, n: number, options: { stale?: boolean; state?: PipelineFigures['state']; stageState?: StageFigures['state'] } = {}): NodePipelineFigures {
  const state = options.state ?? 'running';
  return {
    node: id,
    at: new Date(1_000_000 + n).toISOString(),
    stale: options.stale ?? false,
    figures: { name: 'p', space: 'acme/jobs/work', state, ...(state === 'failed' ? { error: { code: 'PLEX_ERR_X', message: `on ${id}`, stage: 'a' } } : {}), stages: [stage('a', n, options.stageState), stage('b', n, options.stageState)] },
  };
}

describe('merging a pipeline’s figures from several nodes', () => {
  it('sums totals over every node, what describes now over live nodes, and takes the slowest live latency', () => {
    const merged = mergeNodeFigures('p', [node('x', 1), node('y', 2), node('dead', 4, { stale: true })]);
    expect(merged.stages.map((s) => s.stage)).toEqual(['a', 'b']);
    expect(merged.stages[0]).toEqual({
      stage: 'a',
      instances: 3,
      taken: 70,
      done: 63,
      written: 56,
      failures: 7,
      returned: 7,
      restarts: 7,
      backlog: 6,
      maxBacklog: 32,
      inFlight: 3,
      inPerSecond: 300,
      outPerSecond: 270,
      latencyP50Ms: 2,
      latencyP99Ms: 6,
      state: 'running',
      nodes: 2,
    });
    // Live nodes first, the freshest first.
    expect(merged.nodes.map((n) => n.node)).toEqual(['y', 'x', 'dead']);
  });

  it('combines states: a live failure shows, then running, then finished; no live node is unknown', () => {
    expect(mergeNodeFigures('p', [node('x', 1, { state: 'finished', stageState: 'finished' }), node('y', 1)]).state).toBe('running');
    const failed = mergeNodeFigures('p', [node('x', 1, { state: 'failed' }), node('y', 1)]);
    expect([failed.state, failed.error?.message]).toEqual(['failed', 'on x']);
    const done = mergeNodeFigures('p', [node('x', 1, { state: 'finished', stageState: 'finished' }), node('y', 1, { state: 'stopped', stageState: 'stopped' })]);
    expect([done.state, done.stages[0].state]).toEqual(['finished', 'finished']);
    // A stale node's failure is not the pipeline's now; with no live node the state is unknown.
    const gone = mergeNodeFigures('p', [node('x', 1, { stale: true, state: 'failed' })]);
    expect([gone.state, gone.error, gone.stages[0].state, gone.stages[0].nodes, gone.stages[0].done]).toEqual(['unknown', undefined, 'unknown', 0, 9]);
  });
});
