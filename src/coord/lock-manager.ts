import { AbortError, InvalidArgumentError, LockFencedError, LockTimeoutError, shown } from '../errors.js';
import { checkDuration } from '../util/duration.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timer.js';
import { park, type Parked } from './waiting.js';
import type { NodeDatabase } from './node-database.js';
import { scopeKey, type Scope } from './scope.js';

/** What a successful `acquire` hands the holder. `version` is its fencing token. */
export interface LockGrant {
  /** The lock's name; `release` takes it as the `lock-id`. */
  readonly lockId: string;
  readonly holder: string;
  /** Fencing token: strictly greater for every new grant of this lock, across node restarts. */
  readonly version: string;
  readonly expiresAt: number;
}

export interface AcquireOptions {
  /** Lease length; the lock frees itself this long after the grant unless renewed. */
  leaseMs: number;
  /** How long to wait for a held lock; 0 tries once. Default 0. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Held {
  holder: string;
  version: bigint;
  expiresAt: number;
  expiryTimer?: LongTimeout;
}

interface LockState {
  held?: Held;
  /** The last version handed out (persisted), so versions never go back. */
  lastVersion: bigint;
  /** Callers waiting for the lock, first come first served. */
  waiters: Parked<LockGrant>[];
  /** Who each waiter is and the lease it asked for. */
  wants: Map<Parked<LockGrant>, { holder: string; leaseMs: number }>;
}

const NAME_LIMIT = 512;

/**
 * Lease-based locks with fencing versions, per tenant and namespace.
 *
 * A grant carries a version that grows with every grant of the lock and is
 * persisted, so it keeps growing across node restarts. Work protected by a
 * lock checks the version (`checkFence`, or KV's fenced `put`): once a lease
 * has expired and someone else holds the lock, the old holder's version is
 * stale and its release, renewal and fenced writes fail with
 * `LockFencedError` — an expired lease cannot undo a newer holder's work.
 *
 * Waiters are served first come, first served when the lock is released or
 * its lease runs out. Acquiring a lock one already holds renews the lease
 * and keeps the version.
 */
export class LockManager {
  private readonly locks = new Map<string, LockState>();
  private readonly statements;
  private closed = false;

  constructor(
    db: NodeDatabase,
    private readonly clock: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS lock_versions (
      scope TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, holder TEXT, expires_at INTEGER,
      PRIMARY KEY (scope, name)) WITHOUT ROWID`);
    this.statements = {
      load: db.prepare('SELECT version, holder, expires_at FROM lock_versions WHERE scope = ? AND name = ?').safeIntegers(true),
      save: db.prepare('INSERT OR REPLACE INTO lock_versions (scope, name, version, holder, expires_at) VALUES (?, ?, ?, ?, ?)'),
      free: db.prepare('UPDATE lock_versions SET holder = NULL, expires_at = NULL WHERE scope = ? AND name = ?'),
    };
  }

  acquire(scope: Scope, name: string, holder: string, options: AcquireOptions): Promise<LockGrant> {
    try {
      this.checkOpen();
      checkLockName(name);
      checkLockHolder(holder);
      const leaseMs = checkDuration('leaseMs', options.leaseMs, { positive: true });
      const timeoutMs = checkDuration('timeoutMs', options.timeoutMs ?? 0);
      if (options.signal?.aborted) throw new AbortError(options.signal.reason);
      const key = lockKey(scope, name);
      const state = this.state(key, scope, name);
      this.expireIfDue(key, state);
      if (state.held === undefined && state.waiters.length === 0) return Promise.resolve(this.grant(key, scope, name, state, holder, leaseMs));
      if (state.held !== undefined && state.held.holder === holder) return Promise.resolve(this.renewHeld(key, scope, name, state.held, leaseMs));
      if (timeoutMs === 0) throw new LockTimeoutError(name, 0);
      const promise = park(state.waiters, timeoutMs, options.signal, () => {
        throw new LockTimeoutError(name, timeoutMs);
      });
      const parked = state.waiters[state.waiters.length - 1];
      state.wants.set(parked, { holder, leaseMs });
      return promise.finally(() => state.wants.delete(parked));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Frees the lock if `version` is still the current grant of `holder`; otherwise `LockFencedError`. */
  release(scope: Scope, name: string, holder: string, version: string): void {
    this.checkOpen();
    const key = lockKey(scope, name);
    const state = this.state(key, scope, name);
    const held = this.current(key, state, name, holder, version);
    held.expiryTimer?.clear();
    state.held = undefined;
    this.statements.free.run(scopeKey(scope), name);
    this.handOff(key, scope, name, state);
  }

  /** Extends the lease of a current grant; a stale version fails with `LockFencedError`. */
  renew(scope: Scope, name: string, holder: string, version: string, leaseMs: number): LockGrant {
    this.checkOpen();
    checkDuration('leaseMs', leaseMs, { positive: true });
    const key = lockKey(scope, name);
    const state = this.state(key, scope, name);
    return this.renewHeld(key, scope, name, this.current(key, state, name, holder, version), leaseMs);
  }

  /** Throws `LockFencedError` unless `version` is the lock's current, unexpired grant. */
  checkFence(scope: Scope, name: string, version: string): void {
    const key = lockKey(scope, name);
    const state = this.state(key, scope, name);
    this.expireIfDue(key, state);
    if (state.held === undefined || state.held.version.toString() !== version) {
      throw new LockFencedError(name, `version ${version} is not the current grant (${state.held === undefined ? 'the lock is free' : `current ${state.held.version}`})`);
    }
  }

  /** Who holds the lock now, if anyone. */
  holderOf(scope: Scope, name: string): LockGrant | undefined {
    const key = lockKey(scope, name);
    const state = this.state(key, scope, name);
    this.expireIfDue(key, state);
    const held = state.held;
    return held === undefined ? undefined : { lockId: name, holder: held.holder, version: held.version.toString(), expiresAt: held.expiresAt };
  }

  /** Fails every waiter; held leases stay recorded (they expire by time). */
  close(): void {
    this.closed = true;
    for (const state of this.locks.values()) {
      state.held?.expiryTimer?.clear();
      for (const waiter of [...state.waiters]) waiter.fail(new LockTimeoutError('(node closing)', 0));
    }
  }

  // ── internals ────────────────────────────────────────────────────────────

  private checkOpen(): void {
    if (this.closed) throw new InvalidArgumentError('the lock manager is closed');
  }

  private state(key: string, scope: Scope, name: string): LockState {
    let state = this.locks.get(key);
    if (state === undefined) {
      const row = this.statements.load.get(scopeKey(scope), name) as { version: bigint; holder: string | null; expires_at: bigint | null } | undefined;
      state = { lastVersion: row?.version ?? 0n, waiters: [], wants: new Map() };
      // A lease granted before a restart stays held until it expires.
      if (row !== undefined && row.holder !== null && row.expires_at !== null && Number(row.expires_at) > this.clock()) {
        state.held = { holder: row.holder, version: row.version, expiresAt: Number(row.expires_at) };
        this.armExpiry(key, scope, name, state);
      }
      this.locks.set(key, state);
    }
    return state;
  }

  private current(key: string, state: LockState, name: string, holder: string, version: string): Held {
    this.expireIfDue(key, state);
    const held = state.held;
    if (held === undefined) throw new LockFencedError(name, `the lease of version ${version} has expired`);
    if (held.version.toString() !== version || held.holder !== holder) {
      throw new LockFencedError(name, `version ${version} of ${shown(holder)} is stale; version ${held.version} is current`);
    }
    return held;
  }

  private grant(key: string, scope: Scope, name: string, state: LockState, holder: string, leaseMs: number): LockGrant {
    const version = state.lastVersion + 1n;
    const expiresAt = this.clock() + leaseMs;
    this.statements.save.run(scopeKey(scope), name, version, holder, expiresAt);
    state.lastVersion = version;
    state.held = { holder, version, expiresAt };
    this.armExpiry(key, scope, name, state);
    return { lockId: name, holder, version: version.toString(), expiresAt };
  }

  private renewHeld(key: string, scope: Scope, name: string, held: Held, leaseMs: number): LockGrant {
    held.expiresAt = this.clock() + leaseMs;
    this.statements.save.run(scopeKey(scope), name, held.version, held.holder, held.expiresAt);
    const state = this.locks.get(key)!;
    this.armExpiry(key, scope, name, state);
    return { lockId: name, holder: held.holder, version: held.version.toString(), expiresAt: held.expiresAt };
  }

  private armExpiry(key: string, scope: Scope, name: string, state: LockState): void {
    const held = state.held!;
    held.expiryTimer?.clear();
    // A long timer: a lease past 2^31-1 ms would otherwise be checked every 1 ms until due.
    held.expiryTimer = setLongTimeout(() => {
      if (this.closed) return;
      this.expireIfDue(key, state);
      this.handOff(key, scope, name, state);
    }, Math.max(0, held.expiresAt - this.clock()) + 1);
  }

  private expireIfDue(_key: string, state: LockState): void {
    if (state.held !== undefined && state.held.expiresAt <= this.clock()) {
      state.held.expiryTimer?.clear();
      state.held = undefined;
    }
  }

  private handOff(key: string, scope: Scope, name: string, state: LockState): void {
    if (state.held !== undefined) return;
    const next = state.waiters[0];
    if (next === undefined) return;
    const { holder, leaseMs } = state.wants.get(next)!;
    next.wake(this.grant(key, scope, name, state, holder, leaseMs)); // waking takes it off the queue
  }
}

function lockKey(scope: Scope, name: string): string {
  return `${scopeKey(scope)}\u0000${name}`;
}

export function checkLockName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > NAME_LIMIT) throw new InvalidArgumentError(`a lock name must be 1–${NAME_LIMIT} characters, got ${shown(name)}`);
}

export function checkLockHolder(holder: string): void {
  if (typeof holder !== 'string' || holder.length === 0 || holder.length > NAME_LIMIT) throw new InvalidArgumentError(`a lock holder must be 1–${NAME_LIMIT} characters, got ${shown(holder)}`);
}
