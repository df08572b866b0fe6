import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectRedis, type RedisClient } from '../cluster/redis-client.js';
import { startRedisServer } from '../cluster/redis-process.js';
import { RedisTupleSpace, RedisWakeups } from '../cluster/redis-space/index.js';
import { TupleSpace } from '../space/tuple-space.js';
import { linkBaselines, microseconds, newReport, percentile, round, type BenchReport, type BenchResult } from './report.js';
import type { SuiteOptions } from './tuplespace-suite.js';
import type { WorkerCommand, WorkerReply } from './cluster-node-worker.js';

/**
 * `plexspaces bench cluster`: the tuple space on Redis next to Redis used
 * directly as a work queue (LPUSH + BRPOP), on one redis-server this suite
 * starts on loopback (AOF everysec). Node A and node B are two node
 * processes (cluster-node-worker.ts: a real PlexNode built as `start
 * --cluster` builds it, its registry opening the shared space); the queue
 * baseline runs in the same two processes with the same client library
 * (ioredis) and the same number in flight. Every row checks that each
 * value was received exactly once.
 */
export async function runClusterSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('cluster', quick);
  const server = await startRedisServer({ appendfsync: 'everysec' });
  const clients: RedisClient[] = [];
  const connect = async () => {
    const client = await connectRedis([server.url]);
    clients.push(client);
    return client;
  };
  const opened: { close(): Promise<void> }[] = [];
  const workers: NodeWorker[] = [];
  try {
    const [a, b] = await Promise.all([NodeWorker.start(server.url), NodeWorker.start(server.url)]);
    workers.push(a, b);
    const pairs = quick ? 2_000 : 20_000;
    for (const depth of [1, 64]) {
      log(`write on B + take on A, ${depth} in flight…`);
      report.results.push(await pairsAcross(a, b, 'space', `bench/cluster/pairs-${depth}`, pairs, depth));
      report.results.push(await pairsAcross(a, b, 'queue', `bench:queue:${depth}`, pairs, depth));
    }
    log('asks across nodes…');
    report.results.push(...(await asksAcross(a, b, quick)));
    log('actor-to-actor sends across nodes…');
    report.results.push(...(await sendsAcross(a, b, quick)));
    log('scatter-gather over 20 shards, spread over both nodes and on one…');
    report.results.push(...(await gathersAcross(a, quick)));
    log(`SGEMM ${quick ? 1024 : 2048} over shards on both nodes and on one…`);
    report.results.push(...(await sgemmAcross(a, quick)));
    log(`n-body ${quick ? 4096 : 16384} over shards on both nodes and on one…`);
    report.results.push(...(await nbodyAcross(a, quick)));
    log('wake-up latency…');
    const rounds = quick ? 200 : 2_000;
    report.results.push(await wakeupsAcross(a, b, 'space', 'bench/cluster/wake', rounds));
    report.results.push(await wakeupsAcross(a, b, 'queue', 'bench:wake', rounds));
    log('selective take on aged spaces…');
    const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000];
    const admin = await connect();
    const redis = await connect();
    const wakeups = await RedisWakeups.open(redis);
    opened.push(wakeups);
    for (const size of sizes) {
      const space = await RedisTupleSpace.open({ name: `bench/cluster/aged-${size}`, redis, wakeups });
      opened.push(space);
      report.results.push(...(await agedTake(admin, space, size, sizes[0], log)));
    }
  } finally {
    for (const w of workers) await w.stop();
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    for (const c of clients) c.disconnect();
    await server.stop();
  }
  report.notes.push(
    'Node A and node B are two node processes (a PlexNode each, built as `plexspaces start --cluster` builds it, with its own Redis connections and handoff subscriber); the pairs rows write on B and take on A at once, each side with that many operations in flight.',
    'Baseline: the same redis-server used directly as a work queue from the same two processes with the same client (ioredis): LPUSH on B, BRPOP on A (one connection per lane), at the same number in flight.',
    'Wake-up latency is half of a ping-pong round trip between the nodes (A writes ping i, B\u2019s blocked take wakes and writes pong i, A\u2019s blocked take wakes), so no clocks need to agree.',
    'The selective-take rows run in this process on one connection: what they measure is the space, not the transport.',
    'The ask rows go through the node\u2019s actor calls (what HTTP, gRPC and the websocket call): B asks an AssemblyScript counter running on A over the node link, next to A asking its own counter.',
    'The scatter-gather rows: node A gathers `barrier` (a 4-byte binary echo) from 20 AssemblyScript task shards, one gather at a time — spread over both nodes (half reached over the node link; ShardGroup with the cluster\u2019s shard host) next to all 20 on A\u2019s one worker thread.',
    'The SGEMM and n-body rows: node A drives a shard group of a bytes-in kernel (src/wasm/actors/sgemm-tiles.ts, nbody-slices.ts: the same SIMD kernels as on shared memory) with one shard on each node (2 nodes × 1 worker) next to one shard on A (1 node × 1 worker); operands cross as message bytes (SGEMM: B once per shard, row blocks of A out and of C back; n-body: all positions to every shard each step, its bodies\u2019 new ones back), counted under "between the nodes". Both node processes and the driver share this machine\u2019s cores.',
    'The actor-to-actor rows: an AssemblyScript pinger on A makes `send` host calls (10,000 per ask it gets) to a counter on B — over the node link, batched per event-loop turn — next to the same pinger sending to a counter on A; msgs/s until the counter has counted them all.',
  );
  linkBaselines(report);
  return report;
}

/**
 * Actor-to-actor sends: the pinger on A sends `add1` to a counter on B (its
 * host calls, over the link) and to a counter on A; the rate runs until the
 * receiver has counted every message, which is the check.
 */
async function sendsAcross(a: NodeWorker, b: NodeWorker, quick: boolean): Promise<BenchResult[]> {
  const total = quick ? 100_000 : 1_000_000;
  const burst = 10_000;
  const run = async (receiverNode: NodeWorker, actor: string): Promise<{ rate: number; counted: number }> => {
    // Activated on the node asked first (its claim): B for the remote receiver, A for the local one.
    await receiverNode.send({ op: 'ask', actor, n: 1, depth: 1 });
    const target = `default/default/${actor}`;
    await a.send({ op: 'fire', target, total: burst, burst }); // warm-up: the route, the cached owner, the link
    let counted = 0;
    let progressAt = performance.now();
    // Until the receiver has counted `until`; a count that stops growing for 30 s is lost messages, not slowness.
    const countTo = async (until: number) => {
      while (counted < until) {
        const now = (await receiverNode.send({ op: 'count', actor })).count!;
        if (now > counted) progressAt = performance.now();
        else if (performance.now() - progressAt > 30_000) throw new Error(`${actor} counted ${now} of ${until} and stopped: messages were lost`);
        counted = now;
      }
    };
    await countTo(1 + burst);
    const start = counted;
    const t0 = performance.now();
    await a.send({ op: 'fire', target, total, burst });
    await countTo(start + total);
    return { rate: Math.round((total * 1000) / (performance.now() - t0)), counted: counted - start };
  };
  const remote = await run(b, 'bench-counter-a2a-remote');
  const local = await run(a, 'bench-counter-a2a-local');
  return [
    { id: 'actor-to-actor.cross-node', value: remote.rate, unit: 'msgs/s', baseline: 'actor-to-actor.same-node', target: '≥ 200000', check: `the counter on B counted ${remote.counted}/${total}` },
    { id: 'actor-to-actor.same-node', value: local.rate, unit: 'msgs/s', check: `the counter on A counted ${local.counted}/${total}` },
  ];
}

/**
 * Asks through node B's actor calls to an actor running on node A (over
 * the node link), next to A asking an actor of its own; one at a time
 * (p50/p99) and 64 in flight (asks/s). The check: each actor's count is
 * exactly the number of its asks.
 */
async function asksAcross(a: NodeWorker, b: NodeWorker, quick: boolean): Promise<BenchResult[]> {
  const n = quick ? 2_000 : 20_000;
  // Activated on A by A's first ask (its claim), reached from B through the directory.
  await a.send({ op: 'ask', actor: 'bench-counter-remote', n: 1, depth: 1 });
  await a.send({ op: 'ask', actor: 'bench-counter-local', n: 1, depth: 1 });
  const warm = quick ? 200 : 2_000;
  await b.send({ op: 'ask', actor: 'bench-counter-remote', n: warm, depth: 1 });
  await a.send({ op: 'ask', actor: 'bench-counter-local', n: warm, depth: 1 });
  const remote = await b.send({ op: 'ask', actor: 'bench-counter-remote', n, depth: 1 });
  const local = await a.send({ op: 'ask', actor: 'bench-counter-local', n, depth: 1 });
  const remoteBurst = await b.send({ op: 'ask', actor: 'bench-counter-remote', n, depth: 64 });
  const localBurst = await a.send({ op: 'ask', actor: 'bench-counter-local', n, depth: 64 });
  const expected = 1 + warm + 2 * n;
  const counts = [(await a.send({ op: 'count', actor: 'bench-counter-remote' })).count, (await a.send({ op: 'count', actor: 'bench-counter-local' })).count];
  if (counts.some((c) => c !== expected)) throw new Error(`cluster bench: the counters hold ${counts.join(' and ')}, not ${expected} each`);
  const check = `${n} asks of inc, answered; each counter holds exactly its ${expected} incs`;
  const p = (samples: number[], q: number) => microseconds(percentile([...samples].sort((x, y) => x - y), q));
  return [
    { id: 'ask.cross-node.p50', value: p(remote.samples!, 0.5), unit: 'µs', baseline: 'ask.same-node.p50', target: '≤ 150 µs', check: `${check}; p99 ${p(remote.samples!, 0.99)} µs` },
    { id: 'ask.same-node.p50', value: p(local.samples!, 0.5), unit: 'µs', check: `${check}; p99 ${p(local.samples!, 0.99)} µs` },
    { id: 'ask.cross-node.64-in-flight', value: round(n / remoteBurst.seconds!, 0), unit: 'asks/s', baseline: 'ask.same-node.64-in-flight', check },
    { id: 'ask.same-node.64-in-flight', value: round(n / localBurst.seconds!, 0), unit: 'asks/s', check },
  ];
}

/**
 * Scatter-gather (`barrier`, binary echo) over 20 task shards from node A,
 * one gather at a time: the group spread over both nodes (10 on each, the
 * other 10 reached over the link) next to all 20 on A's worker. The check:
 * every gather had every shard echo its round.
 */
async function gathersAcross(a: NodeWorker, quick: boolean): Promise<BenchResult[]> {
  const shards = 20;
  const rounds = quick ? 300 : 3_000;
  const warmUp = quick ? 100 : 300;
  const spread = await a.send({ op: 'gather', shards, rounds, warmUp, spread: true });
  const local = await a.send({ op: 'gather', shards, rounds, warmUp, spread: false });
  const perNode = (nodes: string[]) => [...new Set(nodes)].map((node) => `${nodes.filter((n) => n === node).length} on ${node}`).join(', ');
  const rows = (name: string, reply: WorkerReply & { ok: true }, baseline?: string): BenchResult[] => {
    if (reply.wrong !== 0) throw new Error(`cluster bench: ${reply.wrong} of ${rounds + warmUp} gathers (${name}) lacked a shard's echo`);
    const sorted = [...reply.samples!].sort((x, y) => x - y);
    const check = `${rounds + warmUp} gathers, every shard echoed its round (${perNode(reply.nodes!)})`;
    return [
      { id: `scatter-gather.${name}.20-shards.p50`, value: microseconds(percentile(sorted, 0.5)), unit: 'µs', check: `${check}; p99 ${microseconds(percentile(sorted, 0.99))} µs`, ...(baseline === undefined ? {} : { baseline: `scatter-gather.${baseline}.20-shards.p50` }) },
      { id: `scatter-gather.${name}.per-shard.p50`, value: round(microseconds(percentile(sorted, 0.5)) / shards, 1), unit: 'µs', check, ...(baseline === undefined ? {} : { baseline: `scatter-gather.${baseline}.per-shard.p50` }) },
    ];
  };
  return [...rows('two-nodes', spread, 'one-node'), ...rows('one-node', local)];
}

/**
 * SGEMM (n×n float32) from node A over `sgemm-tiles` shards whose operands
 * travel as message bytes: one shard on each node (2 nodes × 1 worker) next
 * to one shard on A (1 node × 1 worker). Each result is checked against a
 * float64 product; the moved bytes are what crossed the node link.
 */
async function sgemmAcross(a: NodeWorker, quick: boolean): Promise<BenchResult[]> {
  const n = quick ? 1024 : 2048;
  const spread = (await a.send({ op: 'sgemm', n, spread: true })).matmul!;
  const local = (await a.send({ op: 'sgemm', n, spread: false })).matmul!;
  for (const run of [spread, local]) if (!(run.maxRelError < 1e-4)) throw new Error(`cluster bench: SGEMM ${n} max relative error ${run.maxRelError} (tolerance 1e-4)`);
  const check = (run: typeof spread) =>
    `max rel. error ${run.maxRelError.toExponential(1)} over ${run.checkedEntries} entries vs float64, every entry written; ${run.tiles} tiles on ${Object.entries(run.placement).map(([node, count]) => `${count} shard on ${node}`).join(', ')}`;
  return [
    { id: `sgemm-${n}.two-nodes`, value: round(spread.gflops, 1), unit: 'GFLOP/s', baseline: `sgemm-${n}.one-node`, target: '≥ 1.8× one node', check: `${check(spread)}; ${round(spread.seconds * 1000, 0)} ms; ${round(spread.bytesBetweenNodes / 2 ** 20, 1)} MiB between the nodes` },
    { id: `sgemm-${n}.one-node`, value: round(local.gflops, 1), unit: 'GFLOP/s', check: `${check(local)}; ${round(local.seconds * 1000, 0)} ms` },
  ];
}

/**
 * The cold-sphere n-body from node A over `nbody-slices` shards (all
 * positions to every shard each step, its bodies' new ones back): one shard
 * on each node next to one on A. The check: the leapfrog's energy drift,
 * and the two runs ending at the same energy.
 */
async function nbodyAcross(a: NodeWorker, quick: boolean): Promise<BenchResult[]> {
  const bodies = quick ? 4096 : 16384;
  const steps = quick ? 5 : 20;
  const spread = (await a.send({ op: 'nbody', bodies, steps, spread: true })).nbody!;
  const local = (await a.send({ op: 'nbody', bodies, steps, spread: false })).nbody!;
  for (const run of [spread, local]) if (!(run.relativeEnergyDrift < 1e-4)) throw new Error(`cluster bench: n-body energy drift ${run.relativeEnergyDrift}`);
  const agree = Math.abs(spread.energyEnd - local.energyEnd) / Math.abs(local.energyEnd);
  if (!(agree < 1e-9)) throw new Error(`cluster bench: n-body over two nodes ends at energy ${spread.energyEnd}, on one node at ${local.energyEnd}`);
  const check = (run: typeof spread) =>
    `${steps} steps, energy ${run.energyStart.toFixed(9)} → ${run.energyEnd.toFixed(9)} (drift ${run.relativeEnergyDrift.toExponential(1)}); ${Object.entries(run.placement).map(([node, count]) => `${count} shard on ${node}`).join(', ')}`;
  return [
    { id: `nbody-${bodies}.two-nodes`, value: round(spread.interactionsPerSecond / 1e9, 2), unit: 'G interactions/s', baseline: `nbody-${bodies}.one-node`, target: '≥ 1.8× one node', check: `${check(spread)}; final energy within ${agree.toExponential(0)} of one node's; ${round(spread.seconds * 1000, 0)} ms; ${round(spread.bytesBetweenNodes / 2 ** 20, 1)} MiB between the nodes` },
    { id: `nbody-${bodies}.one-node`, value: round(local.interactionsPerSecond / 1e9, 2), unit: 'G interactions/s', check: `${check(local)}; ${round(local.seconds * 1000, 0)} ms` },
  ];
}

/** A forked node process (cluster-node-worker.ts) that takes one command at a time. */
class NodeWorker {
  private constructor(private readonly child: ChildProcess) {}

  static async start(url: string): Promise<NodeWorker> {
    const script = fileURLToPath(new URL(`./cluster-node-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
    const child = fork(script, [url], { execArgv: import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker = new NodeWorker(child);
    await worker.reply();
    return worker;
  }

  send(command: WorkerCommand): Promise<WorkerReply & { ok: true }> {
    const answer = this.reply();
    this.child.send(command);
    return answer;
  }

  private reply(): Promise<WorkerReply & { ok: true }> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`cluster bench: a node process exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (reply: WorkerReply) => {
        this.child.off('exit', onExit);
        if (reply.ok) resolve(reply);
        else reject(new Error(`cluster bench: ${reply.error}`));
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ op: 'exit' } satisfies WorkerCommand);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    this.child.kill('SIGKILL');
  }
}

/** B writes n values and A takes them, at once, each with `depth` in flight; every value is taken once (checked in A). */
async function pairsAcross(a: NodeWorker, b: NodeWorker, kind: 'space' | 'queue', key: string, n: number, depth: number): Promise<BenchResult> {
  const [consumed] = await Promise.all([a.send({ op: 'consume', kind, key, n, depth }), b.send({ op: 'produce', kind, key, n, depth })]);
  const value = Math.round(n / consumed.seconds!);
  const check = `${n} ${kind === 'space' ? 'tuples written on node B, each taken on node A' : 'values LPUSHed on node B, each BRPOPed on node A'} exactly once`;
  return kind === 'space'
    ? { id: `pairs.space.${depth}-in-flight`, value, unit: 'pairs/s', baseline: `pairs.redis-queue.${depth}-in-flight`, target: '≥ 0.67× queue (≤ 1.5× its cost per pair)', check }
    : { id: `pairs.redis-queue.${depth}-in-flight`, value, unit: 'pairs/s', check };
}

/** Half of each ping-pong round trip between the two node processes. */
async function wakeupsAcross(a: NodeWorker, b: NodeWorker, kind: 'space' | 'queue', key: string, rounds: number): Promise<BenchResult> {
  const [pinged] = await Promise.all([a.send({ op: 'ping', kind, key, rounds }), b.send({ op: 'pong', kind, key, rounds })]);
  const samples = pinged.samples!.map((ms) => ms / 2).sort((x, y) => x - y);
  const p99 = microseconds(percentile(samples, 0.99));
  return kind === 'space'
    ? { id: 'wakeup.space.p50', value: microseconds(percentile(samples, 0.5)), unit: 'µs', baseline: 'wakeup.redis-queue.p50', target: '≤ 300 µs (p99 ≤ 2 ms)', check: `${rounds} ping-pong rounds between node A and node B, each woken by the write of its own tuple; p99 ${p99} µs` }
    : { id: 'wakeup.redis-queue.p50', value: microseconds(percentile(samples, 0.5)), unit: 'µs', check: `${rounds} LPUSH/BRPOP ping-pong rounds between the two processes; p99 ${p99} µs` };
}

/**
 * A space aged with `size` tuples of other kinds; a selective take of the
 * one wanted tuple (written and taken back, one at a time) — its cost should
 * not grow with the space. Also Redis's memory per stored tuple, next to
 * the in-process space's heap per tuple.
 */
async function agedTake(admin: RedisClient, space: RedisTupleSpace, size: number, smallest: number, log: (line: string) => void): Promise<BenchResult[]> {
  const before = await usedMemory(admin);
  for (let done = 0; done < size; done += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, size - done) }, (_, i) => ['reading', `sensor-${(done + i) % 977}`, done + i, { celsius: 20.5 }]);
    await space.writeAll(batch);
    if (size >= 100_000 && (done / 10_000) % 10 === 0) log(`  aged ${done}/${size}…`);
  }
  const bytes = ((await usedMemory(admin)) - before) / size;
  const rounds = 2_000;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    await space.write(['wanted', i]);
    const got = (await space.take(['wanted', i])) as [string, number] | null;
    if (got?.[1] !== i) throw new Error(`cluster bench: selective take ${i} on ${size} got ${String(got)}`);
  }
  const perPair = (performance.now() - started) / rounds;
  // A selective count (one sensor's readings) checks the aged tuples are all there without walking 10^6 of them in one script.
  const count = await space.count(['reading', 'sensor-5', null, null]);
  const expected = Math.floor((size - 1 - 5) / 977) + 1;
  if (count !== expected) throw new Error(`cluster bench: the aged space holds ${count} readings of sensor-5, expected ${expected}`);
  const results: BenchResult[] = [
    {
      id: `selective.aged-${size}`,
      value: microseconds(perPair),
      unit: 'µs/pair',
      baseline: size === smallest ? undefined : `selective.aged-${smallest}`,
      target: size === smallest ? undefined : '≤ 2× the smallest',
      check: `${rounds} write + take of ['wanted', i] among ${size} other tuples, each got back; the aged tuples still there (sensor-5's ${expected} counted)`,
    },
    { id: `memory.redis.${size}`, value: round(bytes, 1), unit: 'bytes/tuple', check: `INFO used_memory before and after ${size} tuples ['reading', 'sensor-N', i, { celsius }]` },
  ];
  if (size === smallest) results.push(await inProcessMemory(size));
  return results;
}

async function usedMemory(admin: RedisClient): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function inProcessMemory(size: number): Promise<BenchResult> {
  const n = Math.max(size, 100_000);
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const space = new TupleSpace();
  await space.writeAll(Array.from({ length: n }, (_, i) => ['reading', `sensor-${i % 977}`, i, { celsius: 20.5 }]));
  globalThis.gc?.();
  const bytes = (process.memoryUsage().heapUsed - before) / n;
  const count = await space.count(['reading', null, null, null]);
  await space.close();
  if (count !== n) throw new Error(`cluster bench: the in-process space holds ${count}, expected ${n}`);
  return { id: 'memory.in-process', value: round(bytes, 1), unit: 'bytes/tuple', check: `heapUsed before and after ${n} of the same tuples in one in-process space${globalThis.gc === undefined ? ' (no --expose-gc: an estimate)' : ''}` };
}
