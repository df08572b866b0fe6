/**
 * Where durable actors keep what survives them: the journal (every message
 * accepted, with the host-call results recorded while handling it), the
 * latest state checkpoint, and reminders. A node alone keeps them in its
 * SQLite database (sqlite-durable-storage.ts); the nodes of a cluster keep
 * them in Redis (src/cluster/redis-coordination/redis-journal.ts,
 * redis-reminders.ts), so an actor written on one node can be recovered on
 * another. One conformance suite runs on both
 * (test/cluster/durable-storage-conformance.test.ts).
 */

/** A message as the journal commits it. */
export interface JournalMessage {
  readonly type: string;
  readonly payload: Uint8Array;
  readonly from: string;
}

/** One host call's result, recorded while a journaled message was handled live. */
export interface RecordedEffect {
  readonly op: number;
  readonly status: number;
  readonly data: Uint8Array;
}

/**
 * A message is journaled `Accepted` and stays so once handled: recovery
 * replays every accepted message after the checkpoint, handled or cut off
 * alike (the recorded effects make both safe), so marking "handled" would
 * cost a second write per message for nothing.
 */
export const EntryStatus = { Accepted: 0, Failed: 2 } as const;

export interface JournalEntry extends JournalMessage {
  readonly seq: number;
  /** `EntryStatus.Accepted` (replayed on recovery) or `Failed` (the actor crashed on it; replay skips it). */
  readonly status: number;
  /** The host calls made while it was handled, in call order. */
  readonly effects: readonly RecordedEffect[];
}

export interface Checkpoint {
  /** Every message up to this seq is in `state`; recovery replays only the entries after it. */
  readonly seq: number;
  readonly state: Uint8Array;
}

/** The journals of durable actors, one per actor id. */
export interface JournalStore {
  /**
   * Commits a message and resolves with its seq (1, 2, … per actor, never
   * reused, also after a truncation) once the store has it: only then may the
   * actor see the message.
   */
  append(actorId: string, message: JournalMessage): Promise<number>;
  /** The actor crashed on message `seq`: replay skips it (its state changes died with the instance). */
  markFailed(actorId: string, seq: number): Promise<void>;
  /** Entries after `seq`, oldest first, each with its recorded effects. */
  entriesAfter(actorId: string, seq: number): Promise<JournalEntry[]>;
  /**
   * Records the result of host call number `index` made while handling
   * message `seq` (a later call with the same index replaces it). A store
   * that can answer synchronously does, so the host call is not delayed; a
   * remote one resolves once the result is stored.
   */
  recordEffect(actorId: string, seq: number, index: number, effect: RecordedEffect): void | Promise<void>;
  /** Drops the entries up to and including `seq` and their effects (a checkpoint covers them). */
  truncate(actorId: string, seq: number): Promise<void>;
}

/** The latest state checkpoint of each durable actor. */
export interface CheckpointStore {
  latest(actorId: string): Promise<Checkpoint | undefined>;
  /** Replaces the actor's checkpoint, unless the stored one already covers a later seq. */
  save(actorId: string, checkpoint: Checkpoint): Promise<void>;
}

/** A durable reminder as stored: its next due time and what it sends. */
export interface StoredReminder {
  readonly actorId: string;
  readonly name: string;
  /** The next firing, epoch ms. */
  readonly dueAt: number;
  /** Fires again every `periodMs` after that; absent: once. */
  readonly periodMs?: number;
  readonly type: string;
  readonly payload: Uint8Array;
}

/** Durable reminders, by actor and name. */
export interface ReminderStore {
  /**
   * True when several nodes share the store (Redis): a node then arms only
   * the reminders of actors it runs or registered itself, instead of every
   * stored reminder, and leaves one whose actor runs elsewhere to that node.
   */
  readonly shared: boolean;
  /** Registers or replaces reminder `name` of `actorId`. */
  put(reminder: StoredReminder): Promise<void>;
  get(actorId: string, name: string): Promise<StoredReminder | undefined>;
  /** True when a reminder was removed. */
  delete(actorId: string, name: string): Promise<boolean>;
  /** The reminders of `actorId`, or of every actor, soonest first. */
  list(actorId?: string): Promise<StoredReminder[]>;
  /**
   * Claims one firing: when the reminder is still due at `dueAt` (nobody
   * fired, replaced or cancelled it meanwhile), moves it to `nextDueAt` or
   * removes it (`null`) and resolves true — atomically, so of several nodes
   * racing for the same firing exactly one wins.
   */
  claim(actorId: string, name: string, dueAt: number, nextDueAt: number | null): Promise<boolean>;
}

/** The three stores a node's durable actors use. */
export interface DurableStorage {
  readonly journal: JournalStore;
  readonly checkpoints: CheckpointStore;
  readonly reminders: ReminderStore;
}
