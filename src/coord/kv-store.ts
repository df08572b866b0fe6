import { InvalidArgumentError, PayloadTooLargeError, shown } from '../errors.js';
import { optionalDuration } from '../util/duration.js';
import type { LockManager } from './lock-manager.js';
import type { NodeDatabase } from './node-database.js';
import { scopeKey, type Scope } from './scope.js';

export interface KvPutOptions {
  /** The entry disappears this long after the put. Default: never. */
  ttlMs?: number;
  /** Write only while this lock grant is current (fencing); a stale version fails with `LockFencedError` and writes nothing. */
  fence?: { lock: string; version: string };
}

export interface KvEntry {
  readonly key: string;
  readonly value: string;
  /** Epoch ms, or undefined for no TTL. */
  readonly expiresAt?: number;
}

export interface KvLimits {
  /** Longest key, in UTF-16 units. Default 1024. */
  maxKeyLength?: number;
  /** Largest value, in bytes of UTF-8. Default 1 MiB. */
  maxValueBytes?: number;
}

const SWEEP_EVERY_MS = 1000;

/**
 * A key-value store per tenant and namespace, in the node's SQLite file
 * (in memory without a data directory), with TTLs and prefix listing.
 *
 * Expired entries are invisible at once (every read filters on the clock)
 * and deleted by a sweep once a second. Listing is ordered by key and uses
 * the primary key's range, so a prefix scan costs the size of its answer.
 */
export class KvStore {
  private readonly statements;
  private readonly sweeper: NodeJS.Timeout;
  private readonly maxKeyLength: number;
  private readonly maxValueBytes: number;

  constructor(
    db: NodeDatabase,
    private readonly locks?: LockManager,
    limits: KvLimits = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.maxKeyLength = limits.maxKeyLength ?? 1024;
    this.maxValueBytes = limits.maxValueBytes ?? 1024 * 1024;
    db.exec(`CREATE TABLE IF NOT EXISTS kv (
      scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, expires_at INTEGER,
      PRIMARY KEY (scope, key)) WITHOUT ROWID`);
    db.exec('CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL');
    this.statements = {
      get: db.prepare('SELECT value, expires_at FROM kv WHERE scope = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)'),
      put: db.prepare('INSERT OR REPLACE INTO kv (scope, key, value, expires_at) VALUES (?, ?, ?, ?)'),
      delete: db.prepare('DELETE FROM kv WHERE scope = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)'),
      listAll: db.prepare('SELECT key, value, expires_at FROM kv WHERE scope = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?'),
      listRange: db.prepare('SELECT key, value, expires_at FROM kv WHERE scope = ? AND key >= ? AND key < ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?'),
      sweep: db.prepare('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    };
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  get(scope: Scope, key: string): string | undefined {
    this.checkKey(key);
    const row = this.statements.get.get(scopeKey(scope), key, this.clock()) as { value: string } | undefined;
    return row?.value;
  }

  entry(scope: Scope, key: string): KvEntry | undefined {
    this.checkKey(key);
    const row = this.statements.get.get(scopeKey(scope), key, this.clock()) as { value: string; expires_at: number | null } | undefined;
    return row === undefined ? undefined : toEntry(key, row.value, row.expires_at);
  }

  put(scope: Scope, key: string, value: string, options: KvPutOptions = {}): void {
    this.checkKey(key);
    checkKvValue(key, value, this.maxValueBytes);
    const ttl = optionalDuration('ttlMs', options.ttlMs, { positive: true });
    if (options.fence !== undefined) {
      if (this.locks === undefined) throw new InvalidArgumentError('this KV store has no lock manager for fenced writes');
      this.locks.checkFence(scope, options.fence.lock, options.fence.version);
    }
    this.statements.put.run(scopeKey(scope), key, value, ttl === undefined ? null : this.clock() + ttl);
  }

  /** True when a live entry was removed. */
  delete(scope: Scope, key: string): boolean {
    this.checkKey(key);
    return this.statements.delete.run(scopeKey(scope), key, this.clock()).changes > 0;
  }

  /** Live entries whose key starts with `prefix`, ordered by key. */
  list(scope: Scope, prefix = '', limit = 10_000): KvEntry[] {
    if (typeof prefix !== 'string') throw new InvalidArgumentError('a KV prefix must be a string');
    if (!(Number.isSafeInteger(limit) && limit > 0)) throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
    const now = this.clock();
    const rows = (
      prefix === ''
        ? this.statements.listAll.all(scopeKey(scope), now, limit)
        : this.statements.listRange.all(scopeKey(scope), prefix, prefixEnd(prefix), now, limit)
    ) as { key: string; value: string; expires_at: number | null }[];
    return rows.map((row) => toEntry(row.key, row.value, row.expires_at));
  }

  /** Deletes expired entries; returns how many. */
  sweep(): number {
    return this.statements.sweep.run(this.clock()).changes;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private checkKey(key: string): void {
    checkKvKey(key, this.maxKeyLength);
  }
}

/** The checks every KV backend makes of a key (same errors in process and on Redis). */
export function checkKvKey(key: string, maxKeyLength: number): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError(`a KV key must be a non-empty string, got ${shown(key)}`);
  if (key.length > maxKeyLength) throw new InvalidArgumentError(`a KV key is at most ${maxKeyLength} characters, got ${key.length}`);
}

export function checkKvValue(key: string, value: string, maxValueBytes: number): void {
  if (typeof value !== 'string') throw new InvalidArgumentError(`a KV value must be a string, got ${typeof value}`);
  const bytes = Buffer.byteLength(value);
  if (bytes > maxValueBytes) throw new PayloadTooLargeError(`the value of ${shown(key)} is ${bytes} bytes; the limit is ${maxValueBytes}`);
}

function toEntry(key: string, value: string, expiresAt: number | null): KvEntry {
  return expiresAt === null ? { key, value } : { key, value, expiresAt };
}

/** The smallest string greater than every string starting with `prefix` (SQLite compares TEXT as UTF-8 bytes = code points). */
function prefixEnd(prefix: string): string {
  const codePoints = [...prefix];
  for (let i = codePoints.length - 1; i >= 0; i--) {
    const cp = codePoints[i].codePointAt(0)!;
    if (cp < 0x10ffff) return codePoints.slice(0, i).join('') + String.fromCodePoint(cp === 0xd7ff ? 0xe000 : cp + 1);
  }
  return '\u{10ffff}\u{10ffff}';
}
