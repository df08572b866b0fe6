import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { RedisTupleSpace } from '../../src/cluster/redis-space/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { PipelineSpec } from '../../src/pipeline/pipeline-spec.js';
import type { Tuple } from '../../src/tuple/types.js';
import { startWorkerProcess } from '../support/worker-process.js';

// The same pipeline run twice over one Redis space, each with its own connection — what two nodes
// of a cluster do when each starts the pipeline on the shared space. Their stages compete for the
// same tuples: each drain must still end (a stage whose last counted tuples the other took must
// notice), and together they must hand every input through every stage exactly once.

let redis: RedisProcess;
const clients: RedisClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WORKER = join(import.meta.dirname, '../fixtures/pipeline-redis-worker.ts');

function startWorker(space: string, mode: 'run' | 'drain') {
  return startWorkerProcess(WORKER, [redis.url, space, mode]);
}

beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'no' });
  clients.push(await connectRedis([redis.url]), await connectRedis([redis.url]));
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis?.stop();
});

const spec: PipelineSpec = {
  name: 'shared',
  stages: [
    { name: 'square', input: ['in', null], instances: 2, maxBacklog: 64, handler: async ([, n]) => (await sleep(1), [['mid', n, (n as number) ** 2]]) },
    { name: 'tag', input: ['mid', null, null], instances: 2, maxBacklog: 64, handler: async ([, n, sq]) => (await sleep(1), [['out', n, `${sq}`]]) },
  ],
};

describe('one pipeline on two nodes over a shared Redis space', () => {
  it('both drains end and every input comes out exactly once, round after round', async () => {
    const total = 400;
    for (let round = 0; round < 5; round++) {
      const name = `shared-pipeline-${round}`;
      const spaces = [await RedisTupleSpace.open({ name, redis: clients[0] }), await RedisTupleSpace.open({ name, redis: clients[1] })];
      const pipelines = [await Pipeline.start(spec, spaces[0]), await Pipeline.start(spec, spaces[1])];
      // Evens through one node, odds through the other, at once.
      await Promise.all(
        pipelines.map(async (pipeline, side) => {
          for (let n = side; n < total; n += 2) await pipeline.write(['in', n]);
        }),
      );
      const figures = await Promise.all(pipelines.map((p) => p.drain()));
      expect(figures.map((f) => f.state)).toEqual(['finished', 'finished']);
      // Between them the two nodes' stages took every tuple once.
      for (const stage of [0, 1]) expect(figures[0].stages[stage].done + figures[1].stages[stage].done).toBe(total);
      const out = (await spaces[0].takeAll(['out', null, null])) as Tuple[];
      expect(out.map(([, n]) => n as number).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, n) => n));
      expect(out.every(([, n, sq]) => sq === `${(n as number) ** 2}`)).toBe(true);
      expect(await spaces[1].count(['in', null])).toBe(0);
      expect(await spaces[1].count(['mid', null, null])).toBe(0);
      expect(await spaces[0].stats()).toMatchObject({ tuples: 0, inflight: 0, waiters: 0 });
      await Promise.all(spaces.map((s) => s.close()));
    }
  }, 120_000);

  it('a node whose stages are slow is not held back forever by a backlog the other node’s stages emptied', async () => {
    // Every input is written through the slow side, and the fast side takes most of it: the slow
    // side's tally of what waits for its stages (written minus taken by it) alone would pass the
    // bound of 16 and stop its writer; counting the space again lets it go on.
    const name = 'shared-tally';
    const spaces = [await RedisTupleSpace.open({ name, redis: clients[0] }), await RedisTupleSpace.open({ name, redis: clients[1] })];
    const side = (delayMs: number): PipelineSpec => ({
      name: 'tally',
      stages: [
        { name: 'square', input: ['in', null], maxBacklog: 16, handler: async ([, n]) => (await sleep(delayMs), [['mid', n, (n as number) ** 2]]) },
        { name: 'tag', input: ['mid', null, null], maxBacklog: 16, handler: async ([, n, sq]) => (await sleep(delayMs), [['out', n, `${sq}`]]) },
      ],
    });
    const [slow, fast] = [await Pipeline.start(side(25), spaces[0]), await Pipeline.start(side(0), spaces[1])];
    const total = 300;
    for (let n = 0; n < total; n++) await slow.write(['in', n]);
    const figures = await Promise.all([slow.drain(), fast.drain()]);
    expect(figures.map((f) => f.state)).toEqual(['finished', 'finished']);
    expect(figures[1].stages[0].done).toBeGreaterThan(figures[0].stages[0].done); // the fast side did most of it
    const out = (await spaces[0].takeAll(['out', null, null])) as Tuple[];
    expect(out.map(([, n]) => n as number).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, n) => n));
    await Promise.all(spaces.map((s) => s.close()));
  }, 60_000);

  it('a process SIGKILLed mid-flight: the other drains, waiting for what the dead one held, and every input arrives once', async () => {
    const total = 1500;
    for (let round = 0; round < 2; round++) {
      const name = `shared-kill-${round}`;
      const space = await RedisTupleSpace.open({ name, redis: clients[0] });
      await space.writeAll(Array.from({ length: total }, (_, n) => ['a', n]));
      const doomed = startWorker(name, 'run');
      await doomed.started;
      const survivor = startWorker(name, 'drain');
      await survivor.started;
      // Late in the run, at a random point: the survivor then has less left to do than the dead one's leases last.
      const killAt = total * (0.6 + Math.random() * 0.3);
      while ((await space.count(['d', null])) < killAt) await sleep(20);
      doomed.child.kill('SIGKILL');
      expect(await doomed.exited).toBeNull();
      const doneAtKill = await space.count(['d', null]);
      let heldAtKill = 0;
      for (const tag of ['a', 'b', 'c']) heldAtKill += await space.heldBy(`pipeline:shared/${tag}`);
      expect(await survivor.exited, survivor.stderr()).toBe(0);
      const ids = (await space.readAll(['d', null])).map((t) => t[1] as number);
      expect(new Set(ids).size, 'no duplicates').toBe(ids.length);
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, n) => n));
      for (const tag of ['a', 'b', 'c']) expect(await space.count([tag, null]), tag).toBe(0);
      expect(await space.stats()).toMatchObject({ inflight: 0 });
      // The kill landed mid-flight: part of the work done, tuples held (the dead one's among them).
      expect(doneAtKill).toBeLessThan(total);
      expect(heldAtKill).toBeGreaterThan(0);
      await space.close();
    }
  }, 120_000);
});
