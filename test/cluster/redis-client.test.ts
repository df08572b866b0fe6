import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, onBackend, parseRedisUrls } from '../../src/cluster/redis-client.js';
import { startRedisCluster, startRedisServer, type RedisClusterProcess, type RedisProcess } from '../../src/cluster/redis-process.js';
import { ErrorCode } from '../../src/errors.js';

const started: (RedisProcess | RedisClusterProcess)[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

describe('the cluster backend connection', () => {
  it('refuses URLs it cannot use, naming them', () => {
    expect(() => parseRedisUrls([])).toThrow(/at least one Redis URL/);
    expect(() => parseRedisUrls(['localhost:6379'])).toThrow(/must start with redis:\/\//);
    expect(() => parseRedisUrls(['redis://h:1/x'])).toThrow(/database .* must be a number/);
    expect(parseRedisUrls(['redis://u:p%40ss@h:7000/2'])).toEqual([{ host: 'h', port: 7000, username: 'u', password: 'p@ss', db: 2 }]);
  });

  it('fails fast with PLEX_ERR_BACKEND_UNAVAILABLE while Redis is down and reconnects by itself', async () => {
    let redis = await startRedisServer({ appendfsync: 'always' });
    started.push(redis);
    const client = await connectRedis([redis.url]);
    await onBackend('set', () => client.set('k', 'v1'));
    await redis.kill9();
    const failed = await onBackend('get', () => client.get('k')).then(
      () => undefined,
      (error: { code?: string }) => error,
    );
    expect(failed?.code).toBe(ErrorCode.BackendUnavailable);
    redis = await redis.restart();
    started.push(redis);
    // The acknowledged write is back (AOF always), through the same client, reconnected on its own.
    await expect.poll(() => onBackend('get', () => client.get('k')).catch(() => 'down'), { timeout: 10_000, interval: 100 }).toBe('v1');
    client.disconnect();
  }, 30_000);

  it('an unreachable backend at connect is PLEX_ERR_BACKEND_UNAVAILABLE naming it', async () => {
    const redis = await startRedisServer();
    await redis.stop();
    await expect(connectRedis([redis.url])).rejects.toMatchObject({ code: ErrorCode.BackendUnavailable, message: expect.stringContaining(redis.url) });
  });

  it('connects to a three-master Redis Cluster and routes keys by slot', async () => {
    const cluster = await startRedisCluster(3);
    started.push(cluster);
    const client = await connectRedis(cluster.urls);
    for (let i = 0; i < 30; i++) await client.set(`key-${i}`, String(i));
    const values = await Promise.all(Array.from({ length: 30 }, (_, i) => client.get(`key-${i}`)));
    expect(values).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    // Keys spread over every master.
    const sizes = await Promise.all(cluster.members.map(async (m) => {
      const single = await connectRedis([m.url], { cluster: false });
      const n = await single.dbsize();
      single.disconnect();
      return n;
    }));
    expect(sizes.every((n) => n > 0)).toBe(true);
    client.disconnect();
  }, 30_000);
});
