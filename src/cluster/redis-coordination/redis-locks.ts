import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { AbortError, LockFencedError, LockTimeoutError } from '../../errors.js';
import type { LockService } from '../../coord/coordination-services.js';
import { checkLockHolder, checkLockName, type AcquireOptions, type LockGrant } from '../../coord/lock-manager.js';
import { checkScope, type Scope } from '../../coord/scope.js';
import { checkDuration } from '../../util/duration.js';
import { setLongTimeout, type LongTimeout } from '../../util/long-timer.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { LUA_NOW_MS, scopePrefix } from './scope-keys.js';

/*
 * Keys of lock N in scope P = {plex:tenant/namespace}:
 *   P:lock:N         hash { h = holder, v = version, x = lease end ms }, PEXPIREAT the lease end
 *   P:lock:N:fence   the last version granted (never expires)
 *   P:lock:N:q       list of waiting tokens, first come first served
 *   P:lock:N:qd      hash token → the waiter's deadline (ms): a waiter whose node died stops blocking the queue then
 * and the channel P:lock:N:free, published when the lock is released or the
 * head of the queue gives up, so waiters retry at once; a lease that runs
 * out is noticed by each waiter's timer at its end. Nothing polls.
 *
 * Versions are max(last + 1, Redis's clock in µs): they grow with every
 * grant, and even if Redis restarts from an AOF that lost its last second
 * (appendfsync everysec) the next grant's clock is past every version it
 * handed out — versions never go back.
 */

/** Lua: `fence_check(lock key, version, now)` is nil when `version` is the live grant, else why not. */
export const FENCE_CHECK_LUA = `local function fence_check(key, version, now)
  local held = redis.call('HMGET', key, 'h', 'v', 'x')
  if not held[1] or tonumber(held[3]) <= now then return 'expired' end
  if held[2] ~= version then return 'stale:' .. held[2] end
  return nil
end`;

// KEYS: lock, fence, queue, deadlines. ARGV: holder, lease ms, token, wait ms (0: try once).
const ACQUIRE = `${LUA_NOW_MS}
local holder, lease, token, wait = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local held = redis.call('HMGET', KEYS[1], 'h', 'v', 'x')
local live = held[1] and tonumber(held[3]) > now
if live and held[1] == holder then
  redis.call('HSET', KEYS[1], 'x', now + lease)
  redis.call('PEXPIREAT', KEYS[1], now + lease)
  return {'granted', held[2], tostring(now + lease)}
end
while true do
  local head = redis.call('LINDEX', KEYS[3], 0)
  if not head then break end
  local deadline = redis.call('HGET', KEYS[4], head)
  if deadline and tonumber(deadline) > now then break end
  redis.call('LPOP', KEYS[3])
  redis.call('HDEL', KEYS[4], head)
end
local head = redis.call('LINDEX', KEYS[3], 0)
if not live and (not head or head == token) then
  if head then
    redis.call('LPOP', KEYS[3])
    redis.call('HDEL', KEYS[4], token)
  end
  local us = tonumber(__t[1]) * 1000000 + tonumber(__t[2])
  local version = string.format('%.0f', math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, us))
  redis.call('SET', KEYS[2], version)
  redis.call('HSET', KEYS[1], 'h', holder, 'v', version, 'x', now + lease)
  redis.call('PEXPIREAT', KEYS[1], now + lease)
  return {'granted', version, tostring(now + lease)}
end
if wait <= 0 then return {'busy', live and held[3] or '0'} end
if redis.call('HEXISTS', KEYS[4], token) == 0 then redis.call('RPUSH', KEYS[3], token) end
redis.call('HSET', KEYS[4], token, now + wait)
return {'queued', live and held[3] or '0'}
`;

// KEYS: queue, deadlines. ARGV: token, channel. A waiter gives up; if it was first, the next one is told.
const LEAVE = `
local head = redis.call('LINDEX', KEYS[1], 0)
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if head == ARGV[1] then redis.call('PUBLISH', ARGV[2], 'next') end
return 1
`;

// KEYS: lock. ARGV: holder, version, channel.
const RELEASE = `${LUA_NOW_MS}
${FENCE_CHECK_LUA}
local fenced = fence_check(KEYS[1], ARGV[2], now)
if fenced then return fenced end
if redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] then return 'holder:' .. redis.call('HGET', KEYS[1], 'h') end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[3], 'free')
return 'ok'
`;

// KEYS: lock. ARGV: holder, version, lease ms.
const RENEW = `${LUA_NOW_MS}
${FENCE_CHECK_LUA}
local fenced = fence_check(KEYS[1], ARGV[2], now)
if fenced then return {fenced} end
if redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] then return {'holder:' .. redis.call('HGET', KEYS[1], 'h')} end
local until_ms = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'x', until_ms)
redis.call('PEXPIREAT', KEYS[1], until_ms)
return {'ok', tostring(until_ms)}
`;

// KEYS: lock. The live grant, or nothing.
const HOLDER = `${LUA_NOW_MS}
local held = redis.call('HMGET', KEYS[1], 'h', 'v', 'x')
if not held[1] or tonumber(held[3]) <= now then return {} end
return held
`;

type Scripted = RedisClient & {
  plexLockAcquire(lock: string, fence: string, queue: string, deadlines: string, holder: string, lease: string, token: string, wait: string): Promise<[string, string, string?]>;
  plexLockLeave(queue: string, deadlines: string, token: string, channel: string): Promise<number>;
  plexLockRelease(lock: string, holder: string, version: string, channel: string): Promise<string>;
  plexLockRenew(lock: string, holder: string, version: string, lease: string): Promise<[string, string?]>;
  plexLockHolder(lock: string): Promise<string[]>;
  plexLockFence(lock: string, version: string): Promise<string>;
};

const FENCE = `${LUA_NOW_MS}
${FENCE_CHECK_LUA}
return fence_check(KEYS[1], ARGV[1], now) or 'ok'
`;

function scripted(client: RedisClient): Scripted {
  const c = client as Scripted;
  if (typeof c.plexLockAcquire !== 'function') {
    client.defineCommand('plexLockAcquire', { numberOfKeys: 4, lua: ACQUIRE });
    client.defineCommand('plexLockLeave', { numberOfKeys: 2, lua: LEAVE });
    client.defineCommand('plexLockRelease', { numberOfKeys: 1, lua: RELEASE });
    client.defineCommand('plexLockRenew', { numberOfKeys: 1, lua: RENEW });
    client.defineCommand('plexLockHolder', { numberOfKeys: 1, lua: HOLDER });
    client.defineCommand('plexLockFence', { numberOfKeys: 1, lua: FENCE });
  }
  return c;
}

/** The typed error for a fence script's refusal ('expired', 'stale:<current>', 'holder:<other>'). */
export function fenceError(lock: string, version: string, why: string): LockFencedError {
  if (why === 'expired') return new LockFencedError(lock, `the lease of version ${version} has expired`);
  if (why.startsWith('stale:')) return new LockFencedError(lock, `version ${version} is stale; version ${why.slice(6)} is current`);
  return new LockFencedError(lock, `version ${version} is held by ${why.slice(7)}, not this holder`);
}

interface Waiting {
  retry(): void;
}

/**
 * Lease locks with fencing versions on Redis, shared by every node of a
 * cluster: the contract of LockManager (first come first served, a
 * holder's re-acquire renews and keeps its version, stale versions are
 * fenced), with every decision taken by one script on the lock's slot.
 */
export class RedisLocks implements LockService {
  private readonly client: Scripted;
  private readonly subscriber: RedisClient;
  /** Waiters of this process by channel. */
  private readonly waiting = new Map<string, Set<Waiting>>();
  private closed = false;
  private connected: Promise<void> | undefined;

  constructor(client: RedisClient) {
    this.client = scripted(client);
    this.subscriber = client instanceof Cluster ? client.duplicate() : client.duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string) => {
      for (const waiter of this.waiting.get(channel) ?? []) waiter.retry();
    });
  }

  async acquire(scope: Scope, name: string, holder: string, options: AcquireOptions): Promise<LockGrant> {
    checkLockName(name);
    checkLockHolder(holder);
    const leaseMs = checkDuration('leaseMs', options.leaseMs, { positive: true });
    const timeoutMs = checkDuration('timeoutMs', options.timeoutMs ?? 0);
    if (options.signal?.aborted) throw new AbortError(options.signal.reason);
    const keys = this.keys(checkScope(scope), name);
    const token = randomBytes(8).toString('hex');
    const attempt = (waitMs: number) => onBackend('lock acquire', () => this.client.plexLockAcquire(keys.lock, keys.fence, keys.queue, keys.deadlines, holder, String(leaseMs), token, String(waitMs)));
    const first = await attempt(timeoutMs);
    if (first[0] === 'granted') return { lockId: name, holder, version: first[1], expiresAt: Number(first[2]) };
    if (first[0] === 'busy') throw new LockTimeoutError(name, 0);
    return this.wait(keys, name, holder, token, timeoutMs, Number(first[1]), options.signal, attempt);
  }

  async release(scope: Scope, name: string, holder: string, version: string): Promise<void> {
    checkLockName(name);
    const keys = this.keys(checkScope(scope), name);
    const outcome = await onBackend('lock release', () => this.client.plexLockRelease(keys.lock, holder, String(version), keys.channel));
    if (outcome !== 'ok') throw fenceError(name, String(version), outcome);
  }

  async renew(scope: Scope, name: string, holder: string, version: string, leaseMs: number): Promise<LockGrant> {
    checkLockName(name);
    checkDuration('leaseMs', leaseMs, { positive: true });
    const keys = this.keys(checkScope(scope), name);
    const [outcome, until] = await onBackend('lock renew', () => this.client.plexLockRenew(keys.lock, holder, String(version), String(leaseMs)));
    if (outcome !== 'ok') throw fenceError(name, String(version), outcome);
    return { lockId: name, holder, version: String(version), expiresAt: Number(until) };
  }

  async checkFence(scope: Scope, name: string, version: string): Promise<void> {
    checkLockName(name);
    const outcome = await onBackend('lock fence', () => this.client.plexLockFence(this.keys(checkScope(scope), name).lock, String(version)));
    if (outcome !== 'ok') throw fenceError(name, String(version), outcome);
  }

  async holderOf(scope: Scope, name: string): Promise<LockGrant | undefined> {
    checkLockName(name);
    const held = await onBackend('lock holder', () => this.client.plexLockHolder(this.keys(checkScope(scope), name).lock));
    return held.length === 0 ? undefined : { lockId: name, holder: held[0], version: held[1], expiresAt: Number(held[2]) };
  }

  close(): void {
    this.closed = true;
    for (const set of this.waiting.values()) for (const waiter of set) waiter.retry();
    this.subscriber.disconnect();
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** The subscriber connects on the first wait (a node that never waits for a lock holds no extra connection). */
  private async subscribe(channel: string): Promise<void> {
    this.connected ??= this.subscriber.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    await this.subscriber.subscribe(channel);
  }

  private keys(scope: Scope, name: string) {
    const base = `${scopePrefix(scope)}:lock:${name}`;
    return { lock: base, fence: `${base}:fence`, queue: `${base}:q`, deadlines: `${base}:qd`, channel: `${base}:free` };
  }

  /**
   * Waits in the lock's queue: retries when the channel says it was freed,
   * when the current lease ends, and gives up (leaving the queue) at the
   * deadline or on abort.
   */
  private wait(
    keys: ReturnType<RedisLocks['keys']>,
    name: string,
    holder: string,
    token: string,
    timeoutMs: number,
    leaseEndsAt: number,
    signal: AbortSignal | undefined,
    attempt: (waitMs: number) => Promise<[string, string, string?]>,
  ): Promise<LockGrant> {
    const started = Date.now();
    return new Promise<LockGrant>((resolve, reject) => {
      let done = false;
      let running = false;
      let again = false;
      let leaseTimer: LongTimeout | undefined;
      const waiter: Waiting = { retry: () => void run() };
      const set = this.waiting.get(keys.channel) ?? new Set<Waiting>();
      const firstWaiter = set.size === 0;
      set.add(waiter);
      this.waiting.set(keys.channel, set);
      const finish = (outcome: () => void) => {
        if (done) return;
        done = true;
        deadline.clear();
        leaseTimer?.clear();
        signal?.removeEventListener('abort', onAbort);
        set.delete(waiter);
        if (set.size === 0) {
          this.waiting.delete(keys.channel);
          void this.subscriber.unsubscribe(keys.channel).catch(() => undefined);
        }
        outcome();
      };
      const giveUp = (error: Error) => {
        finish(() => {
          void onBackend('lock leave', () => this.client.plexLockLeave(keys.queue, keys.deadlines, token, keys.channel)).catch(() => undefined);
          reject(error);
        });
      };
      const armLease = (endsAt: number) => {
        leaseTimer?.clear();
        // Redis's clock and ours may differ a little: a retry that comes early only queues again.
        if (endsAt > 0) leaseTimer = setLongTimeout(() => void run(), Math.max(1, endsAt - Date.now() + 2));
      };
      const run = async (): Promise<void> => {
        if (done) return;
        if (this.closed) return giveUp(new LockTimeoutError('(node closing)', 0));
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          const left = timeoutMs - (Date.now() - started);
          if (left <= 0) return giveUp(new LockTimeoutError(name, timeoutMs));
          const reply = await attempt(left);
          if (reply[0] === 'granted') finish(() => resolve({ lockId: name, holder, version: reply[1], expiresAt: Number(reply[2]) }));
          else armLease(Number(reply[1]));
        } catch (error) {
          giveUp(error as Error);
        } finally {
          running = false;
          if (again && !done) {
            again = false;
            void run();
          }
        }
      };
      const deadline = setLongTimeout(() => giveUp(new LockTimeoutError(name, timeoutMs)), timeoutMs);
      const onAbort = () => giveUp(new AbortError(signal!.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      armLease(leaseEndsAt);
      // Subscribed, then tried once more: a release between the first attempt and the subscription is not missed.
      const subscribed = firstWaiter ? onBackend('lock wait', () => this.subscribe(keys.channel)) : Promise.resolve();
      subscribed.then(
        () => void run(),
        (error: unknown) => giveUp(error as Error),
      );
    });
  }
}
