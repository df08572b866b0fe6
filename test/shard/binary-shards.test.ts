import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { bytesCodec, type ShardCodec } from '../../src/shard/shard-codec.js';
import { ShardGroupRegistry } from '../../src/shard/shard-group-registry.js';
import { ShardGroup } from '../../src/shard/shard-group.js';
import { builtActor } from '../support/wasm-fixtures.js';

let runtime: ActorRuntime;
beforeAll(async () => {
  const { component } = await buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts'));
  runtime = new ActorRuntime({ workers: 2 });
  await runtime.deploy('kv-shard', component);
  await runtime.deploy('task-shard', builtActor('task-shard'));
  await runtime.deploy('scale', builtActor('shared-scale'));
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

function collatz(start: number): number {
  let steps = 0;
  for (let n = start; n !== 1; n = n % 2 === 0 ? n / 2 : 3 * n + 1) steps++;
  return steps;
}

describe('ShardGroup with binary core-module shards', () => {
  it('mapItems cuts typed items into chunks, one message each, and puts the results back in order', async () => {
    const group = await ShardGroup.create(runtime, { id: 'tasks', module: 'task-shard', shards: 5, codec: 'bytes', stateless: true });
    const items = Int32Array.from({ length: 10_007 }, (_, i) => i + 1);
    const byShard = await group.mapItems('collatz', items);
    expect(byShard.complete).toBe(true);
    expect(byShard.chunks).toHaveLength(5);
    expect(byShard.values).toBeInstanceOf(Int32Array);
    expect(Array.from(byShard.values)).toEqual(Array.from(items, collatz));
    const small = await group.mapItems('collatz', items.subarray(0, 1000), { chunkSize: 64 });
    expect(small.chunks).toHaveLength(16);
    expect(small.chunks.map((c) => c.shard)).toEqual(Array.from({ length: 16 }, (_, c) => c % 5));
    expect(Array.from(small.values)).toEqual(Array.from(items.subarray(0, 1000), collatz));
    const handled = await group.map('handled');
    const total = handled.reduce((sum, r) => sum + Number(new DataView((r.value as Uint8Array).slice().buffer).getBigUint64(0, true)), 0);
    expect(total).toBe(5 + 16 + 5); // one message per chunk, plus each shard's own 'handled' query
    await group.delete();
  });

  it('reports a chunk a shard refuses or answers with the wrong size, and keeps the others', async () => {
    const group = await ShardGroup.create(runtime, { id: 'refuse', module: 'task-shard', shards: 2, codec: 'bytes', stateless: true });
    const wrongSize = await group.mapItems('sum-f64', new Float64Array([1, 2, 3, 4]));
    expect(wrongSize.complete).toBe(false);
    expect(wrongSize.chunks.map((c) => c.errorCode)).toEqual(['PLEX_ERR_BAD_REPLY', 'PLEX_ERR_BAD_REPLY']);
    const unknown = await group.map('no-such-message');
    expect(unknown.map((r) => r.status)).toEqual(['error', 'error']);
    expect(unknown[0].errorCode).toBe('PLEX_ERR_ACTOR_FAILED');
    expect((await group.mapItems('collatz', Int32Array.of(6, 7))).values).toEqual(Int32Array.of(8, 16)); // the shards are still fine
    await expect(group.map('barrier', { round: 1 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' }); // not bytes
    await group.delete();
  });

  it('a codec of your own: float64 replies reduced with sum, barriers as 4-byte rounds', async () => {
    const float64: ShardCodec = {
      name: 'float64',
      encode: (payload) => bytesCodec.encode(payload),
      decode: (reply) => new DataView(reply.buffer, reply.byteOffset, reply.byteLength).getFloat64(0, true),
    };
    const group = await ShardGroup.create(runtime, { id: 'f64', module: 'task-shard', shards: 4, codec: float64, stateless: true });
    const parts = [0, 1, 2, 3].map((s) => Float64Array.from({ length: 100 }, (_, i) => s * 100 + i + 0.5));
    const sums = await group.scatter('sum-f64', parts);
    expect(sums.map((r) => r.value)).toEqual(parts.map((p) => p.reduce((a, b) => a + b, 0)));
    const total = await group.reduce('sum-f64', Float64Array.of(1.5, 2), { op: 'sum' });
    expect(total.value).toBe(4 * 3.5);
    await expect(group.scatter('sum-f64', parts.slice(1))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await group.delete();
  });

  it('shards on a shared memory work on one array in place: payloads carry offsets, not the numbers', async () => {
    const n = 20 * 4096;
    const memory = new WebAssembly.Memory({ initial: 8, maximum: 512, shared: true });
    const data = new Float32Array(memory.buffer, 0, n);
    for (let i = 0; i < n; i++) data[i] = (i % 10) + 1;
    runtime.shareMemory('vectors', memory);
    const group = await ShardGroup.create(runtime, { id: 'zero-copy', module: 'scale', shards: 4, codec: 'bytes', memory: 'vectors', stateless: true });
    const share = n / 4;
    const tasks = [0, 1, 2, 3].map((s) => {
      const task = new DataView(new ArrayBuffer(12));
      task.setUint32(0, s * share * 4, true);
      task.setUint32(4, share, true);
      task.setFloat32(8, 3, true);
      return task;
    });
    const answers = await group.scatter('s', tasks);
    expect(answers.every((a) => a.status === 'ok' && (a.value as Uint8Array).byteLength === 4)).toBe(true);
    const view = new Float32Array(memory.buffer, 0, n);
    for (let i = 0; i < n; i++) if (view[i] !== ((i % 10) + 1) * 3) throw new Error(`element ${i} is ${view[i]}`);
    const checksum = answers.reduce((sum, a) => sum + new Float32Array((a.value as Uint8Array).slice().buffer)[0], 0);
    expect(checksum).toBeCloseTo(n * 5.5 * 3, -2);
    await group.delete();
  });
});

describe('ShardGroup with SDK shards', () => {
  it('mapItems over JSON items, and a throwing handler is an error status with its message', async () => {
    const group = await ShardGroup.create(runtime, { id: 'json-items', module: 'kv-shard', shards: 3 });
    const items = Array.from({ length: 500 }, (_, i) => i + 1);
    const mapped = await group.mapItems('collatz', items, { chunkSize: 40 });
    expect(mapped.complete).toBe(true);
    expect(mapped.values).toEqual(items.map(collatz));
    const refused = await group.bulkUpdate([['a', 'not a number' as unknown as number]]);
    expect(refused.shards[0]).toMatchObject({ status: 'error', errorCode: 'PLEX_ERR_HANDLER_FAILED', errorMessage: expect.stringMatching(/values are numbers/) });
    expect((await group.sendToShard('a', 'get', { key: 'a' })).value).toEqual({ key: 'a', value: null });
    await group.delete();
  });
});

describe('ShardGroupRegistry', () => {
  it('creates, gets, lists and deletes groups by id; refuses a duplicate and unknown ids', async () => {
    const registry = new ShardGroupRegistry(runtime);
    const created = await registry.create({ id: 'reg-a', module: 'task-shard', shards: 2, codec: 'bytes', stateless: true });
    await expect(registry.create({ id: 'reg-a', module: 'task-shard', shards: 2 })).rejects.toMatchObject({ code: 'PLEX_ERR_SHARD_GROUP_EXISTS' });
    await registry.create({ id: 'reg-b', module: 'kv-shard', shards: 3, partition: 'hash' });
    expect(registry.get('reg-a')).toBe(created);
    expect(registry.list()).toEqual([
      // A registry of the library's own runtime knows no node: where its shards run is not said.
      { id: 'reg-a', module: 'task-shard', shards: 2, partition: 'consistent-hash', codec: 'bytes', rebalancing: false, nodes: [null, null] },
      { id: 'reg-b', module: 'kv-shard', shards: 3, partition: 'hash', codec: 'json', rebalancing: false, nodes: [null, null, null] },
    ]);
    await registry.delete('reg-a');
    expect(runtime.has('reg-a/shard-0')).toBe(false);
    expect(() => registry.get('reg-a')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_SHARD_GROUP_NOT_FOUND' }));
    await expect(registry.delete('nope')).rejects.toMatchObject({ code: 'PLEX_ERR_SHARD_GROUP_NOT_FOUND' });
    await registry.deleteAll();
    expect(registry.list()).toEqual([]);
  });
});

describe('ShardGroup.dispatch', () => {
  it('sends each task to the shard it names, answers in task order, and rejects unknown shards', async () => {
    const group = await ShardGroup.create(runtime, { id: 'dispatch', module: 'task-shard', shards: 3, codec: 'bytes', stateless: true });
    const tasks = Array.from({ length: 10 }, (_, t) => ({ shard: (t * 7) % 3, payload: Int32Array.of(t + 1) }));
    const seen: number[] = [];
    const results = await group.dispatch('collatz', tasks, { onResult: (r) => seen.push(r.shard) });
    expect(results.map((r) => r.shard)).toEqual(tasks.map((t) => t.shard));
    expect(results.map((r) => new Int32Array((r.value as Uint8Array).slice().buffer)[0])).toEqual(tasks.map((_, t) => collatz(t + 1)));
    expect(seen).toHaveLength(10);
    await expect(group.dispatch('collatz', [{ shard: 3, payload: Int32Array.of(1) }])).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await group.delete();
  });
});
