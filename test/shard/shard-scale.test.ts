import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { consistentHashPartitioner, hashPartitioner, rangePartitioner } from '../../src/shard/partitioner.js';
import { ShardGroup } from '../../src/shard/shard-group.js';
import { builtActor } from '../support/wasm-fixtures.js';

let runtime: ActorRuntime;
beforeAll(async () => {
  const { component } = await buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts'));
  runtime = new ActorRuntime({ workers: 2 });
  await runtime.deploy('kv-shard', component);
  await runtime.deploy('task-shard', builtActor('task-shard'));
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

/** Every key each shard holds, checked to be on the shard the group routes it to; throws on a duplicate. */
async function holdings(group: ShardGroup): Promise<Map<string | number, number>> {
  const owner = new Map<string | number, number>();
  for (const result of await group.map('keys', {}, { deadlineMs: 10_000 })) {
    expect(result.status).toBe('ok');
    for (const key of result.value as (string | number)[]) {
      if (owner.has(key)) throw new Error(`key ${key} is on shards ${owner.get(key)} and ${result.shard}`);
      owner.set(key, result.shard);
      expect(group.shardOf(key)).toBe(result.shard);
    }
  }
  return owner;
}

describe('ShardGroup.scale', () => {
  it('moves exactly the keys whose owner changes (≈1/N with consistent hashing), none lost or duplicated', async () => {
    const group = await ShardGroup.create(runtime, { id: 'grow', module: 'kv-shard', shards: 4 });
    const keys = Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? `user-${i}` : i));
    await group.bulkUpdate(keys.map((k, i) => [k, i]));
    const before = consistentHashPartitioner(4);
    const after = consistentHashPartitioner(6);
    const expectedMoves = keys.filter((k) => before.shardOf(k) !== after.shardOf(k)).length;

    const grown = await group.scale(6);
    expect(grown).toMatchObject({ from: 4, to: 6, keys: 4000, moved: expectedMoves });
    expect(expectedMoves / keys.length).toBeGreaterThan(0.2); // 2 of 6 shards are new: ≈ 1/3 moves
    expect(expectedMoves / keys.length).toBeLessThan(0.45);
    expect(group.shardCount).toBe(6);
    const owners = await holdings(group);
    expect(owners.size).toBe(4000);
    for (const [i, key] of keys.entries()) if (i % 97 === 0) expect((await group.sendToShard(key, 'get', { key })).value).toEqual({ key, value: i });

    const shrunk = await group.scale(3);
    expect(shrunk.moved).toBe(keys.filter((k) => after.shardOf(k) !== consistentHashPartitioner(3).shardOf(k)).length);
    expect((await holdings(group)).size).toBe(4000);
    expect(runtime.has('grow/shard-5')).toBe(false); // removed shards are stopped
    expect((await group.reduce('stats', {}, { op: 'sum', path: 'sum' })).value).toBe((3999 * 4000) / 2);
    await group.delete();
  });

  it('keeps serving while it rebalances: no acknowledged write is lost, none applied twice', async () => {
    const group = await ShardGroup.create(runtime, { id: 'traffic', module: 'kv-shard', shards: 3 });
    const n = 3000;
    await group.bulkUpdate(Array.from({ length: n }, (_, i) => [`k${i}`, 0] as const));
    const acknowledged = new Array<number>(n).fill(0);
    let stop = false;
    let writes = 0;
    let duringRebalance = 0;
    // Writers bump keys to increasing versions while the group scales 3 → 5 → 2.
    const writer = async (seed: number) => {
      for (let version = 1; !stop; version++) {
        const batch = Array.from({ length: 50 }, (_, j) => (seed * 7919 + version * 131 + j * 17) % n);
        const unique = [...new Set(batch)];
        const mid = group.rebalancing;
        const result = await group.bulkUpdate(unique.map((i) => [`k${i}`, version * 10 + seed] as const));
        expect(result.shards.every((s) => s.status === 'ok')).toBe(true);
        for (const i of unique) acknowledged[i] = version * 10 + seed;
        writes++;
        if (mid) duringRebalance++;
      }
    };
    // One writer, so "the last acknowledged value" of a key is well defined.
    const running = writer(1);
    await group.scale(5);
    await group.scale(2);
    stop = true;
    await running;
    expect(writes).toBeGreaterThan(0);
    expect(duringRebalance).toBeGreaterThan(0); // traffic really overlapped the moves
    const owners = await holdings(group);
    expect(owners.size).toBe(n);
    for (let i = 0; i < n; i++) {
      const got = await group.sendToShard(`k${i}`, 'get', { key: `k${i}` });
      expect((got.value as { value: number }).value).toBe(acknowledged[i]);
    }
    await group.delete();
  });

  it('a move that fails puts every key back and keeps the old shape', async () => {
    // Each shard holds at most 600 keys: 1500 keys fit on 4 shards, not on 2.
    const group = await ShardGroup.create(runtime, { id: 'full', module: 'kv-shard', shards: 4, partition: 'hash', config: JSON.stringify({ capacity: 600 }) });
    await group.bulkUpdate(Array.from({ length: 1500 }, (_, i) => [i, i] as const));
    await expect(group.scale(2)).rejects.toMatchObject({ code: 'PLEX_ERR_REBALANCE' });
    expect(group.shardCount).toBe(4);
    expect(group.partitionKind).toBe('hash');
    expect((await holdings(group)).size).toBe(1500);
    expect((await group.reduce('stats', {}, { op: 'sum', path: 'sum' })).value).toBe((1499 * 1500) / 2);
    expect(runtime.has('full/shard-3')).toBe(true);
    // It can still grow.
    expect((await group.scale(5)).to).toBe(5);
    expect((await holdings(group)).size).toBe(1500);
    await group.delete();
  });

  it('hash partitioning moves most keys; range needs new boundaries; stateless groups only add or remove shards', async () => {
    const hashed = await ShardGroup.create(runtime, { id: 'modn', module: 'kv-shard', shards: 4, partition: 'hash' });
    const keys = Array.from({ length: 1000 }, (_, i) => `h${i}`);
    await hashed.bulkUpdate(keys.map((k, i) => [k, i]));
    const moved = (await hashed.scale(5)).moved;
    expect(moved).toBe(keys.filter((k) => hashPartitioner(4).shardOf(k) !== hashPartitioner(5).shardOf(k)).length);
    expect(moved / keys.length).toBeGreaterThan(0.6);
    await hashed.delete();

    const ranged = await ShardGroup.create(runtime, { id: 'ranged', module: 'kv-shard', shards: 2, partition: rangePartitioner([500]) });
    await ranged.bulkUpdate(Array.from({ length: 1000 }, (_, i) => [i, i] as const));
    await expect(ranged.scale(3)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect((await ranged.scale(3, { partitioner: rangePartitioner([250, 750]) })).moved).toBe(500);
    expect((await holdings(ranged)).size).toBe(1000);
    await ranged.delete();

    const stateful = await ShardGroup.create(runtime, { id: 'nokeys', module: 'task-shard', shards: 2, codec: 'bytes' });
    await expect(stateful.scale(3)).rejects.toMatchObject({ code: 'PLEX_ERR_USAGE', message: expect.stringMatching(/keys\/extract/) });
    expect(stateful.shardCount).toBe(2);
    expect(runtime.has('nokeys/shard-2')).toBe(false);
    await stateful.delete();
    const stateless = await ShardGroup.create(runtime, { id: 'compute', module: 'task-shard', shards: 2, codec: 'bytes', stateless: true });
    expect(await stateless.scale(4)).toMatchObject({ from: 2, to: 4, moved: 0 });
    expect((await stateless.map('handled')).map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    await stateless.delete();
  });
});
