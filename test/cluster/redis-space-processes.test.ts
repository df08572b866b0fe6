import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { RedisTupleSpace, RedisWakeups, spaceBaseKey } from '../../src/cluster/redis-space/index.js';
import { any } from '../../src/tuple/types.js';

const WORKER = join(import.meta.dirname, '../fixtures/redis-space-worker.ts');
let redis: RedisProcess;
let client: RedisClient;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'no' });
  client = await connectRedis([redis.url]);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  client?.disconnect();
  await redis?.stop();
});

const outputs = new WeakMap<ChildProcess, () => string>();
const outputSoFar = (child: ChildProcess) => outputs.get(child)!();

function worker(...args: string[]): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  outputs.set(child, () => out);
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const output = new Promise<string>((resolve, reject) => {
    child.once('exit', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`worker ${args.join(' ')} exited with ${code ?? signal}:\n${err}`))));
  });
  return { child, output };
}

describe('one Redis tuple space shared by several processes', () => {
  it('takers in three processes, woken by writers in two others, take every tuple exactly once and FIFO per writer', async () => {
    const name = 'shared/jobs';
    const space = await RedisTupleSpace.open({ name, redis: client });
    const takers = ['t1', 't2', 't3'].map((id) => worker('taker', redis.url, name, id, '4'));
    // Every taker's loops are blocked in Redis before any job exists: each job must wake one.
    for (let i = 0; i < 3; i++) expect(await space.take(['ready', any], { timeoutMs: 30_000 })).not.toBeNull();
    const perWriter = 300;
    const writers = ['w1', 'w2'].map((id) => worker('writer', redis.url, name, id, String(perWriter)));
    await Promise.all(writers.map((w) => w.output));
    await space.writeAll(Array.from({ length: 12 }, (_, i) => ['job', 'stop', i]));
    const loops = (await Promise.all(takers.map(async (t) => JSON.parse(await t.output) as [string, number][][]))).flat();

    const taken = loops.flat().map(([w, k]) => `${w}:${k}`);
    expect(taken).toHaveLength(2 * perWriter);
    expect(new Set(taken).size).toBe(2 * perWriter);
    // Each loop takes one at a time, oldest first: what it gets from one writer comes in that writer's order.
    for (const loop of loops) {
      for (const w of ['w1', 'w2']) {
        const ks = loop.filter(([writer]) => writer === w).map(([, k]) => k);
        expect(ks).toEqual([...ks].sort((a, b) => a - b));
      }
    }
    // More than one process took part.
    expect(loops.filter((loop) => loop.length > 0).length).toBeGreaterThan(1);
    expect(await space.count([any, any, any])).toBe(0);
    expect(await space.stats()).toMatchObject({ tuples: 0 });
    await space.close();
  }, 120_000);

  it('a process SIGKILLed while holding a crash-safe delivery gives its tuple back to a taker blocked elsewhere', async () => {
    const name = 'shared/held';
    const space = await RedisTupleSpace.open({ name, redis: client });
    await space.write(['held', 'x']);
    const holder = worker('holder', redis.url, name, '300');
    await expect.poll(() => outputSoFar(holder.child), { timeout: 30_000, interval: 20 }).toBe('READY x\n');
    holder.child.kill('SIGKILL');
    await holder.output.catch(() => undefined);
    // Blocked here, with no other operation on the space: the lease deadline in Redis brings it back.
    expect(await space.take(['held', any], { timeoutMs: 30_000 })).toEqual(['held', 'x']);
    await space.close();
  }, 60_000);

  it('a process killed while blocked does not swallow the tuple meant for it', async () => {
    const name = 'shared/orphans';
    const wakeups = await RedisWakeups.open(client, 'parent');
    const space = await RedisTupleSpace.open({ name, redis: client, wakeups });
    const blocker = worker('blocker', redis.url, name, '300');
    expect(await space.take(['blocker-ready'], { timeoutMs: 30_000 })).toEqual(['blocker-ready']);
    blocker.child.kill('SIGKILL');
    await blocker.output.catch(() => undefined);
    // Its liveness key lapses (300 ms without renewal): from then on a write skips its waiter.
    const liveness = `${spaceBaseKey(name).replace(/[{}]/g, '\\$&')}:n:*`;
    const others = async () => (await client.keys(liveness)).filter((key) => !key.endsWith(':n:parent'));
    await expect.poll(others, { timeout: 10_000, interval: 50 }).toEqual([]);
    await space.write(['orphan']);
    expect(await space.count(['orphan'])).toBe(1);
    expect(await client.hlen(`${spaceBaseKey(name)}:w`)).toBe(0);
    await space.close();
    await wakeups.close();
  }, 60_000);
});
