import type { NodeDatabase } from '../coord/node-database.js';
import type { Checkpoint, CheckpointStore, DurableStorage, JournalEntry, JournalMessage, JournalStore, RecordedEffect, ReminderStore, StoredReminder } from './durable-storage.js';

/** A synchronous call as a promise: its throw becomes the rejection. */
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Journals and checkpoints in the node database (one node). Seqs are handed
 * out from memory, seeded from the journal and checkpoint on an actor's first
 * append: only this process writes these tables.
 */
export class SqliteJournal implements JournalStore, CheckpointStore {
  private readonly statements;
  private readonly nextSeq = new Map<string, number>();
  private readonly trim: (actorId: string, seq: number) => void;

  constructor(db: NodeDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS journal (
      actor_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, payload BLOB NOT NULL, sender TEXT NOT NULL, status INTEGER NOT NULL,
      PRIMARY KEY (actor_id, seq)) WITHOUT ROWID`);
    db.exec(`CREATE TABLE IF NOT EXISTS journal_effects (
      actor_id TEXT NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL, op INTEGER NOT NULL, status INTEGER NOT NULL, data BLOB NOT NULL,
      PRIMARY KEY (actor_id, seq, idx)) WITHOUT ROWID`);
    db.exec(`CREATE TABLE IF NOT EXISTS checkpoints (
      actor_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, state BLOB NOT NULL, taken_at INTEGER NOT NULL)`);
    this.statements = {
      append: db.prepare('INSERT INTO journal (actor_id, seq, type, payload, sender, status) VALUES (?, ?, ?, ?, ?, 0)'),
      setStatus: db.prepare('UPDATE journal SET status = ? WHERE actor_id = ? AND seq = ?'),
      maxSeq: db.prepare('SELECT MAX(seq) AS seq FROM journal WHERE actor_id = ?'),
      entries: db.prepare('SELECT seq, type, payload, sender, status FROM journal WHERE actor_id = ? AND seq > ? ORDER BY seq'),
      effect: db.prepare('INSERT OR REPLACE INTO journal_effects (actor_id, seq, idx, op, status, data) VALUES (?, ?, ?, ?, ?, ?)'),
      effects: db.prepare('SELECT seq, op, status, data FROM journal_effects WHERE actor_id = ? AND seq > ? ORDER BY seq, idx'),
      checkpoint: db.prepare('SELECT seq, state FROM checkpoints WHERE actor_id = ?'),
      saveCheckpoint: db.prepare('INSERT INTO checkpoints (actor_id, seq, state, taken_at) VALUES (?, ?, ?, ?) ON CONFLICT (actor_id) DO UPDATE SET seq = excluded.seq, state = excluded.state, taken_at = excluded.taken_at WHERE excluded.seq >= checkpoints.seq'),
      trimJournal: db.prepare('DELETE FROM journal WHERE actor_id = ? AND seq <= ?'),
      trimEffects: db.prepare('DELETE FROM journal_effects WHERE actor_id = ? AND seq <= ?'),
    };
    this.trim = db.transaction((actorId: string, seq: number) => {
      this.statements.trimJournal.run(actorId, seq);
      this.statements.trimEffects.run(actorId, seq);
    });
  }

  append(actorId: string, message: JournalMessage): Promise<number> {
    return settle(() => {
      const seq = this.allocate(actorId);
      this.statements.append.run(actorId, seq, message.type, message.payload, message.from);
      return seq;
    });
  }

  markFailed(actorId: string, seq: number): Promise<void> {
    return settle(() => void this.statements.setStatus.run(2, actorId, seq));
  }

  entriesAfter(actorId: string, seq: number): Promise<JournalEntry[]> {
    return settle(() => {
      const effects = new Map<number, RecordedEffect[]>();
      for (const r of this.statements.effects.all(actorId, seq) as { seq: number; op: number; status: number; data: Buffer }[]) {
        let list = effects.get(r.seq);
        if (list === undefined) effects.set(r.seq, (list = []));
        list.push({ op: r.op, status: r.status, data: new Uint8Array(r.data) });
      }
      return (this.statements.entries.all(actorId, seq) as { seq: number; type: string; payload: Buffer; sender: string; status: number }[]).map((r) => ({
        seq: r.seq,
        type: r.type,
        payload: new Uint8Array(r.payload),
        from: r.sender,
        status: r.status,
        effects: effects.get(r.seq) ?? [],
      }));
    });
  }

  recordEffect(actorId: string, seq: number, index: number, effect: RecordedEffect): void {
    this.statements.effect.run(actorId, seq, index, effect.op, effect.status, effect.data);
  }

  truncate(actorId: string, seq: number): Promise<void> {
    return settle(() => this.trim(actorId, seq));
  }

  latest(actorId: string): Promise<Checkpoint | undefined> {
    return settle(() => this.latestNow(actorId));
  }

  save(actorId: string, checkpoint: Checkpoint): Promise<void> {
    return settle(() => void this.statements.saveCheckpoint.run(actorId, checkpoint.seq, checkpoint.state, Date.now()));
  }

  private latestNow(actorId: string): Checkpoint | undefined {
    const row = this.statements.checkpoint.get(actorId) as { seq: number; state: Buffer } | undefined;
    return row === undefined ? undefined : { seq: row.seq, state: new Uint8Array(row.state) };
  }

  private allocate(actorId: string): number {
    let next = this.nextSeq.get(actorId);
    if (next === undefined) {
      const inJournal = (this.statements.maxSeq.get(actorId) as { seq: number | null }).seq ?? 0;
      next = Math.max(inJournal, this.latestNow(actorId)?.seq ?? 0) + 1;
    }
    this.nextSeq.set(actorId, next + 1);
    return next;
  }
}

interface ReminderRow {
  actor_id: string;
  name: string;
  due_at: number;
  period_ms: number | null;
  type: string;
  payload: Buffer;
}

/** Reminders in the node database (one node: `shared` is false). */
export class SqliteReminderStore implements ReminderStore {
  readonly shared = false;
  private readonly statements;
  private readonly claimNow: (actorId: string, name: string, dueAt: number, nextDueAt: number | null) => boolean;

  constructor(db: NodeDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS reminders (
      actor_id TEXT NOT NULL, name TEXT NOT NULL, due_at INTEGER NOT NULL, period_ms INTEGER,
      type TEXT NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (actor_id, name)) WITHOUT ROWID`);
    this.statements = {
      upsert: db.prepare('INSERT OR REPLACE INTO reminders (actor_id, name, due_at, period_ms, type, payload) VALUES (?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM reminders WHERE actor_id = ? AND name = ?'),
      delete: db.prepare('DELETE FROM reminders WHERE actor_id = ? AND name = ?'),
      deleteIfDue: db.prepare('DELETE FROM reminders WHERE actor_id = ? AND name = ? AND due_at = ?'),
      all: db.prepare('SELECT * FROM reminders ORDER BY due_at'),
      ofActor: db.prepare('SELECT * FROM reminders WHERE actor_id = ? ORDER BY due_at'),
      reschedule: db.prepare('UPDATE reminders SET due_at = ? WHERE actor_id = ? AND name = ? AND due_at = ?'),
    };
    this.claimNow = (actorId, name, dueAt, nextDueAt) =>
      (nextDueAt === null ? this.statements.deleteIfDue.run(actorId, name, dueAt) : this.statements.reschedule.run(nextDueAt, actorId, name, dueAt)).changes > 0;
  }

  put(r: StoredReminder): Promise<void> {
    return settle(() => void this.statements.upsert.run(r.actorId, r.name, r.dueAt, r.periodMs ?? null, r.type, r.payload));
  }

  get(actorId: string, name: string): Promise<StoredReminder | undefined> {
    return settle(() => {
      const row = this.statements.get.get(actorId, name) as ReminderRow | undefined;
      return row === undefined ? undefined : fromRow(row);
    });
  }

  delete(actorId: string, name: string): Promise<boolean> {
    return settle(() => this.statements.delete.run(actorId, name).changes > 0);
  }

  list(actorId?: string): Promise<StoredReminder[]> {
    return settle(() => ((actorId === undefined ? this.statements.all.all() : this.statements.ofActor.all(actorId)) as ReminderRow[]).map(fromRow));
  }

  claim(actorId: string, name: string, dueAt: number, nextDueAt: number | null): Promise<boolean> {
    return settle(() => this.claimNow(actorId, name, dueAt, nextDueAt));
  }
}

function fromRow(row: ReminderRow): StoredReminder {
  const base = { actorId: row.actor_id, name: row.name, dueAt: row.due_at, type: row.type, payload: new Uint8Array(row.payload) };
  return row.period_ms === null ? base : { ...base, periodMs: row.period_ms };
}

/** The node database's durable storage: what a node alone uses. */
export function sqliteDurableStorage(db: NodeDatabase): DurableStorage {
  const journal = new SqliteJournal(db);
  return { journal, checkpoints: journal, reminders: new SqliteReminderStore(db) };
}
