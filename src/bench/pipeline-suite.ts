import { fileURLToPath } from 'node:url';
import { QueueChannel } from '../coord/queue-channel.js';
import { PlexNode } from '../node/plex-node.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { buildActor } from '../sdk/build-actor.js';
import { ShardGroup } from '../shard/shard-group.js';
import { compute } from '../space/linda-eval.js';
import { TupleSpace } from '../space/tuple-space.js';
import type { Tuple } from '../tuple/types.js';
import { collatzSteps } from './collatz.js';
import { linkBaselines, newReport, round, type BenchReport, type BenchResult } from './report.js';
import type { SuiteOptions } from './tuplespace-suite.js';

const KV_SHARD = fileURLToPath(new URL('../../examples/actors/kv-shard.ts', import.meta.url));
const STAGES = ['a', 'b', 'c', 'd'] as const;
const next = (tag: string) => STAGES[STAGES.indexOf(tag as (typeof STAGES)[number]) + 1];

/**
 * `plexspaces bench pipeline`: what the pipeline's guarantees cost.
 *
 * - Three trivial stages (`['a', i]` → `['b', i]` → `['c', i]` → `['d', i]`) over one in-memory
 *   space, N tuples end to end, four ways in the same run: the pipeline (crash-safe takes, the
 *   atomic ack-and-write, bounded backlogs); the same stages as hand-written take/write loops
 *   (no crash safety, no bound); as hand-written crash-safe loops (take with ack, then
 *   `ackWith`: the exactly-once step without the engine); and as a chain of queue channels
 *   (receive, send, ack). Every run is checked: each i arrives at the end exactly once.
 * - The per-stage overhead of exactly once: (pipeline − plain loops) / (3 N) per tuple and stage.
 * - Linda's eval of 10^4 small tasks (one active tuple each) against `mapItems` of the same task
 *   over a shard group of the same module, checked against the Collatz oracle.
 */
export async function runPipelineSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('pipeline', quick);
  const n = quick ? 20_000 : 100_000;
  const rounds = quick ? 2 : 3;
  const ways: [string, string, (n: number) => Promise<void>][] = [
    ['three-stage.pipeline', 'the pipeline: crash-safe takes, ackWith, backlog ≤ 1024 per stage', viaPipeline],
    ['three-stage.hand-loops', 'hand-written take → write loops, one per stage (not crash-safe, unbounded)', viaPlainLoops],
    ['three-stage.hand-crash-safe', 'hand-written take(ack) → ackWith loops, one per stage (unbounded)', viaCrashSafeLoops],
    ['three-stage.queue-chain', 'a chain of queue channels (receive → send → ack), capacity 1024 each', viaQueueChain],
  ];
  // Best of `rounds`, the ways interleaved so drift in the machine's speed falls on all alike.
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const [id, what, run] of ways) {
      log(`${what}: ${n} tuples, round ${r + 1}/${rounds}…`);
      const started = performance.now();
      await run(n);
      const ms = performance.now() - started;
      best.set(id, Math.min(best.get(id) ?? Infinity, ms));
    }
  }
  for (const [id, what] of ways) {
    report.results.push({ id, value: Math.round((n * 1000) / best.get(id)!), unit: 'tuples/s', baseline: id === 'three-stage.pipeline' ? 'three-stage.hand-loops' : undefined, check: `${what}; all ${n} arrived at the end exactly once (best of ${rounds})` });
  }
  const perStage = (ms: number, base: number) => round(((ms - base) * 1000) / (3 * n), 2);
  report.results.push(
    { id: 'exactly-once.overhead.per-stage', value: perStage(best.get('three-stage.pipeline')!, best.get('three-stage.hand-loops')!), unit: 'µs/tuple', check: '(pipeline − hand loops) / (3 stages × N): what crash safety, the atomic ack-and-write, backpressure and the figures add per tuple and stage' },
    { id: 'exactly-once.step.per-stage', value: perStage(best.get('three-stage.hand-crash-safe')!, best.get('three-stage.hand-loops')!), unit: 'µs/tuple', check: '(hand crash-safe loops − hand loops) / (3 × N): the take-with-ack + ackWith step alone' },
  );
  report.results.push(...(await evalAgainstMapItems(quick, log)));
  report.notes.push(
    'Function stages (in-process TypeScript handlers) isolate the engine from the worker pool: a module stage adds an ask to a WASM actor per tuple (see `bench runtime` for its cost).',
    'The hand-written loops know N in advance and stop there; the pipeline finds its end of stream by draining. Neither hand-written variant bounds its backlogs: their producer writes all N at once.',
  );
  linkBaselines(report);
  return report;
}

function checkArrived(tuples: readonly Tuple[], n: number, what: string): void {
  const seen = new Uint8Array(n);
  for (const t of tuples) {
    const i = t[1] as number;
    if (seen[i] === 1) throw new Error(`${what}: tuple ${i} arrived twice`);
    seen[i] = 1;
  }
  if (tuples.length !== n) throw new Error(`${what}: ${tuples.length} of ${n} arrived`);
}

async function viaPipeline(n: number): Promise<void> {
  const space = new TupleSpace();
  const pipeline = await Pipeline.start({ name: 'bench', stages: STAGES.slice(0, 3).map((tag) => ({ name: tag, input: [tag, null], handler: ([, i]: Tuple) => [[next(tag), i]] })) }, space);
  for (let i = 0; i < n; i++) await pipeline.write(['a', i]);
  await pipeline.drain();
  checkArrived(await space.takeAll(['d', null]), n, 'pipeline');
}

async function viaPlainLoops(n: number): Promise<void> {
  const space = new TupleSpace();
  const loops = STAGES.slice(0, 3).map(async (tag) => {
    for (let k = 0; k < n; k++) {
      const t = (await space.take([tag, null]))!;
      await space.write([next(tag), t[1]]);
    }
  });
  for (let i = 0; i < n; i++) await space.write(['a', i]);
  await Promise.all(loops);
  checkArrived(await space.takeAll(['d', null]), n, 'hand loops');
}

async function viaCrashSafeLoops(n: number): Promise<void> {
  const space = new TupleSpace();
  const loops = STAGES.slice(0, 3).map(async (tag) => {
    for (let k = 0; k < n; k++) {
      const d = (await space.take([tag, null], { ack: true }))!;
      await d.ackWith([[next(tag), d.tuple[1]]]);
    }
  });
  for (let i = 0; i < n; i++) await space.write(['a', i]);
  await Promise.all(loops);
  checkArrived(await space.takeAll(['d', null]), n, 'hand crash-safe loops');
}

async function viaQueueChain(n: number): Promise<void> {
  const queues = STAGES.map((tag) => new QueueChannel<number>(tag, { capacity: tag === 'd' ? n : 1024 }));
  const loops = [0, 1, 2].map(async (s) => {
    for (let k = 0; k < n; k++) {
      const d = (await queues[s].receive())!;
      await queues[s + 1].send(d.message);
      queues[s].ack(d.id);
    }
  });
  for (let i = 0; i < n; i++) await queues[0].send(i);
  await Promise.all(loops);
  const out: Tuple[] = [];
  for (let d = await queues[3].receive({ timeoutMs: 0 }); d !== null; d = await queues[3].receive({ timeoutMs: 0 })) {
    out.push(['d', d.message]);
    queues[3].ack(d.id);
  }
  checkArrived(out, n, 'queue chain');
}

/** 10^4 Collatz tasks: one eval (active tuple) each, against mapItems over a shard group of the same module. */
async function evalAgainstMapItems(quick: boolean, log: (line: string) => void): Promise<BenchResult[]> {
  const tasks = 10_000;
  const node = new PlexNode({ dataDir: null, workers: 2 });
  try {
    log('eval vs mapItems: building the kv-shard example…');
    await node.runtime.deploy('kv-shard', (await buildActor(KV_SHARD)).component);
    const space = node.spaces.open({ tenant: 'bench', namespace: 'eval', name: 'collatz' });
    const expected = Array.from({ length: tasks }, (_, i) => collatzSteps(i + 1));
    const inFlight = 512;
    const evalAll = async () => {
      for (let base = 0; base < tasks; base += inFlight) {
        await Promise.all(Array.from({ length: Math.min(inFlight, tasks - base) }, (_, k) => node.eval(space, ['steps', base + k + 1, compute.task('kv-shard', 'collatz', [base + k + 1])])));
      }
      const found = await space.takeAll(['steps', null, null]);
      let wrong = Math.abs(found.length - tasks);
      for (const t of found) if ((t[2] as number[])[0] !== expected[(t[1] as number) - 1]) wrong++;
      return wrong;
    };
    const group = await ShardGroup.create(node.runtime, { id: 'bench-eval', module: 'kv-shard', shards: 2 });
    const items = Array.from({ length: tasks }, (_, i) => i + 1);
    const mapAll = async () => {
      const mapped = await group.mapItems('collatz', items, { chunkSize: 250, deadlineMs: 120_000 });
      let wrong = 0;
      (mapped.values as number[]).forEach((v, i) => (v !== expected[i] ? wrong++ : undefined));
      return wrong;
    };
    await evalAll(); // warm-up: pooled task instances, JIT
    await mapAll();
    const rounds = quick ? 2 : 3;
    let evalMs = Infinity;
    let mapMs = Infinity;
    let evalWrong = 0;
    let mapWrong = 0;
    for (let r = 0; r < rounds; r++) {
      log(`eval vs mapItems: round ${r + 1}/${rounds}…`);
      let t0 = performance.now();
      evalWrong += await evalAll();
      evalMs = Math.min(evalMs, performance.now() - t0);
      t0 = performance.now();
      mapWrong += await mapAll();
      mapMs = Math.min(mapMs, performance.now() - t0);
    }
    await group.delete();
    return [
      { id: 'eval.1e4-small-tasks', value: Math.round((tasks * 1000) / evalMs), unit: 'tasks/s', baseline: 'map-items.1e4-small-tasks', check: `${evalWrong} of ${tasks * rounds} eval results differ from the Collatz oracle; one active tuple per task (${inFlight} in flight), each a pooled task of kv-shard` },
      { id: 'map-items.1e4-small-tasks', value: Math.round((tasks * 1000) / mapMs), unit: 'tasks/s', check: `${mapWrong} of ${tasks * rounds} results differ from the oracle; chunks of 250 over 2 shards of kv-shard` },
    ];
  } finally {
    await node.stop();
  }
}
