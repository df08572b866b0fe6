import { Cluster, type Redis } from 'ioredis';
import { QuotaExceededError, shown } from '../../errors.js';
import type { Space } from '../../space/space.js';
import type { SpaceQuotaOptions } from '../../space/space-quota.js';
import type { SharedSpaceBackend } from '../../space/space-registry.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { RedisTupleSpace } from './redis-tuple-space.js';
import { spaceBaseKey } from './space-keys.js';
import type { RedisWakeups } from './wakeups.js';

/**
 * The cluster's spaces, as a node's `SpaceRegistry` reaches them: each is a
 * `RedisTupleSpace` on the node's connection and handoff subscriber, and a
 * tenant's spaces are listed in Redis so that every node counts them
 * against `spacesPerTenant` and lists the same ones.
 *
 *   plex:spaces:{<tenant>}   sorted set (score 0) of "<namespace>/<name>"
 */
export class RedisSpaceCatalog implements SharedSpaceBackend {
  constructor(
    private readonly redis: RedisClient,
    private readonly wakeups: RedisWakeups,
  ) {
    if (typeof (redis as unknown as Record<string, unknown>).plexSpaceCatalogAdd !== 'function') {
      redis.defineCommand('plexSpaceCatalogAdd', { lua: CATALOG_ADD, numberOfKeys: 1 });
    }
  }

  open(key: string, maxSpacesPerTenant: number | undefined, quota: SpaceQuotaOptions = {}): Space {
    const [tenant, namespace, name] = key.split('/');
    const entry = `${namespace}/${name}`;
    const catalog = catalogKey(tenant);
    return RedisTupleSpace.attach({
      name: key,
      redis: this.redis,
      wakeups: this.wakeups,
      quota,
      // Before the first operation, in the same set-up that subscribes the space: one round trip, once.
      register: async () => {
        const added = Number(await (this.redis as unknown as CatalogCommands).plexSpaceCatalogAdd(catalog, entry, String(maxSpacesPerTenant ?? -1)));
        if (added < 0) throw new QuotaExceededError('spacesPerTenant', maxSpacesPerTenant!, `tenant ${shown(tenant)} (counted across the cluster)`);
      },
    });
  }

  async list(tenant: string): Promise<string[]> {
    const entries = await onBackend('list the spaces', () => this.redis.zrange(catalogKey(tenant), '0', '-1'));
    return entries.map((entry) => `${tenant}/${entry}`);
  }

  /**
   * Deletes the space's keys in Redis. Not a hot path: it walks the keys of
   * the space's hash tag with SCAN (on the one server, or the master holding
   * the slot), since an index key exists per field value ever written.
   */
  async drop(key: string): Promise<boolean> {
    const [tenant, namespace, name] = key.split('/');
    return onBackend(`delete the space ${key}`, async () => {
      const removed = await this.redis.zrem(catalogKey(tenant), `${namespace}/${name}`);
      const base = spaceBaseKey(key);
      const servers = (this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis]) as Redis[];
      let deleted = 0;
      for (const server of servers) {
        // Names are [A-Za-z0-9_.-] and '/', so the pattern has no glob characters but the final '*'.
        for await (const keys of server.scanStream({ match: `${base}*`, count: 500 }) as AsyncIterable<string[]>) {
          if (keys.length > 0) deleted += await server.unlink(...keys);
        }
      }
      return removed > 0 || deleted > 0;
    });
  }
}

interface CatalogCommands {
  plexSpaceCatalogAdd(key: string, entry: string, max: string): Promise<unknown>;
}

function catalogKey(tenant: string): string {
  return `plex:spaces:{${tenant}}`;
}

/** add(entry, max): lists the space; -1 when the tenant already has `max` others (max -1: no bound). */
const CATALOG_ADD = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local max = tonumber(ARGV[2])
if max >= 0 and redis.call('ZCARD', KEYS[1]) >= max then return -1 end
redis.call('ZADD', KEYS[1], 0, ARGV[1])
return 1
`;
