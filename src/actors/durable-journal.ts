import type { NodeDatabase } from '../coord/node-database.js';
import type { HostCallFilter } from '../runtime/actor-runtime.js';

export interface JournalEntry {
  readonly seq: number;
  readonly type: string;
  readonly payload: Uint8Array;
  readonly from: string;
  /** 0 accepted (replayed on recovery), 2 failed (the actor crashed on it; replay skips it). */
  readonly status: number;
}

export interface RecordedEffect {
  readonly op: number;
  readonly status: number;
  readonly data: Uint8Array;
}

/** What the filter knows about a message being handled by a durable actor. */
interface MessageContext {
  readonly actorId: string;
  readonly seq: number;
  /** Serve recorded effects first (a replay). */
  readonly replay: boolean;
  readonly recorded: RecordedEffect[];
  next: number;
}

/**
 * A message is journaled `Accepted` and stays so once handled: recovery
 * replays every accepted message after the checkpoint, handled or cut off
 * alike (the recorded effects make both safe), so marking "handled" would
 * cost a second write per message for nothing.
 */
export const EntryStatus = { Accepted: 0, Failed: 2 } as const;

/**
 * The durable actors' journal in the node database: every message a
 * durable actor accepts (committed before the actor sees it), the result of
 * every host call it makes while handling it (its side effects), and
 * periodic state checkpoints.
 *
 * `hostCallFilter` sits in front of the runtime's host calls. For a
 * message being handled live it performs the call and records the result;
 * for a message being replayed it answers from the recording instead, so a
 * replay neither repeats a side effect (a `send`, a `kv-put`) nor sees a
 * different answer (`now-ms`, `ask`). A replay that makes a call beyond
 * what was recorded (the first run was cut off mid-message) performs it
 * live and records it.
 */
export class DurableJournal {
  private readonly statements;
  private readonly contexts = new Map<number, MessageContext>();
  private readonly nextSeq = new Map<string, number>();

  constructor(private readonly db: NodeDatabase) {
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
      effects: db.prepare('SELECT op, status, data FROM journal_effects WHERE actor_id = ? AND seq = ? ORDER BY idx'),
      checkpoint: db.prepare('SELECT seq, state FROM checkpoints WHERE actor_id = ?'),
      saveCheckpoint: db.prepare('INSERT OR REPLACE INTO checkpoints (actor_id, seq, state, taken_at) VALUES (?, ?, ?, ?)'),
      trimJournal: db.prepare('DELETE FROM journal WHERE actor_id = ? AND seq <= ?'),
      trimEffects: db.prepare('DELETE FROM journal_effects WHERE actor_id = ? AND seq <= ?'),
    };
  }

  /** Commits a message before its actor sees it; returns its sequence number. */
  append(actorId: string, type: string, payload: Uint8Array, from: string): number {
    const seq = this.allocate(actorId);
    this.statements.append.run(actorId, seq, type, payload, from);
    return seq;
  }

  /** The actor crashed on this message: replay will skip it (its state changes died with the instance). */
  markFailed(actorId: string, seq: number): void {
    this.statements.setStatus.run(EntryStatus.Failed, actorId, seq);
  }

  /** Entries after `seq`, oldest first. */
  entriesAfter(actorId: string, seq: number): JournalEntry[] {
    return (this.statements.entries.all(actorId, seq) as { seq: number; type: string; payload: Buffer; sender: string; status: number }[]).map((r) => ({
      seq: r.seq,
      type: r.type,
      payload: new Uint8Array(r.payload),
      from: r.sender,
      status: r.status,
    }));
  }

  latestCheckpoint(actorId: string): { seq: number; state: Uint8Array } | undefined {
    const row = this.statements.checkpoint.get(actorId) as { seq: number; state: Buffer } | undefined;
    return row === undefined ? undefined : { seq: row.seq, state: new Uint8Array(row.state) };
  }

  /** Stores a checkpoint covering every message up to `seq` and drops those messages from the journal, in one transaction. */
  checkpoint(actorId: string, seq: number, state: Uint8Array): void {
    this.db.transaction(() => {
      this.statements.saveCheckpoint.run(actorId, seq, state, Date.now());
      this.statements.trimJournal.run(actorId, seq);
      this.statements.trimEffects.run(actorId, seq);
    })();
  }

  /** Host calls made under `context` belong to message `seq` of `actorId`. */
  beginMessage(context: number, actorId: string, seq: number, replay: boolean): void {
    const recorded = replay
      ? (this.statements.effects.all(actorId, seq) as { op: number; status: number; data: Buffer }[]).map((r) => ({ op: r.op, status: r.status, data: new Uint8Array(r.data) }))
      : [];
    this.contexts.set(context, { actorId, seq, replay, recorded, next: 0 });
  }

  endMessage(context: number): void {
    this.contexts.delete(context);
  }

  /** Records live host calls of journaled messages and answers replayed ones from the recording. */
  readonly hostCallFilter: HostCallFilter = (op, _request, caller, context, next) => {
    const message = context === 0 ? undefined : this.contexts.get(context);
    if (message === undefined || message.actorId !== caller) return next();
    const index = message.next++;
    if (message.replay && index < message.recorded.length) {
      const effect = message.recorded[index];
      if (effect.op === op) return { status: effect.status, data: effect.data };
      // The handler took another path than the first time: the module is not deterministic. Serve live from here on.
      process.stderr.write(`plexspaces: durable actor ${caller} made host call ${op} where the journal has ${effect.op} (message ${message.seq}); replay continues live\n`);
      message.recorded.length = index;
    }
    const record = (result: { status: number; data?: Uint8Array }) => {
      // Sends and the clock are the effects that must not repeat or change; every other call is recorded too, so a replay sees the same answers.
      this.statements.effect.run(message.actorId, message.seq, index, op, result.status, result.data ?? new Uint8Array(0));
      return result;
    };
    const out = next();
    return out instanceof Promise ? out.then(record) : record(out);
  };

  private allocate(actorId: string): number {
    let next = this.nextSeq.get(actorId);
    if (next === undefined) {
      const inJournal = (this.statements.maxSeq.get(actorId) as { seq: number | null }).seq ?? 0;
      const checkpoint = this.latestCheckpoint(actorId)?.seq ?? 0;
      next = Math.max(inJournal, checkpoint) + 1;
    }
    this.nextSeq.set(actorId, next + 1);
    return next;
  }
}
