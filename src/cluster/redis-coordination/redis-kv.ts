import { InvalidArgumentError } from '../../errors.js';
import type { KvService } from '../../coord/coordination-services.js';
import { checkKvKey, checkKvValue, type KvEntry, type KvLimits, type KvPutOptions } from '../../coord/kv-store.js';
import { checkLockName } from '../../coord/lock-manager.js';
import { checkScope, type Scope } from '../../coord/scope.js';
import { optionalDuration } from '../../util/duration.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { fenceError, FENCE_CHECK_LUA } from './redis-locks.js';
import { LUA_NOW_MS, scopePrefix } from './scope-keys.js';

/*
 * Keys of a scope P = {plex:tenant/namespace}:
 *   P:kv:e:<key>   hash { v = value, x = expiry ms (absent: none) }, PEXPIREAT when it has a TTL
 *   P:kv:keys      sorted set of every key (score 0), for prefix listing by ZRANGEBYLEX
 * The index may still name an entry Redis has expired; listing drops such
 * names as it meets them, so it never SCANs and costs the size of its answer
 * plus the expired names it cleans up.
 */

// KEYS: entry, index, [lock]. ARGV: key, value, ttl ms ('' none), [fence version]
const PUT = `${LUA_NOW_MS}
if KEYS[3] then
  ${FENCE_CHECK_LUA}
  local fenced = fence_check(KEYS[3], ARGV[4], now)
  if fenced then return fenced end
end
redis.call('DEL', KEYS[1])
if ARGV[3] == '' then
  redis.call('HSET', KEYS[1], 'v', ARGV[2])
else
  local at = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'v', ARGV[2], 'x', at)
  redis.call('PEXPIREAT', KEYS[1], at)
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 'ok'
`;

// KEYS: entry, index. ARGV: key. 1 when a live entry was removed.
const DELETE = `
local removed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return removed
`;

// KEYS: index. ARGV: entry key prefix, min, max, limit. Returns key, value, expiry ('' none) triples.
const LIST = `
local out, found, offset = {}, 0, 0
local limit = tonumber(ARGV[4])
while found < limit do
  local names = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', offset, math.min(limit - found, 500))
  if #names == 0 then break end
  for _, name in ipairs(names) do
    local entry = redis.call('HMGET', ARGV[1] .. name, 'v', 'x')
    if entry[1] then
      out[#out + 1] = name
      out[#out + 1] = entry[1]
      out[#out + 1] = entry[2] or ''
      found = found + 1
      offset = offset + 1
    else
      -- Expired by Redis: drop the name from the index (the next batch starts at the same offset).
      redis.call('ZREM', KEYS[1], name)
    end
  end
end
return out
`;

type Scripted = RedisClient & {
  plexKvPut(...args: string[]): Promise<string>;
  plexKvDelete(entry: string, index: string, key: string): Promise<number>;
  plexKvList(index: string, prefix: string, min: string | Buffer, max: string | Buffer, limit: string): Promise<string[]>;
};

function scripted(client: RedisClient): Scripted {
  const c = client as Scripted;
  if (typeof c.plexKvPut !== 'function') {
    // A fenced put names a third key (the lock), an unfenced one two: numberOfKeys is passed per call.
    client.defineCommand('plexKvPut', { lua: PUT });
    client.defineCommand('plexKvDelete', { numberOfKeys: 2, lua: DELETE });
    client.defineCommand('plexKvList', { numberOfKeys: 1, lua: LIST });
  }
  return c;
}

/**
 * The KV store on Redis, shared by every node of a cluster: the contract of
 * KvStore (TTLs by Redis's clock, prefix listing in key order, fenced puts
 * checked against the lock in the same script, so a stale fence writes
 * nothing).
 */
export class RedisKv implements KvService {
  private readonly client: Scripted;
  private readonly maxKeyLength: number;
  private readonly maxValueBytes: number;

  constructor(client: RedisClient, limits: KvLimits = {}) {
    this.client = scripted(client);
    this.maxKeyLength = limits.maxKeyLength ?? 1024;
    this.maxValueBytes = limits.maxValueBytes ?? 1024 * 1024;
  }

  async get(scope: Scope, key: string): Promise<string | undefined> {
    return (await this.entry(scope, key))?.value;
  }

  async entry(scope: Scope, key: string): Promise<KvEntry | undefined> {
    checkKvKey(key, this.maxKeyLength);
    const [value, expiry] = await onBackend('kv get', () => this.client.hmget(entryKey(checkScope(scope), key), 'v', 'x'));
    if (value === null) return undefined;
    return expiry === null ? { key, value } : { key, value, expiresAt: Number(expiry) };
  }

  async put(scope: Scope, key: string, value: string, options: KvPutOptions = {}): Promise<void> {
    checkKvKey(key, this.maxKeyLength);
    checkKvValue(key, value, this.maxValueBytes);
    const ttl = optionalDuration('ttlMs', options.ttlMs, { positive: true });
    const p = scopePrefix(checkScope(scope));
    const keys = [entryKey(scope, key), `${p}:kv:keys`];
    const args = [key, value, ttl === undefined ? '' : String(ttl)];
    if (options.fence !== undefined) {
      checkLockName(options.fence.lock);
      if (typeof options.fence.version !== 'string') throw new InvalidArgumentError('a fence needs { lock, version }');
      keys.push(`${p}:lock:${options.fence.lock}`);
      args.push(options.fence.version);
    }
    const outcome = await onBackend('kv put', () => this.client.plexKvPut(String(keys.length), ...keys, ...args));
    if (outcome !== 'ok') throw fenceError(options.fence!.lock, options.fence!.version, outcome);
  }

  async delete(scope: Scope, key: string): Promise<boolean> {
    checkKvKey(key, this.maxKeyLength);
    const p = scopePrefix(checkScope(scope));
    return (await onBackend('kv delete', () => this.client.plexKvDelete(entryKey(scope, key), `${p}:kv:keys`, key))) === 1;
  }

  async list(scope: Scope, prefix = '', limit = 10_000): Promise<KvEntry[]> {
    if (typeof prefix !== 'string') throw new InvalidArgumentError('a KV prefix must be a string');
    if (!(Number.isSafeInteger(limit) && limit > 0)) throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
    const p = scopePrefix(checkScope(scope));
    // Byte-wise range [prefix, prefix + 0xFF…): 0xFF never occurs in UTF-8, so every key starting with prefix is inside.
    const min = prefix === '' ? '-' : `[${prefix}`;
    const max = prefix === '' ? '+' : Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]);
    const flat = await onBackend('kv list', () => this.client.plexKvList(`${p}:kv:keys`, `${p}:kv:e:`, min, max, String(limit)));
    const entries: KvEntry[] = [];
    for (let i = 0; i < flat.length; i += 3) entries.push(flat[i + 2] === '' ? { key: flat[i], value: flat[i + 1] } : { key: flat[i], value: flat[i + 1], expiresAt: Number(flat[i + 2]) });
    return entries;
  }

  close(): void {
    // The connection belongs to the node's cluster membership.
  }
}

function entryKey(scope: Scope, key: string): string {
  return `${scopePrefix(scope)}:kv:e:${key}`;
}
