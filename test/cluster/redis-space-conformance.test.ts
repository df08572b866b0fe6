import { afterAll, beforeAll, describe } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { RedisTupleSpace, RedisWakeups } from '../../src/cluster/redis-space/index.js';
import { atomicallyConformance, type TransactionalSpace } from '../space/conformance/atomically.js';
import { blockingConformance } from '../space/conformance/blocking.js';
import { concurrencyConformance } from '../space/conformance/concurrency.js';
import type { SpaceHarness } from '../space/conformance/harness.js';
import { indexPropertyConformance } from '../space/conformance/index-property.js';
import { watchConformance } from '../space/conformance/watch.js';
import { quotaConformance } from '../space/conformance/quotas.js';
import { ackWithConformance } from '../space/conformance/ack-with.js';

// The in-process space's behaviour suites, run against the Redis space on a real redis-server.
let redis: RedisProcess;
let client: RedisClient;
let wakeups: RedisWakeups;
let made = 0;

beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'no' });
  client = await connectRedis([redis.url]);
  wakeups = await RedisWakeups.open(client);
});
afterAll(async () => {
  await wakeups?.close();
  client?.disconnect();
  await redis?.stop();
});

const redisHarness: SpaceHarness = {
  label: 'RedisTupleSpace',
  // A fresh name per space: spaces never share keys, so every one starts empty.
  make: () => RedisTupleSpace.open({ name: `conformance/${made++}`, redis: client, wakeups }),
  stats: (space) => (space as RedisTupleSpace).stats(),
  settleWatchers: (space) => (space as RedisTupleSpace).syncWatchers(),
};

/** Another process's handle on the same space: its own connection, so its own wakeups and script order. */
async function openPeer(space: TransactionalSpace): Promise<TransactionalSpace> {
  const connection = await connectRedis([redis.url]);
  const peer = await RedisTupleSpace.open({ name: space.name, redis: connection });
  const close = peer.close.bind(peer);
  return Object.assign(peer, { close: () => close().finally(() => connection.disconnect()) });
}

describe('RedisTupleSpace: atomically', () => atomicallyConformance({ ...redisHarness, openPeer }));
describe('RedisTupleSpace: blocking and bulk operations', () => blockingConformance(redisHarness));
describe('RedisTupleSpace: concurrent takers', () => concurrencyConformance(redisHarness));
describe('RedisTupleSpace: the index agrees with the oracle', () => indexPropertyConformance(redisHarness));
describe('RedisTupleSpace: watch', () => watchConformance(redisHarness));
quotaConformance({ ...redisHarness, makeWithQuota: (quota) => RedisTupleSpace.open({ name: `conformance/${made++}`, redis: client, wakeups, quota }) });
ackWithConformance({ ...redisHarness, makeWithQuota: (quota) => RedisTupleSpace.open({ name: `conformance/${made++}`, redis: client, wakeups, quota }) });
