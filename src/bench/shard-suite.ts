import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { buildActor } from '../sdk/build-actor.js';
import { consistentHashPartitioner } from '../shard/partitioner.js';
import { ShardGroup } from '../shard/shard-group.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { collatzSteps } from './collatz.js';
import { linkBaselines, microseconds, newReport, percentile, round, type BenchReport, type BenchResult } from './report.js';
import type { SuiteOptions } from './tuplespace-suite.js';

const SHARDS = 20;
const WORKERS = 2;

/**
 * `plexspaces bench shard`, 20 shards on 2 worker threads:
 * - core-module shards (src/wasm/actors/task-shard.ts, bytes codec):
 *   scatter-gather latency per shard and tiny tasks through `mapItems`,
 *   with piscina running the same tasks in the same run (one task per
 *   `run`, and the same chunks per `run`);
 * - SDK shards (examples/actors/kv-shard.ts, QuickJS components, JSON):
 *   bulkUpdate of 10,000 keys, scatter-gather latency, and `scale` 20 → 21
 *   with the keys moved.
 */
export async function runShardSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('shard', quick);
  report.notes.push(
    `${SHARDS} shards on ${WORKERS} worker threads. "core" rows: src/wasm/actors/task-shard.ts (AssemblyScript, binary messages); "sdk" rows: examples/actors/kv-shard.ts (QuickJS component, JSON messages).`,
    'The tiny task is the Collatz step count of 1…N (src/bench/collatz.ts is the oracle every result is checked against).',
  );
  const runtime = new ActorRuntime({ workers: WORKERS });
  try {
    await runtime.deploy('task-shard', builtActorWasm('task-shard'));
    const core = await ShardGroup.create(runtime, { id: 'bench-core', module: 'task-shard', shards: SHARDS, codec: 'bytes', stateless: true });
    log('core shards: scatter-gather latency…');
    report.results.push(...(await coreScatterGather(core, quick)));
    log('core shards: tiny tasks through mapItems…');
    report.results.push(...(await coreTasks(core, quick)));
    await core.delete();

    log('building the kv-shard actor…');
    const { component } = await buildActor(fileURLToPath(new URL('../../examples/actors/kv-shard.ts', import.meta.url)));
    await runtime.deploy('kv-shard', component);
    const sdk = await ShardGroup.create(runtime, { id: 'bench-sdk', module: 'kv-shard', shards: SHARDS });
    log('sdk shards: bulkUpdate of 10,000 keys…');
    report.results.push(...(await bulkUpdate(sdk, quick)));
    log('sdk shards: scatter-gather latency…');
    report.results.push(...(await sdkScatterGather(sdk, quick)));
    log('sdk shards: scale 20 → 21…');
    report.results.push(...(await scaleUp(sdk)));
    await sdk.delete();
  } finally {
    await runtime.close();
  }
  log('piscina baselines…');
  report.results.push(...(await piscinaTasks(quick)));
  linkBaselines(report);
  return report;
}

function roundBytes(round: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, round, true);
  return bytes;
}

async function coreScatterGather(group: ShardGroup, quick: boolean): Promise<BenchResult[]> {
  const samples: number[] = [];
  let wrong = 0;
  const rounds = quick ? 500 : 5000;
  for (let i = 0; i < rounds + 200; i++) {
    const t0 = performance.now();
    const result = await group.scatterGather('barrier', roundBytes(i), { aggregate: 'concat' });
    const elapsed = performance.now() - t0;
    if (i >= 200) samples.push(elapsed); // the first 200 warm up
    const answers = result.value as Uint8Array[];
    if (!result.satisfied || answers.length !== SHARDS || answers.some((a) => a.byteLength !== 4 || new DataView(a.buffer, a.byteOffset, 4).getUint32(0, true) !== i)) wrong++;
  }
  samples.sort((a, b) => a - b);
  const check = `${wrong} of ${rounds + 200} gathers without every shard echoing its round`;
  const p50 = percentile(samples, 0.5);
  return [
    { id: 'scatter-gather.core.20-shards.p50', value: microseconds(p50), unit: 'µs', check },
    { id: 'scatter-gather.core.20-shards.p99', value: microseconds(percentile(samples, 0.99)), unit: 'µs', check },
    { id: 'scatter-gather.core.per-shard.p50', value: microseconds(p50 / SHARDS), unit: 'µs', check, target: '≤ 20' },
  ];
}

async function coreTasks(group: ShardGroup, quick: boolean): Promise<BenchResult[]> {
  const n = quick ? 100_000 : 1_000_000;
  const items = Int32Array.from({ length: n }, (_, i) => i + 1);
  const expected = Int32Array.from(items, collatzSteps);
  const chunkSize = 1000;
  await group.mapItems('collatz', items.subarray(0, 20_000), { chunkSize }); // warm up
  const t0 = performance.now();
  const mapped = await group.mapItems('collatz', items, { chunkSize, deadlineMs: 120_000 });
  const elapsed = performance.now() - t0;
  const wrong = mismatches(mapped.values, expected);
  // The same tasks with one message each, 64 gathers in flight: the per-message cost without batching.
  const single = quick ? 20_000 : 100_000;
  const t1 = performance.now();
  let singleWrong = 0;
  for (let base = 0; base < single; base += 64 * SHARDS) {
    const waves = Array.from({ length: Math.min(64, Math.ceil((single - base) / SHARDS)) }, (_, w) => {
      const start = base + w * SHARDS;
      const payloads = Array.from({ length: SHARDS }, (_, s) => items.subarray(start + s, start + s + 1));
      return group.scatter('collatz', payloads, { deadlineMs: 30_000 }).then((results) =>
        results.forEach((r, s) => {
          if (r.status !== 'ok' || new DataView((r.value as Uint8Array).buffer, (r.value as Uint8Array).byteOffset, 4).getInt32(0, true) !== expected[start + s]) singleWrong++;
        }),
      );
    });
    await Promise.all(waves);
  }
  const singleRate = (single * 1000) / (performance.now() - t1);
  return [
    {
      id: 'map-items.core.tiny-tasks',
      value: Math.round((n * 1000) / elapsed),
      unit: 'tasks/s',
      baseline: 'tasks.piscina.chunks-of-1000',
      check: `${wrong} of ${n} results differ from the oracle (chunks of ${chunkSize})`,
      target: '≥ 100000',
    },
    { id: 'scatter.core.one-task-per-message', value: Math.round(singleRate), unit: 'tasks/s', baseline: 'tasks.piscina.one-per-run', check: `${singleWrong} of ${single} results differ from the oracle` },
  ];
}

function mismatches(got: ArrayLike<number>, expected: ArrayLike<number>): number {
  let wrong = Math.abs(got.length - expected.length);
  for (let i = 0; i < Math.min(got.length, expected.length); i++) if (got[i] !== expected[i]) wrong++;
  return wrong;
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
  const sum = await group.reduce('stats', {}, { op: 'sum', path: 'sum' });
  const last = (rounds - 1) * keys;
  const expectedSum = keys * last + (keys * (keys - 1)) / 2;
  samples.sort((a, b) => a - b);
  const p50 = percentile(samples, 0.5);
  const check = `shards hold ${String(stats.value)}/${keys} keys summing to ${sum.value === expectedSum ? 'the expected total' : `${String(sum.value)} ≠ ${expectedSum}`} after ${rounds} rounds`;
  return [
    { id: 'bulk-update.sdk.10k-keys.20-shards.p50', value: round(p50, 2), unit: 'ms', check },
    { id: 'bulk-update.sdk.keys-per-second', value: Math.round((keys * 1000) / p50), unit: 'keys/s', check },
  ];
}

async function sdkScatterGather(group: ShardGroup, quick: boolean): Promise<BenchResult[]> {
  const samples: number[] = [];
  let wrong = 0;
  const rounds = quick ? 200 : 1000;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const result = await group.scatterGather('barrier', { round: i }, { aggregate: 'majority', deadlineMs: 5000 });
    samples.push(performance.now() - t0);
    if ((result.value as { round: number } | undefined)?.round !== i || !result.satisfied) wrong++;
  }
  samples.sort((a, b) => a - b);
  const check = `${wrong} of ${rounds} gathers without a unanimous round`;
  const p50 = percentile(samples, 0.5);
  return [
    { id: 'scatter-gather.sdk.20-shards.p50', value: microseconds(p50), unit: 'µs', check },
    { id: 'scatter-gather.sdk.per-shard.p50', value: microseconds(p50 / SHARDS), unit: 'µs', check },
  ];
}

async function scaleUp(group: ShardGroup): Promise<BenchResult[]> {
  const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}`);
  const before = consistentHashPartitioner(SHARDS);
  const after = consistentHashPartitioner(SHARDS + 1);
  const expectedMoves = keys.filter((k) => before.shardOf(k) !== after.shardOf(k)).length;
  const result = await group.scale(SHARDS + 1);
  const held = await group.reduce('stats', {}, { op: 'sum', path: 'count' });
  const check = `moved ${result.moved} keys (expected ${expectedMoves}); shards hold ${String(held.value)}/${keys.length}`;
  return [
    { id: 'scale.sdk.20-to-21.10k-keys', value: round(result.elapsedMs, 1), unit: 'ms', check },
    { id: 'scale.sdk.20-to-21.moved-fraction', value: round(result.moved / result.keys, 4), unit: 'of keys', check, target: '≈ 1/21 = 0.0476' },
  ];
}

async function piscinaTasks(quick: boolean): Promise<BenchResult[]> {
  const pool = new Piscina({ filename: new URL('./collatz.js', import.meta.url).href, minThreads: WORKERS, maxThreads: WORKERS });
  try {
    const n = quick ? 20_000 : 100_000;
    const items = Int32Array.from({ length: n }, (_, i) => i + 1);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run(i + 1))); // warm up
    let wrong = 0;
    const inFlight = 256 * WORKERS;
    const t0 = performance.now();
    for (let base = 0; base < n; base += inFlight) {
      const wave = Array.from({ length: Math.min(inFlight, n - base) }, (_, i) => pool.run(items[base + i]).then((v: number) => v === collatzSteps(items[base + i]) || wrong++));
      await Promise.all(wave);
    }
    const perRun = (n * 1000) / (performance.now() - t0);
    // The same chunks of 1000 that mapItems sends, one per run.
    const big = quick ? 100_000 : 1_000_000;
    const all = Int32Array.from({ length: big }, (_, i) => i + 1);
    const expected = Int32Array.from(all, collatzSteps);
    const t1 = performance.now();
    const chunks = await Promise.all(Array.from({ length: big / 1000 }, (_, c) => pool.run(all.slice(c * 1000, (c + 1) * 1000)) as Promise<Int32Array>));
    const chunked = (big * 1000) / (performance.now() - t1);
    const joined = new Int32Array(big);
    chunks.forEach((chunk, c) => joined.set(chunk, c * 1000));
    const chunkWrong = mismatches(joined, expected);
    return [
      { id: 'tasks.piscina.one-per-run', value: Math.round(perRun), unit: 'tasks/s', check: `${wrong} of ${n} results differ from the oracle` },
      { id: 'tasks.piscina.chunks-of-1000', value: Math.round(chunked), unit: 'tasks/s', check: `${chunkWrong} of ${big} results differ from the oracle` },
    ];
  } finally {
    await pool.destroy();
  }
}
