import type { KvEntry, KvPutOptions, KvStore } from './kv-store.js';
import type { AcquireOptions, LockGrant, LockManager } from './lock-manager.js';
import { checkScope, type Scope } from './scope.js';

/**
 * The key-value store as every caller uses it (actors' kv-* host calls, the
 * HTTP routes): in process (SQLite, `localKv`) or shared by the nodes of a
 * cluster (Redis, src/cluster/redis-coordination/redis-kv.ts). Both check
 * input the same way and fail with the same typed errors.
 */
export interface KvService {
  get(scope: Scope, key: string): Promise<string | undefined>;
  entry(scope: Scope, key: string): Promise<KvEntry | undefined>;
  put(scope: Scope, key: string, value: string, options?: KvPutOptions): Promise<void>;
  /** True when a live entry was removed. */
  delete(scope: Scope, key: string): Promise<boolean>;
  /** Live entries whose key starts with `prefix`, ordered by key (UTF-8 bytes). */
  list(scope: Scope, prefix?: string, limit?: number): Promise<KvEntry[]>;
  close(): void;
}

/** Lease locks with fencing versions (see LockManager for the contract), in process or on Redis. */
export interface LockService {
  acquire(scope: Scope, name: string, holder: string, options: AcquireOptions): Promise<LockGrant>;
  release(scope: Scope, name: string, holder: string, version: string): Promise<void>;
  renew(scope: Scope, name: string, holder: string, version: string, leaseMs: number): Promise<LockGrant>;
  checkFence(scope: Scope, name: string, version: string): Promise<void>;
  holderOf(scope: Scope, name: string): Promise<LockGrant | undefined>;
  close(): void;
}

/** A synchronous call as a promise: its throw becomes the rejection. */
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}

export function localKv(store: KvStore): KvService {
  return {
    get: (scope, key) => settle(() => store.get(checkScope(scope), key)),
    entry: (scope, key) => settle(() => store.entry(checkScope(scope), key)),
    put: (scope, key, value, options) => settle(() => store.put(checkScope(scope), key, value, options)),
    delete: (scope, key) => settle(() => store.delete(checkScope(scope), key)),
    list: (scope, prefix, limit) => settle(() => store.list(checkScope(scope), prefix, limit)),
    close: () => store.close(),
  };
}

export function localLocks(manager: LockManager): LockService {
  return {
    acquire: (scope, name, holder, options) => manager.acquire(scope, name, holder, options),
    release: (scope, name, holder, version) => settle(() => manager.release(scope, name, holder, version)),
    renew: (scope, name, holder, version, leaseMs) => settle(() => manager.renew(scope, name, holder, version, leaseMs)),
    checkFence: (scope, name, version) => settle(() => manager.checkFence(scope, name, version)),
    holderOf: (scope, name) => settle(() => manager.holderOf(scope, name)),
    close: () => manager.close(),
  };
}
