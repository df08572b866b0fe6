import { connectRedis, type RedisClient } from '../cluster/redis-client.js';
import { startRedisServer } from '../cluster/redis-process.js';
import { RedisTupleSpace, RedisWakeups } from '../cluster/redis-space/index.js';
import { TupleSpace } from '../space/tuple-space.js';
import { linkBaselines, microseconds, newReport, percentile, round, type BenchReport, type BenchResult } from './report.js';
import type { SuiteOptions } from './tuplespace-suite.js';

/**
 * `plexspaces bench cluster`: the tuple space on Redis next to Redis used
 * directly as a work queue (LPUSH + BRPOP), on one redis-server this suite
 * starts on loopback (AOF everysec). "Node A" and "node B" are two clients
 * in this process, each with its own connections and wake-up subscriber, as
 * two node processes would have; the queue baseline uses the same client
 * library (ioredis) and the same pipelining depth. Every row checks that
 * each value was received exactly once.
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
  const node = async (name: string) => {
    const redis = await connect();
    const wakeups = await RedisWakeups.open(redis);
    const space = await RedisTupleSpace.open({ name, redis, wakeups });
    opened.push(space, wakeups);
    return space;
  };
  try {
    const pairs = quick ? 2_000 : 20_000;
    for (const depth of [1, 64]) {
      log(`write on B + take on A, ${depth} in flight…`);
      const [a, b] = [await node('bench/cluster/pairs'), await node('bench/cluster/pairs')];
      report.results.push(await spacePairs(a, b, pairs, depth));
      // One blocking connection per lane, as a BRPOP worker has.
      const poppers = await Promise.all(Array.from({ length: depth }, connect));
      report.results.push(await queuePairs(await connect(), poppers, `bench:queue:${depth}`, pairs));
    }
    log('wake-up latency…');
    const [a, b] = [await node('bench/cluster/wake'), await node('bench/cluster/wake')];
    const rounds = quick ? 200 : 2_000;
    report.results.push(await spaceWakeups(a, b, rounds));
    report.results.push(await queueWakeups(await connect(), await connect(), rounds));
    log('selective take on aged spaces…');
    const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000];
    const admin = await connect();
    for (const size of sizes) report.results.push(...(await agedTake(admin, await node(`bench/cluster/aged-${size}`), size, sizes[0], log)));
  } finally {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    for (const c of clients) c.disconnect();
    await server.stop();
  }
  report.notes.push(
    'Node A and node B are two clients in one process, each with its own Redis connections and wake-up subscriber (not two node processes yet: the Redis space is not the cluster nodes\u2019 default space).',
    'Baseline: the same redis-server used directly as a work queue with the same client (ioredis): LPUSH on B, BRPOP on A (its own connection), at the same number in flight.',
  );
  linkBaselines(report);
  return report;
}

/** `depth` lanes, each: write one tuple on B, take it on A. Every value taken once. */
async function spacePairs(a: RedisTupleSpace, b: RedisTupleSpace, n: number, depth: number): Promise<BenchResult> {
  const seen = new Uint8Array(n);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: depth }, async () => {
      while (next < n) {
        const i = next++;
        await b.write(['job', i]);
        const got = (await a.take(['job', null], { timeoutMs: 10_000 })) as [string, number] | null;
        if (got === null) throw new Error('cluster bench: a take timed out');
        seen[got[1]]++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const wrong = seen.filter((c) => c !== 1).length;
  if (wrong !== 0) throw new Error(`cluster bench: ${wrong} values not taken exactly once`);
  return { id: `pairs.space.${depth}-in-flight`, value: Math.round(n / seconds), unit: 'pairs/s', baseline: `pairs.redis-queue.${depth}-in-flight`, target: '≥ 0.67× queue (≤ 1.5× its cost per pair)', check: `${n} tuples written on B, each taken on A exactly once` };
}

async function queuePairs(pusher: RedisClient, poppers: readonly RedisClient[], key: string, n: number): Promise<BenchResult> {
  const depth = poppers.length;
  const seen = new Uint8Array(n);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    poppers.map(async (lane) => {
      while (next < n) {
        const i = next++;
        await pusher.lpush(key, String(i));
        const got = await lane.brpop(key, 10);
        if (got === null) throw new Error('cluster bench: a BRPOP timed out');
        seen[Number(got[1])]++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const wrong = seen.filter((c) => c !== 1).length;
  if (wrong !== 0) throw new Error(`cluster bench: ${wrong} queue values not popped exactly once`);
  return { id: `pairs.redis-queue.${depth}-in-flight`, value: Math.round(n / seconds), unit: 'pairs/s', check: `${n} values LPUSHed, each BRPOPed exactly once` };
}

/** A take blocked on A, then a write on B: the time until the take resolves. */
async function spaceWakeups(a: RedisTupleSpace, b: RedisTupleSpace, rounds: number): Promise<BenchResult> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const taken = a.take(['wake', i], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 1)); // the take is filed as a waiter before the write
    let wrote = 0;
    const done = taken.then((t) => {
      samples.push(performance.now() - wrote);
      return t;
    });
    wrote = performance.now();
    await b.write(['wake', i]);
    const got = (await done) as [string, number] | null;
    if (got?.[1] !== i) throw new Error(`cluster bench: wake-up ${i} got ${String(got)}`);
  }
  samples.sort((x, y) => x - y);
  return { id: 'wakeup.space.p50', value: microseconds(percentile(samples, 0.5)), unit: 'µs', baseline: 'wakeup.redis-queue.p50', target: '≤ 300 µs (p99 ≤ 2 ms)', check: `${rounds} blocked takes each woken by the write of its own tuple; p99 ${microseconds(percentile(samples, 0.99))} µs` };
}

async function queueWakeups(pusher: RedisClient, popper: RedisClient, rounds: number): Promise<BenchResult> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const popped = popper.brpop('bench:wake', 10);
    await new Promise((r) => setTimeout(r, 1));
    let pushed = 0;
    const done = popped.then((v) => {
      samples.push(performance.now() - pushed);
      return v;
    });
    pushed = performance.now();
    await pusher.lpush('bench:wake', String(i));
    const got = await done;
    if (got?.[1] !== String(i)) throw new Error(`cluster bench: queue wake-up ${i} got ${String(got)}`);
  }
  samples.sort((x, y) => x - y);
  return { id: 'wakeup.redis-queue.p50', value: microseconds(percentile(samples, 0.5)), unit: 'µs', check: `${rounds} blocked BRPOPs each woken by an LPUSH; p99 ${microseconds(percentile(samples, 0.99))} µs` };
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
