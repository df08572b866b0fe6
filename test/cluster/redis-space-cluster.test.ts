import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisCluster, type RedisClusterProcess } from '../../src/cluster/redis-process.js';
import { RedisTupleSpace, RedisWakeups, spaceBaseKey } from '../../src/cluster/redis-space/index.js';
import { any } from '../../src/tuple/types.js';
import { atomicallyConformance, type TransactionalSpace } from '../space/conformance/atomically.js';
import { blockingConformance } from '../space/conformance/blocking.js';
import type { SpaceHarness } from '../space/conformance/harness.js';
import { watchConformance } from '../space/conformance/watch.js';
import { quotaConformance } from '../space/conformance/quotas.js';

// A three-master Redis Cluster on loopback: each space's keys share one hash tag, so its scripts run on one slot.
let cluster: RedisClusterProcess;
let client: RedisClient;
let wakeups: RedisWakeups;
let made = 0;

beforeAll(async () => {
  cluster = await startRedisCluster(3, { appendfsync: 'no' });
  client = await connectRedis(cluster.urls);
  wakeups = await RedisWakeups.open(client);
});
afterAll(async () => {
  await wakeups?.close();
  client?.disconnect();
  await cluster?.stop();
});

const clusterHarness: SpaceHarness = {
  label: 'RedisTupleSpace on Redis Cluster',
  make: () => RedisTupleSpace.open({ name: `cluster/${made++}`, redis: client, wakeups }),
  stats: (space) => (space as RedisTupleSpace).stats(),
  settleWatchers: (space) => (space as RedisTupleSpace).syncWatchers(),
};

/** Another process's handle on the same space: its own connection, so its own wakeups and script order. */
async function openPeer(space: TransactionalSpace): Promise<TransactionalSpace> {
  const connection = await connectRedis(cluster.urls);
  const peer = await RedisTupleSpace.open({ name: space.name, redis: connection });
  const close = peer.close.bind(peer);
  return Object.assign(peer, { close: () => close().finally(() => connection.disconnect()) });
}

describe('RedisTupleSpace on a Redis Cluster: atomically', () => atomicallyConformance({ ...clusterHarness, openPeer }));
describe('RedisTupleSpace on a Redis Cluster: blocking and bulk operations', () => blockingConformance(clusterHarness));
describe('RedisTupleSpace on a Redis Cluster: watch', () => watchConformance(clusterHarness));
quotaConformance({ ...clusterHarness, makeWithQuota: (quota) => RedisTupleSpace.open({ name: `cluster/${made++}`, redis: client, wakeups, quota }) });

describe('RedisTupleSpace on a Redis Cluster', () => {
  it('spreads spaces over every master, each space on one slot', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `tenant/ns/spread-${i}`);
    const spaces = await Promise.all(names.map((name) => RedisTupleSpace.open({ name, redis: client, wakeups })));
    await Promise.all(spaces.map((s, i) => s.writeAll([['k', i, 'a'], ['k', i, 'b']])));
    await Promise.all(spaces.map(async (s, i) => expect(await s.takeAll(['k', i, any])).toEqual([['k', i, 'a'], ['k', i, 'b']])));
    const slots = await Promise.all(names.map((name) => client.cluster('KEYSLOT', `${spaceBaseKey(name)}:t`) as Promise<number>));
    // redis-cli --cluster create splits the 16384 slots evenly: one third per master.
    const masters = new Set(slots.map((slot) => Math.floor(slot / (16384 / 3))));
    expect(masters.size).toBe(3);
    // Every key of a space is in its base key's slot.
    for (const [i, name] of names.entries()) {
      expect(await client.cluster('KEYSLOT', `${spaceBaseKey(name)}:x:3:2:whatever`)).toBe(slots[i]);
    }
    await Promise.all(spaces.map((s) => s.close()));
  });

  it('a blocked take through one client is woken by a write through another', async () => {
    const other = await connectRedis(cluster.urls);
    const name = 'tenant/ns/wake';
    const a = await RedisTupleSpace.open({ name, redis: client, wakeups });
    const b = await RedisTupleSpace.open({ name, redis: other });
    const taken = Array.from({ length: 5 }, () => a.take(['job', any], { timeoutMs: 30_000 }));
    await a.count(['sync']);
    await b.writeAll([1, 2, 3, 4, 5].map((i) => ['job', i]));
    expect(await Promise.all(taken)).toEqual([1, 2, 3, 4, 5].map((i) => ['job', i]));
    expect(await b.count([any, any])).toBe(0);
    await Promise.all([a.close(), b.close()]);
    other.disconnect();
  });
});
