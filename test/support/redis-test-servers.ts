import { afterAll, beforeAll } from 'vitest';
import type { RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisCluster, startRedisServer, type RedisClusterProcess, type RedisProcess } from '../../src/cluster/redis-process.js';

export interface RedisTestServers {
  /** One redis-server on loopback (valid inside tests). */
  readonly redis: RedisProcess;
  /** A three-master Redis Cluster on loopback (valid inside tests). */
  readonly cluster: RedisClusterProcess;
  /** Connections to disconnect after the file's tests. */
  readonly clients: RedisClient[];
  /** Services to close after the file's tests, before the connections go. */
  readonly closers: (() => void)[];
}

/**
 * The backends the cluster conformance suites run on: a redis-server and a
 * three-master Redis Cluster started before the file's tests and stopped
 * after them, closing what the tests registered first.
 */
export function useRedisTestServers(): RedisTestServers {
  let redis: RedisProcess | undefined;
  let cluster: RedisClusterProcess | undefined;
  const clients: RedisClient[] = [];
  const closers: (() => void)[] = [];
  beforeAll(async () => {
    [redis, cluster] = await Promise.all([startRedisServer(), startRedisCluster(3)]);
  }, 60_000);
  afterAll(async () => {
    for (const close of closers) close();
    for (const client of clients) client.disconnect();
    await Promise.all([redis?.stop(), cluster?.stop()]);
  });
  return {
    get redis() {
      return redis!;
    },
    get cluster() {
      return cluster!;
    },
    clients,
    closers,
  };
}
