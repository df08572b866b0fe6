import { useRedisTestServers } from '../support/redis-test-servers.js';
import { describe, expect, it } from 'vitest';
import { localKv, localLocks, type KvService, type LockService } from '../../src/coord/coordination-services.js';
import { KvStore } from '../../src/coord/kv-store.js';
import { LockManager } from '../../src/coord/lock-manager.js';
import { openNodeDatabase } from '../../src/coord/node-database.js';
import { connectRedis } from '../../src/cluster/redis-client.js';
import { RedisKv } from '../../src/cluster/redis-coordination/redis-kv.js';
import { RedisLocks } from '../../src/cluster/redis-coordination/redis-locks.js';
import { startRedisServer } from '../../src/cluster/redis-process.js';

// One contract, three backends: the node's own SQLite, one redis-server, and
// a three-master Redis Cluster. With Redis, two "nodes" (two independent
// connections, as two processes would have) share the state: what one
// writes or holds, the other sees.

interface Backend {
  kv: KvService;
  locks: LockService;
  /** A second node's view of the same state (for the local backend: the same objects). */
  other: { kv: KvService; locks: LockService };
}

const acme = { tenant: 'acme', namespace: 'prod' };
const globex = { tenant: 'globex', namespace: 'prod' };
const servers = useRedisTestServers();
let run = 0;

async function redisBackend(urls: readonly string[]): Promise<Backend> {
  const node = async () => {
    const client = await connectRedis(urls);
    servers.clients.push(client);
    const locks = new RedisLocks(client);
    servers.closers.push(() => locks.close());
    return { kv: new RedisKv(client), locks };
  };
  const [a, b] = await Promise.all([node(), node()]);
  return { ...a, other: b };
}

const BACKENDS: Record<string, () => Promise<Backend>> = {
  'in process (SQLite)': async () => {
    const db = openNodeDatabase(null);
    const manager = new LockManager(db);
    const store = new KvStore(db, manager);
    const kv = localKv(store);
    const locks = localLocks(manager);
    servers.closers.push(() => (locks.close(), kv.close(), db.close()));
    return { kv, locks, other: { kv, locks } };
  },
  'one redis-server': () => redisBackend([servers.redis.url]),
  'Redis Cluster (3 masters)': () => redisBackend(servers.cluster.urls),
};

describe.each(Object.keys(BACKENDS))('coordination on %s', (name) => {
  // Each test gets names of its own: the Redis backends share one server across tests.
  const fresh = () => `t${run++}`;
  const backend = () => BACKENDS[name]();

  it('KV: puts, gets, deletes and lists by prefix in key order, per scope, seen by every node', async () => {
    const { kv, other } = await backend();
    const p = fresh();
    for (const key of [`${p}/b`, `${p}/a`, `${p}/c/1`, `${p}x`, 'é']) await kv.put(acme, key, `v:${key}`);
    await kv.put(globex, `${p}/a`, 'globex');
    expect(await other.kv.get(acme, `${p}/a`)).toBe(`v:${p}/a`);
    expect((await other.kv.list(acme, `${p}/`)).map((e) => e.key)).toEqual([`${p}/a`, `${p}/b`, `${p}/c/1`]);
    expect((await other.kv.list(acme, `${p}/`, 2)).map((e) => e.key)).toEqual([`${p}/a`, `${p}/b`]);
    expect(await kv.get(globex, `${p}/a`)).toBe('globex');
    expect(await other.kv.delete(acme, `${p}/b`)).toBe(true);
    expect(await kv.delete(acme, `${p}/b`)).toBe(false);
    expect(await kv.get(acme, `${p}/b`)).toBeUndefined();
    expect((await kv.list(acme, `${p}/`)).map((e) => e.value)).toEqual([`v:${p}/a`, `v:${p}/c/1`]);
  });

  it('KV: an entry with a TTL vanishes at its deadline for reads and lists', async () => {
    const { kv, other } = await backend();
    const p = fresh();
    await kv.put(acme, `${p}/short`, 'x', { ttlMs: 60 });
    await kv.put(acme, `${p}/long`, 'y', { ttlMs: 60_000 });
    const entry = await other.kv.entry(acme, `${p}/short`);
    expect(entry?.expiresAt).toBeGreaterThan(Date.now() - 1000);
    await new Promise((r) => setTimeout(r, 120));
    expect(await other.kv.get(acme, `${p}/short`)).toBeUndefined();
    expect((await other.kv.list(acme, `${p}/`)).map((e) => e.key)).toEqual([`${p}/long`]);
  });

  it('KV: bad keys, values and TTLs are the same typed errors and store nothing', async () => {
    const { kv } = await backend();
    const p = fresh();
    await expect(kv.put(acme, '', 'v')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(kv.put(acme, `${p}/k`, 42 as unknown as string)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(kv.put(acme, `${p}/k`, 'v', { ttlMs: -1 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(kv.put(acme, `${p}/k`, 'x'.repeat(1024 * 1024 + 1))).rejects.toMatchObject({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' });
    await expect(kv.put({ tenant: '../x', namespace: 'p' }, `${p}/k`, 'v')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(await kv.list(acme, `${p}/`)).toEqual([]);
  });

  it('locks: the next holders wait in arrival order across nodes, each grant a higher version', async () => {
    const { locks, other } = await backend();
    const lock = fresh();
    const first = await locks.acquire(acme, lock, 'a', { leaseMs: 10_000 });
    const order: string[] = [];
    const b = other.locks.acquire(acme, lock, 'b', { leaseMs: 10_000, timeoutMs: 5000 }).then((g) => (order.push('b'), g));
    await new Promise((r) => setTimeout(r, 30)); // b is queued first
    const c = locks.acquire(acme, lock, 'c', { leaseMs: 10_000, timeoutMs: 5000 }).then((g) => (order.push('c'), g));
    await new Promise((r) => setTimeout(r, 30));
    await expect(other.locks.acquire(acme, lock, 'd', { leaseMs: 1000 })).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_TIMEOUT' });
    await locks.release(acme, lock, 'a', first.version);
    const second = await b;
    expect(BigInt(second.version)).toBeGreaterThan(BigInt(first.version));
    await other.locks.release(acme, lock, 'b', second.version);
    const third = await c;
    expect(order).toEqual(['b', 'c']);
    expect(BigInt(third.version)).toBeGreaterThan(BigInt(second.version));
    await expect(locks.acquire(globex, lock, 'z', { leaseMs: 1000 })).resolves.toMatchObject({ holder: 'z' });
  });

  it('locks: a waiter that times out leaves the lock and the queue as they were', async () => {
    const { locks, other } = await backend();
    const lock = fresh();
    const grant = await locks.acquire(acme, lock, 'a', { leaseMs: 10_000 });
    await expect(other.locks.acquire(acme, lock, 'b', { leaseMs: 1000, timeoutMs: 50 })).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_TIMEOUT' });
    expect(await other.locks.holderOf(acme, lock)).toMatchObject({ holder: 'a', version: grant.version });
    // b left the queue: after a's release, c is served at once.
    await locks.release(acme, lock, 'a', grant.version);
    await expect(other.locks.acquire(acme, lock, 'c', { leaseMs: 1000 })).resolves.toMatchObject({ holder: 'c' });
  });

  it('locks: an expired lease cannot release, renew or overwrite the newer holder’s fenced work', async () => {
    const { locks, kv, other } = await backend();
    const lock = fresh();
    const old = await locks.acquire(acme, lock, 'slow-worker', { leaseMs: 60 });
    await kv.put(acme, lock, 'written by slow-worker', { fence: { lock, version: old.version } });
    const newer = await other.locks.acquire(acme, lock, 'fast-worker', { leaseMs: 10_000, timeoutMs: 3000 }); // granted when the lease runs out
    expect(BigInt(newer.version)).toBeGreaterThan(BigInt(old.version));
    await other.kv.put(acme, lock, 'written by fast-worker', { fence: { lock, version: newer.version } });
    await expect(kv.put(acme, lock, 'late write', { fence: { lock, version: old.version } })).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_FENCED' });
    await expect(locks.release(acme, lock, 'slow-worker', old.version)).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_FENCED' });
    await expect(locks.renew(acme, lock, 'slow-worker', old.version, 1000)).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_FENCED' });
    await expect(locks.checkFence(acme, lock, old.version)).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_FENCED' });
    await locks.checkFence(acme, lock, newer.version);
    expect(await kv.get(acme, lock)).toBe('written by fast-worker');
  });

  it('locks: renewal and re-acquire keep the version; a release by another holder is refused', async () => {
    const { locks, other } = await backend();
    const lock = fresh();
    const grant = await locks.acquire(acme, lock, 'a', { leaseMs: 60 });
    expect((await other.locks.renew(acme, lock, 'a', grant.version, 10_000)).version).toBe(grant.version);
    expect((await locks.acquire(acme, lock, 'a', { leaseMs: 10_000 })).version).toBe(grant.version);
    await new Promise((r) => setTimeout(r, 100));
    expect((await other.locks.holderOf(acme, lock))?.holder).toBe('a');
    await expect(other.locks.release(acme, lock, 'b', grant.version)).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_FENCED' });
    await other.locks.release(acme, lock, 'a', grant.version);
    expect(await locks.holderOf(acme, lock)).toBeUndefined();
  });

  it('locks: bad arguments are refused; an aborted wait leaves the queue', async () => {
    const { locks } = await backend();
    const lock = fresh();
    await expect(locks.acquire(acme, '', 'a', { leaseMs: 10 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(locks.acquire(acme, lock, 'a', { leaseMs: 0 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    const grant = await locks.acquire(acme, lock, 'a', { leaseMs: 10_000 });
    const controller = new AbortController();
    const waiting = locks.acquire(acme, lock, 'b', { leaseMs: 1000, timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(waiting).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    await locks.release(acme, lock, 'a', grant.version);
    await expect(locks.acquire(acme, lock, 'c', { leaseMs: 1000 })).resolves.toMatchObject({ holder: 'c' });
  });
});

describe('locks on Redis across a Redis restart', () => {
  it('fencing versions never go back, even when the AOF lost its last second', async () => {
    // appendfsync everysec: a SIGKILL right after the grant may lose it from the AOF, the worst case for a counter.
    let server = await startRedisServer({ appendfsync: 'everysec' });
    try {
      const client = await connectRedis([server.url]);
      const locks = new RedisLocks(client);
      const first = await locks.acquire(acme, 'ledger', 'a', { leaseMs: 1000 });
      await server.kill9(); // before the AOF's next fsync: the grant may be lost
      server = await server.restart();
      await expect.poll(() => client.ping().catch(() => 'down'), { timeout: 10_000 }).toBe('PONG');
      await new Promise((r) => setTimeout(r, 1100)); // the old lease has run out either way
      const second = await locks.acquire(acme, 'ledger', 'b', { leaseMs: 1000 });
      expect(BigInt(second.version)).toBeGreaterThan(BigInt(first.version));
      locks.close();
      client.disconnect();
    } finally {
      await server.stop();
    }
  }, 30_000);
});
