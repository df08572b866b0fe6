import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from '../../errors.js';
import { decodeTuple, encodeTuple } from '../../tuple/codec.js';
import type { SpaceStorage, StoredRecord } from './space-storage.js';

/**
 * `FULL` fsyncs the WAL at every commit, so a resolved write survives power
 * loss; `NORMAL` survives a process crash (SIGKILL) but not an OS crash.
 */
export type SqliteSynchronous = 'full' | 'normal';

export interface SqliteOptions {
  /** Default `full`. */
  synchronous?: SqliteSynchronous;
  /** Name of the space inside the file. Default `default`. */
  space?: string;
}

type PendingOp =
  | { kind: 'insert'; record: StoredRecord }
  | { kind: 'remove' }
  | { kind: 'inflight'; inflight: boolean; deliveries: number };

/**
 * One SQLite file (WAL mode) holding any number of spaces, keyed by name,
 * with one group-commit batcher for all of them.
 *
 * Staged operations are coalesced per (space, seq) — a tuple written and
 * taken within one batch never touches the disk — and committed in one
 * transaction on the next turn of the event loop (`setImmediate`), so every
 * write issued in the same turn shares one fsync.
 */
export class SqliteStore {
  private readonly db: Database.Database;
  private readonly pending = new Map<string, Map<number, PendingOp>>();
  private scheduled: Promise<void> | undefined;
  private readonly statements;
  private closed = false;

  constructor(readonly path: string, options: Pick<SqliteOptions, 'synchronous'> = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      this.db.exec(`CREATE TABLE IF NOT EXISTS tuples (
        space TEXT NOT NULL,
        seq INTEGER NOT NULL,
        body BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        deliveries INTEGER NOT NULL,
        inflight INTEGER NOT NULL,
        PRIMARY KEY (space, seq)
      ) WITHOUT ROWID`);
    } catch (cause) {
      throw new StorageError(`cannot open the SQLite file ${path}: ${(cause as Error).message}`, { cause });
    }
    this.statements = {
      load: this.db.prepare('SELECT seq, body, expires_at, deliveries, inflight FROM tuples WHERE space = ? ORDER BY seq'),
      insert: this.db.prepare('INSERT OR REPLACE INTO tuples (space, seq, body, expires_at, deliveries, inflight) VALUES (?, ?, ?, ?, ?, ?)'),
      remove: this.db.prepare('DELETE FROM tuples WHERE space = ? AND seq = ?'),
      inflight: this.db.prepare('UPDATE tuples SET inflight = ?, deliveries = ? WHERE space = ? AND seq = ?'),
      spaces: this.db.prepare('SELECT DISTINCT space FROM tuples'),
      drop: this.db.prepare('DELETE FROM tuples WHERE space = ?'),
    };
  }

  /** A view of one space in this file. `owned` views close the file when they close. */
  space(name: string, owned = false): SpaceStorage {
    return new SqliteSpaceStorage(this, name, owned);
  }

  /** Names of the spaces that have rows in the file. */
  spaceNames(): string[] {
    return (this.statements.spaces.all() as { space: string }[]).map((row) => row.space);
  }

  /** Deletes every row of `space` (staged changes included), durably. */
  async dropSpace(space: string): Promise<void> {
    await this.flush();
    this.pending.delete(space);
    this.statements.drop.run(space);
  }

  load(space: string): StoredRecord[] {
    const rows = this.statements.load.all(space) as {
      seq: number;
      body: Buffer;
      expires_at: number;
      deliveries: number;
      inflight: number;
    }[];
    return rows.map((row) => {
      const { tuple, hasBytes } = decodeTuple(row.body);
      return { seq: row.seq, tuple, hasBytes, expiresAt: row.expires_at, deliveries: row.deliveries, inflight: row.inflight === 1 };
    });
  }

  stage(space: string, seq: number, op: PendingOp): void {
    let ops = this.pending.get(space);
    if (ops === undefined) {
      ops = new Map();
      this.pending.set(space, ops);
    }
    const before = ops.get(seq);
    if (before?.kind === 'insert') {
      // Coalesce with the insert not yet on disk.
      if (op.kind === 'remove') ops.delete(seq);
      else if (op.kind === 'inflight') {
        ops.set(seq, { kind: 'insert', record: { ...before.record, inflight: op.inflight, deliveries: op.deliveries } });
      } else ops.set(seq, op);
      return;
    }
    ops.set(seq, op);
  }

  flush(): Promise<void> {
    if (this.scheduled === undefined) {
      this.scheduled = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.scheduled = undefined;
          try {
            this.commit();
            resolve();
          } catch (cause) {
            reject(new StorageError(`commit to ${this.path} failed: ${(cause as Error).message}`, { cause }));
          }
        });
      });
    }
    return this.scheduled;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.db.close();
  }

  private commit(): void {
    if (this.pending.size === 0 || this.closed) return;
    const batches = [...this.pending];
    this.pending.clear();
    const { insert, remove, inflight } = this.statements;
    this.db.transaction(() => {
      for (const [space, ops] of batches) {
        for (const [seq, op] of ops) {
          if (op.kind === 'insert') {
            const r = op.record;
            insert.run(space, seq, encodeTuple(r.tuple), r.expiresAt, r.deliveries, r.inflight ? 1 : 0);
          } else if (op.kind === 'remove') {
            remove.run(space, seq);
          } else {
            inflight.run(op.inflight ? 1 : 0, op.deliveries, space, seq);
          }
        }
      }
    })();
  }
}

class SqliteSpaceStorage implements SpaceStorage {
  readonly durable = true;

  constructor(
    private readonly store: SqliteStore,
    private readonly name: string,
    private readonly owned: boolean,
  ) {}

  load(): StoredRecord[] {
    return this.store.load(this.name);
  }

  insert(record: StoredRecord): void {
    this.store.stage(this.name, record.seq, { kind: 'insert', record });
  }

  remove(seq: number): void {
    this.store.stage(this.name, seq, { kind: 'remove' });
  }

  setInflight(seq: number, inflight: boolean, deliveries: number): void {
    this.store.stage(this.name, seq, { kind: 'inflight', inflight, deliveries });
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  companion(suffix: string): SpaceStorage {
    return new SqliteSpaceStorage(this.store, `${this.name}#${suffix}`, false);
  }

  async close(): Promise<void> {
    if (this.owned) await this.store.close();
    else await this.store.flush();
  }
}

/**
 * Durable storage for one space in its own SQLite file:
 * `new TupleSpace({ storage: sqlite('./data/jobs.sqlite') })`.
 */
export function sqlite(path: string, options: SqliteOptions = {}): SpaceStorage {
  return new SqliteStore(path, options).space(options.space ?? 'default', true);
}
