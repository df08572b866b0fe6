import { describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { SqliteVirtualStateStore, type VirtualStateStore } from '../../src/actors/virtual-state.js';
import { connectRedis } from '../../src/cluster/redis-client.js';
import { RedisVirtualStateStore } from '../../src/cluster/redis-coordination/redis-virtual-state.js';
import { openNodeDatabase } from '../../src/coord/node-database.js';
import { eventually, text } from '../actors/support.js';
import { builtActor } from '../support/wasm-fixtures.js';
import { useRedisTestServers } from '../support/redis-test-servers.js';

// Virtual actors' saved state: one contract on the node's SQLite, one
// redis-server and a three-master Redis Cluster; and, on Redis, a virtual
// actor deactivated by one node's actor system comes back with its state
// on another's (two systems, two connections, as two processes have).

const servers = useRedisTestServers();
let run = 0;

async function redisStores(urls: readonly string[]): Promise<[VirtualStateStore, VirtualStateStore]> {
  const connect = async () => {
    const client = await connectRedis(urls);
    servers.clients.push(client);
    return new RedisVirtualStateStore(client);
  };
  return Promise.all([connect(), connect()]);
}

const BACKENDS: Record<string, () => Promise<[VirtualStateStore, VirtualStateStore]>> = {
  'the node database (SQLite)': async () => {
    const db = openNodeDatabase(null);
    servers.closers.push(() => db.close());
    return [new SqliteVirtualStateStore(db), new SqliteVirtualStateStore(db)];
  },
  'one redis-server': () => redisStores([servers.redis.url]),
  'Redis Cluster (3 masters)': () => redisStores(servers.cluster.urls),
};

describe.each(Object.keys(BACKENDS))('virtual actors’ state on %s', (name) => {
  it('nothing saved is undefined; a save is read back byte for byte, by another store too; a later save replaces it', async () => {
    const [one, other] = await BACKENDS[name]();
    const id = `acme/default/cart:${run++}`;
    expect(await one.load(id)).toBeUndefined();
    await one.save(id, new Uint8Array([0, 255, 7, 0]));
    expect(await other.load(id)).toEqual(new Uint8Array([0, 255, 7, 0]));
    await other.save(id, new Uint8Array([]));
    expect(await one.load(id)).toEqual(new Uint8Array([]));
    // Another tenant's actor of the same name is another state.
    expect(await one.load(id.replace('acme/', 'globex/'))).toBeUndefined();
  });
});

describe('virtual actors across two nodes’ actor systems on one Redis', () => {
  it('deactivated on one node, a virtual actor comes back on the other with its state', async () => {
    const systems = await Promise.all(
      [0, 1].map(async () => {
        const client = await connectRedis([servers.redis.url]);
        servers.clients.push(client);
        const system = new ActorSystem({ workers: 1, cluster: client });
        await system.runtime.deploy('probe', builtActor('probe'));
        // No durability: the facet's own saved state is what carries over.
        system.defineVirtual('cart', { module: 'probe', facets: [{ name: 'virtual', idleMs: 60_000 }] });
        return system;
      }),
    );
    try {
      const [a, b] = systems;
      const id = `cart:${run++}`;
      expect(text(await a.ask(id, 'inc'))).toBe('1');
      expect(text(await a.ask(id, 'inc'))).toBe('2');
      await a.deactivate(id);
      await eventually(() => !a.runtime.has(id), 3000);
      expect(text(await b.ask(id, 'inc'))).toBe('3');
      expect(b.runtime.has(id)).toBe(true);
    } finally {
      for (const system of systems) await system.close();
    }
  });
});
