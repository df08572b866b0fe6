import { describe, expect, it } from 'vitest';
import { CronService } from '../../src/actors/cron-service.js';
import { connectRedis } from '../../src/cluster/redis-client.js';
import { RedisKv } from '../../src/cluster/redis-coordination/redis-kv.js';
import { RedisLocks } from '../../src/cluster/redis-coordination/redis-locks.js';
import { localKv, localLocks, type KvService, type LockService } from '../../src/coord/coordination-services.js';
import { KvStore } from '../../src/coord/kv-store.js';
import { LockManager } from '../../src/coord/lock-manager.js';
import { openNodeDatabase } from '../../src/coord/node-database.js';
import { useRedisTestServers } from '../support/redis-test-servers.js';

// Cron schedules on the three backends a node can keep them in. With Redis,
// two services on two connections are two nodes of a cluster: each polls
// and fires what is due, and between them every tick must fire once.

interface Store {
  kv: KvService;
  locks: LockService;
}

const servers = useRedisTestServers();

async function redisStores(urls: readonly string[]): Promise<[Store, Store]> {
  const node = async (): Promise<Store> => {
    const client = await connectRedis(urls);
    servers.clients.push(client);
    const locks = new RedisLocks(client);
    servers.closers.push(() => locks.close());
    return { kv: new RedisKv(client), locks };
  };
  return Promise.all([node(), node()]);
}

const BACKENDS: Record<string, () => Promise<[Store, Store]>> = {
  'in process (SQLite)': async () => {
    const db = openNodeDatabase(null);
    const manager = new LockManager(db);
    const store = { kv: localKv(new KvStore(db, manager)), locks: localLocks(manager) };
    servers.closers.push(() => (store.locks.close(), store.kv.close(), db.close()));
    return [store, store];
  },
  'one redis-server': () => redisStores([servers.redis.url]),
  'Redis Cluster (3 masters)': () => redisStores(servers.cluster.urls),
};

let run = 0;

describe.each(Object.keys(BACKENDS))('cron schedules on %s', (name) => {
  it('two nodes polling the same schedules fire each tick once between them', async () => {
    const [a, b] = await BACKENDS[name]();
    const actor = `cron-actor-${run++}`;
    const fired: { by: string; at: number; actor: string }[] = [];
    const node = (store: Store, id: string) => new CronService(store.kv, store.locks, (to) => void fired.push({ by: id, at: Date.now(), actor: to }), { pollMs: 50, holder: id });
    const nodeA = node(a, 'node-a');
    const nodeB = node(b, 'node-b');
    try {
      await nodeA.schedule(actor, 'beat', '* * * * * *', 'tick', '{}');
      // The other node sees the schedule at once.
      expect((await nodeB.schedules(actor)).map((s) => s.name)).toEqual(['beat']);
      const started = Date.now();
      await new Promise((r) => setTimeout(r, 3500));
      const mine = fired.filter((f) => f.actor === actor);
      const seconds = new Set(mine.map((f) => Math.floor(f.at / 1000)));
      // One firing per second that passed (3 or 4 in 3.5 s), never two in one second.
      expect(mine.length).toBeGreaterThanOrEqual(3);
      expect(mine.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 1);
      expect(seconds.size).toBe(mine.length);
      expect(await nodeB.cancel(actor, 'beat')).toBe(true);
      const after = mine.length;
      await new Promise((r) => setTimeout(r, 1200));
      expect(fired.filter((f) => f.actor === actor).length).toBeLessThanOrEqual(after + 1);
      expect(await nodeA.schedules(actor)).toEqual([]);
    } finally {
      nodeA.close();
      nodeB.close();
    }
  });

  it('refuses bad schedules and changes nothing', async () => {
    const [a] = await BACKENDS[name]();
    const cron = new CronService(a.kv, a.locks, () => undefined, { maxPerActor: 2 });
    const actor = `cron-actor-${run++}`;
    try {
      await expect(cron.schedule(actor, 'x', '61 * * * *', 'tick', '{}')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(cron.schedule(actor, 'bad name!', '* * * * *', 'tick', '{}')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(cron.schedule(actor, 'x', '* * * * *', 'tick', '{not json')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await cron.schedule(actor, 'one', '* * * * *', 'tick', '');
      await cron.schedule(actor, 'two', '* * * * *', 'tick', '');
      await expect(cron.schedule(actor, 'three', '* * * * *', 'tick', '')).rejects.toMatchObject({ code: 'PLEX_ERR_QUOTA_EXCEEDED' });
      // Replacing one of its own is not a third.
      await cron.schedule(actor, 'two', '0 * * * *', 'tock', '');
      expect((await cron.schedules(actor)).map((s) => [s.name, s.type])).toEqual([['one', 'tick'], ['two', 'tock']]);
    } finally {
      cron.close();
    }
  });
});
