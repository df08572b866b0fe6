import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { ShardGroup } from '../../src/shard/shard-group.js';

let runtime: ActorRuntime;
beforeAll(async () => {
  const { component } = await buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts'));
  runtime = new ActorRuntime({ workers: 2, watchdogMs: 300 });
  await runtime.deploy('kv-shard', component);
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

describe('ShardGroup', () => {
  it('bulkUpdate routes every key to its owner; reductions match a direct computation', async () => {
    const group = await ShardGroup.create(runtime, { id: 'kv', module: 'kv-shard', shards: 8 });
    const entries = Array.from({ length: 2000 }, (_, i) => [`k${i}`, i] as const);
    const result = await group.bulkUpdate(entries);
    expect(result.shards.every((s) => s.status === 'ok')).toBe(true);
    // Each key is on the shard the partitioner names, and only there.
    for (const i of [0, 17, 999, 1999]) {
      const answer = await group.sendToShard(`k${i}`, 'get', { key: `k${i}` });
      expect(answer.value).toEqual({ key: `k${i}`, value: i });
    }
    const keys = await group.scatterGather<string[]>('keys', {}, { aggregate: 'concat' });
    expect(keys.value.sort()).toEqual(entries.map(([k]) => k).sort());
    const sum = await group.reduce('stats', {}, { op: 'sum', path: 'sum' });
    expect(sum.value).toBe((1999 * 2000) / 2);
    expect((await group.reduce('stats', {}, { op: 'max', path: 'max' })).value).toBe(1999);
    expect((await group.reduce('stats', {}, { op: 'min', path: 'min' })).value).toBe(0);
    expect((await group.reduce('stats', {}, { op: 'and', path: 'nonEmpty' })).value).toBe(true);
    const counts = await group.map('stats');
    expect(counts.map((c) => (c.value as { count: number }).count).reduce((a, b) => a + b, 0)).toBe(2000);
    await group.delete();
  });

  it('aggregates with merge, first, majority and a custom reducer', async () => {
    const group = await ShardGroup.create(runtime, { id: 'agg', module: 'kv-shard', shards: 4, partition: 'hash' });
    await group.bulkUpdate([['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]]);
    const merged = await group.scatterGather<Record<string, unknown>>('barrier', { round: 7 }, { aggregate: 'merge' });
    expect(merged.value).toEqual({ round: 7 });
    const first = await group.scatterGather('barrier', { round: 8 }, { aggregate: 'first' });
    expect(first.value).toEqual({ round: 8 });
    const majority = await group.scatterGather('barrier', { round: 9 }, { aggregate: 'majority' });
    expect(majority.value).toEqual({ round: 9 });
    const total = await group.scatterGather('stats', {}, { aggregate: (values) => (values as { count: number }[]).reduce((a, v) => a + v.count, 0) });
    expect(total.value).toBe(5);
    expect((await group.barrier(10)).satisfied).toBe(true);
    const all = await group.allReduce('stats', {}, { op: 'sum', path: 'sum' });
    expect(all.value).toBe(15);
    const seen = await group.map('last-all-reduce');
    expect(seen.map((s) => s.value)).toEqual([{ value: 15 }, { value: 15 }, { value: 15 }, { value: 15 }]);
    await group.delete();
  });

  it('deadlines and minResponses give partial results with per-shard status', async () => {
    // Two shards on the two workers (a busy shard delays every actor on its worker).
    const group = await ShardGroup.create(runtime, { id: 'partial', module: 'kv-shard', shards: 2 });
    expect(runtime.placement().filter((p) => p.actorId.startsWith('partial/')).map((p) => p.worker)).toEqual([0, 1]);
    runtime.tell('partial/shard-0', 'slow', JSON.stringify({ ms: 250 }));
    const gathered = await group.scatterGather('barrier', { round: 1 }, { deadlineMs: 100 });
    expect(gathered.shards.map((s) => s.status)).toEqual(['timeout', 'ok']);
    expect(gathered.shards[0].errorCode).toBe('PLEX_ERR_ASK_TIMEOUT');
    expect(gathered.value).toEqual([{ round: 1 }]);
    expect(gathered.satisfied).toBe(false);
    runtime.tell('partial/shard-0', 'slow', JSON.stringify({ ms: 250 }));
    const quorum = await group.scatterGather('barrier', { round: 2 }, { minResponses: 1, deadlineMs: 2000 });
    expect(quorum.satisfied).toBe(true);
    expect(quorum.shards.map((s) => s.status)).toEqual(['timeout', 'ok']);
    await new Promise((r) => setTimeout(r, 300));
    await group.delete();
  });

  it('streams answers in completion order', async () => {
    const group = await ShardGroup.create(runtime, { id: 'stream', module: 'kv-shard', shards: 2 });
    runtime.tell('stream/shard-0', 'slow', JSON.stringify({ ms: 150 }));
    const order: number[] = [];
    for await (const result of group.scatterGatherStream('barrier', { round: 3 }, { deadlineMs: 5000 })) order.push(result.shard);
    expect(order).toEqual([1, 0]);
    await group.delete();
  });

  it('a crashing shard is reported in the gather and restarted', async () => {
    const group = await ShardGroup.create(runtime, { id: 'crash', module: 'kv-shard', shards: 3 });
    const gathered = await group.scatterGather('hang', {}, { deadlineMs: 5000 });
    expect(gathered.shards.map((s) => s.errorCode)).toEqual(['PLEX_ERR_ACTOR_TIMEOUT', 'PLEX_ERR_ACTOR_TIMEOUT', 'PLEX_ERR_ACTOR_TIMEOUT']);
    for (let i = 0; i < 100 && ![0, 1, 2].every((s) => runtime.has(`crash/shard-${s}`)); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await group.barrier(1)).satisfied).toBe(true);
    await group.delete();
  });

  it('rejects bad options and bad keys', async () => {
    await expect(ShardGroup.create(runtime, { id: 'bad id!', module: 'kv-shard', shards: 2 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(ShardGroup.create(runtime, { id: 'nomod', module: 'nope', shards: 2 })).rejects.toMatchObject({ code: 'PLEX_ERR_MODULE_NOT_FOUND' });
    const group = await ShardGroup.create(runtime, { id: 'opts', module: 'kv-shard', shards: 2 });
    await expect(group.scatterGather('stats', {}, { minResponses: 5 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(group.bulkUpdate([[null as never, 1]])).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await group.delete();
  });
});

describe('ShardGroup backpressure', () => {
  it('an operation waits for room and fails with PLEX_ERR_BACKPRESSURE at its deadline', async () => {
    const group = await ShardGroup.create(runtime, { id: 'bp', module: 'kv-shard', shards: 2, maxInFlight: 2 });
    runtime.tell('bp/shard-0', 'slow', JSON.stringify({ ms: 300 }));
    const first = group.map('stats', {}, { deadlineMs: 2000 }); // takes the 2 slots until shard 0 answers
    await expect(group.map('stats', {}, { deadlineMs: 50 })).rejects.toMatchObject({ code: 'PLEX_ERR_BACKPRESSURE' });
    const queued = group.map('stats', {}, { deadlineMs: 3000 }); // waits for room, then runs
    expect((await first).every((r) => r.status === 'ok')).toBe(true);
    expect((await queued).every((r) => r.status === 'ok')).toBe(true);
    await group.delete();
  });
});
