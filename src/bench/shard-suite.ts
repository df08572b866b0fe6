import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { buildActor } from '../sdk/build-actor.js';
import { ShardGroup } from '../shard/shard-group.js';
import { linkBaselines, microseconds, newReport, percentile, round, type BenchReport, type BenchResult } from './report.js';
import { piscinaBaseline } from './piscina-baseline.js';
import type { SuiteOptions } from './tuplespace-suite.js';

/**
 * `plexspaces bench shard`: a 20-shard group of the SDK key-value shard
 * (examples/actors/kv-shard.ts, QuickJS components) on 2 workers, with
 * piscina running the same tiny work in the same run.
 */
export async function runShardSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('shard', quick);
  const shards = 20;
  const workers = 2;
  report.notes.push(
    `${shards} shards of examples/actors/kv-shard.ts (QuickJS components, JSON messages) on ${workers} worker threads.`,
    'Shards are JSON-speaking components; a binary core-module shard protocol is not in yet, which bounds the per-message cost.',
  );
  log('building the kv-shard actor…');
  const { component } = await buildActor(fileURLToPath(new URL('../../examples/actors/kv-shard.ts', import.meta.url)));
  const runtime = new ActorRuntime({ workers });
  try {
    await runtime.deploy('kv-shard', component);
    const group = await ShardGroup.create(runtime, { id: 'bench', module: 'kv-shard', shards });
    log('bulkUpdate of 10,000 keys…');
    report.results.push(...(await bulkUpdate(group, quick)));
    log('scatter-gather latency…');
    report.results.push(...(await scatterGather(group, shards, quick)));
    log('tiny tasks through map…');
    report.results.push(await mapTasks(group, quick));
    await group.delete();
  } finally {
    await runtime.close();
  }
  log('piscina baseline…');
  report.results.push(...(await piscinaBaseline(workers, quick)));
  linkBaselines(report);
  return report;
}

async function bulkUpdate(group: ShardGroup, quick: boolean): Promise<BenchResult[]> {
  const keys = 10_000;
  const rounds = quick ? 5 : 20;
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const entries = Array.from({ length: keys }, (_, i) => [`key-${i}`, r * keys + i] as const);
    const t0 = performance.now();
    const result = await group.bulkUpdate(entries, { consistency: 'all', deadlineMs: 30_000 });
    samples.push(performance.now() - t0);
    if (!result.shards.every((s) => s.status === 'ok')) throw new Error('a bulkUpdate batch failed');
  }
  const stats = await group.reduce('stats', {}, { op: 'sum', path: 'count' });
  samples.sort((a, b) => a - b);
  const p50 = percentile(samples, 0.5);
  const check = `shards hold ${String(stats.value)}/${keys} keys after ${rounds} rounds`;
  return [
    { id: 'bulk-update.10k-keys.20-shards.p50', value: round(p50, 2), unit: 'ms', check },
    { id: 'bulk-update.keys-per-second', value: Math.round((keys * 1000) / p50), unit: 'keys/s', check },
  ];
}

async function scatterGather(group: ShardGroup, shards: number, quick: boolean): Promise<BenchResult[]> {
  const samples: number[] = [];
  let wrong = 0;
  for (let i = 0; i < (quick ? 200 : 1000); i++) {
    const t0 = performance.now();
    const result = await group.scatterGather('barrier', { round: i }, { aggregate: 'majority', deadlineMs: 5000 });
    samples.push(performance.now() - t0);
    if ((result.value as { round: number } | undefined)?.round !== i || !result.satisfied) wrong++;
  }
  samples.sort((a, b) => a - b);
  const check = `${wrong} gathers without a unanimous round over ${samples.length}`;
  const p50 = percentile(samples, 0.5);
  return [
    { id: 'scatter-gather.20-shards.p50', value: microseconds(p50), unit: 'µs', check },
    { id: 'scatter-gather.20-shards.p99', value: microseconds(percentile(samples, 0.99)), unit: 'µs', check },
    { id: 'scatter-gather.per-shard.p50', value: microseconds(p50 / shards), unit: 'µs', check, target: '≤ 20' },
  ];
}

/** Tiny tasks: each `map` round gives every shard one task (a barrier echo). */
async function mapTasks(group: ShardGroup, quick: boolean): Promise<BenchResult> {
  const rounds = quick ? 200 : 1000;
  const inFlight = 8;
  let tasks = 0;
  let wrong = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r += inFlight) {
    const batch = await Promise.all(Array.from({ length: inFlight }, (_, k) => group.map('barrier', { round: r + k }, { deadlineMs: 10_000 })));
    for (const results of batch) {
      for (const result of results) {
        tasks++;
        if (result.status !== 'ok') wrong++;
      }
    }
  }
  const rate = (tasks * 1000) / (performance.now() - t0);
  return { id: 'map.tiny-tasks', value: Math.round(rate), unit: 'tasks/s', baseline: 'tasks.piscina.2-threads', check: `${wrong} failed of ${tasks}`, target: '≥ 100000' };
}
