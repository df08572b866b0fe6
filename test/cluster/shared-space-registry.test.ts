import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisCluster, startRedisServer, type RedisClusterProcess, type RedisProcess } from '../../src/cluster/redis-process.js';
import { RedisSpaceCatalog } from '../../src/cluster/redis-space/redis-space-catalog.js';
import { RedisWakeups } from '../../src/cluster/redis-space/index.js';
import { ErrorCode } from '../../src/errors.js';
import { compilePlacement } from '../../src/space/space-placement.js';
import { SpaceRegistry } from '../../src/space/space-registry.js';

// Two nodes' registries (each its own connection and handoff subscriber)
// over one Redis: the registry is what every surface and actor reaches.

interface Backend {
  name: string;
  start(): Promise<{ urls: readonly string[]; stop(): Promise<void> }>;
}

const backends: Backend[] = [
  { name: 'a redis-server', start: async () => { const r: RedisProcess = await startRedisServer({ appendfsync: 'no' }); return { urls: [r.url], stop: () => r.stop() }; } },
  { name: 'a three-master Redis Cluster', start: async () => { const c: RedisClusterProcess = await startRedisCluster(3, { appendfsync: 'no' }); return { urls: c.urls, stop: () => c.stop() }; } },
];

for (const backend of backends) {
  describe(`shared spaces in a node's registry, on ${backend.name}`, () => {
    let server: { urls: readonly string[]; stop(): Promise<void> };
    const clients: RedisClient[] = [];
    const wakeups: RedisWakeups[] = [];
    const registries: SpaceRegistry[] = [];

    async function registry(options: { maxSpacesPerTenant?: number; node?: string[] } = {}): Promise<SpaceRegistry> {
      const client = await connectRedis(server.urls);
      const w = await RedisWakeups.open(client);
      clients.push(client);
      wakeups.push(w);
      const r = new SpaceRegistry({
        shared: new RedisSpaceCatalog(client, w),
        maxSpacesPerTenant: options.maxSpacesPerTenant,
        placement: compilePlacement({ default: 'shared', node: options.node ?? [], shared: [] }),
      });
      registries.push(r);
      return r;
    }

    beforeAll(async () => {
      server = await backend.start();
    }, 60_000);
    afterAll(async () => {
      for (const r of registries) await r.close();
      for (const w of wakeups) await w.close();
      for (const c of clients) c.disconnect();
      await server?.stop();
    });

    it('the same name is the same space on both nodes; a node space stays on its node', async () => {
      const [a, b] = [await registry({ node: ['acme/*/local'] }), await registry({ node: ['acme/*/local'] })];
      const ref = { tenant: 'acme', namespace: 'prod', name: 'jobs' };
      expect(a.placementOf('acme/prod/jobs')).toBe('shared');
      const blocked = b.open(ref).take(['job', null], { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await a.open(ref).write(['job', 1]);
      expect(await blocked).toEqual(['job', 1]);
      expect(a.open(ref).storageKind).toBe('redis');

      const local = { tenant: 'acme', namespace: 'prod', name: 'local' };
      expect(a.placementOf('acme/prod/local')).toBe('node');
      await a.open(local).write(['only', 'a']);
      expect(a.open(local).storageKind).toBe('memory');
      expect(await b.open(local).count(['only', null])).toBe(0);
      // Tenants stay apart in Redis as in a node.
      await a.open({ ...ref, tenant: 'globex' }).write(['job', 2]);
      expect(await b.open(ref).count(['job', null])).toBe(0);
      expect(await b.open({ ...ref, tenant: 'globex' }).count(['job', null])).toBe(1);
    });

    it('spacesPerTenant counts the spaces of every node; listing and deleting are the cluster’s', async () => {
      const [a, b] = [await registry({ maxSpacesPerTenant: 2 }), await registry({ maxSpacesPerTenant: 2 })];
      await a.open({ tenant: 'quota', namespace: 'ns', name: 's1' }).write(['x', 1]);
      await b.open({ tenant: 'quota', namespace: 'ns', name: 's2' }).write(['x', 2]);
      // The third space, on either node, is refused at its first operation, and nothing was written.
      const third = a.open({ tenant: 'quota', namespace: 'ns', name: 's3' });
      await expect(third.write(['x', 3])).rejects.toMatchObject({ code: ErrorCode.QuotaExceeded });
      await expect(b.open({ tenant: 'quota', namespace: 'ns', name: 's3' }).count(['x', null])).rejects.toMatchObject({ code: ErrorCode.QuotaExceeded });
      // Reopening a listed space is not a new one.
      expect(await b.open({ tenant: 'quota', namespace: 'ns', name: 's1' }).count(['x', null])).toBe(1);
      expect((await b.list('quota')).map((r) => r.name)).toEqual(['s1', 's2']);
      expect(await b.delete({ tenant: 'quota', namespace: 'ns', name: 's1' })).toBe(true);
      expect((await a.list('quota')).map((r) => r.name)).toEqual(['s2']);
      // Its tuples are gone for every node, and its place in the quota is free again.
      expect(await a.open({ tenant: 'quota', namespace: 'ns', name: 's1' }).count(['x', null])).toBe(0);
      await a.open({ tenant: 'quota', namespace: 'ns', name: 's4' }).write(['x', 4]);
      expect((await b.list('quota')).map((r) => r.name)).toEqual(['s2', 's4']);
    });
  });
}
