import { InvalidArgumentError, shown } from '../errors.js';
import type { NodeDatabase } from '../coord/node-database.js';
import { checkDuration } from '../util/duration.js';
import { setLongInterval, setLongTimeout, type LongTimeout } from '../util/long-timer.js';

/** Delivers a timer's message; throws when the actor is not running. */
export type TimerDelivery = (actorId: string, type: string, payload: Uint8Array) => void;

export interface ReminderSpec {
  /** First firing, epoch ms. Default: now + `delayMs`. */
  dueAt?: number;
  delayMs?: number;
  /** Fire again every `periodMs` after that; default: once. */
  periodMs?: number;
  type: string;
  payload?: Uint8Array | string;
}

export interface ReminderInfo {
  readonly actorId: string;
  readonly name: string;
  readonly dueAt: number;
  readonly periodMs?: number;
  readonly type: string;
}

interface Timer {
  readonly actorId: string;
  readonly handle: LongTimeout;
}

interface ReminderRow {
  actor_id: string;
  name: string;
  due_at: number;
  period_ms: number | null;
  type: string;
  payload: Uint8Array;
}

/** A reminder whose actor is not running is retried this often until it is. */
const RETRY_MS = 1000;

/**
 * Timers and reminders.
 *
 * Timers (`sendAfter`, `interval`) live in memory and belong to their actor:
 * they are cancelled when it exits. Reminders are durable: each is a row in
 * the node database, rewritten before the next firing, so a reminder due
 * while the node was down fires when the node is back (`start`). A reminder
 * whose actor is not running waits for it (`actorStarted` fires overdue
 * ones at once) instead of being lost. A one-shot reminder's row is deleted
 * only after its message was handed to the actor.
 */
export class TimerService {
  private readonly timers = new Map<string, Timer>();
  private readonly byActor = new Map<string, Set<string>>();
  private readonly reminderTimers = new Map<string, LongTimeout>();
  private readonly statements;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly deliver: TimerDelivery,
    db: NodeDatabase,
    private readonly clock: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS reminders (
      actor_id TEXT NOT NULL, name TEXT NOT NULL, due_at INTEGER NOT NULL, period_ms INTEGER,
      type TEXT NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (actor_id, name)) WITHOUT ROWID`);
    this.statements = {
      upsert: db.prepare('INSERT OR REPLACE INTO reminders (actor_id, name, due_at, period_ms, type, payload) VALUES (?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM reminders WHERE actor_id = ? AND name = ?'),
      delete: db.prepare('DELETE FROM reminders WHERE actor_id = ? AND name = ?'),
      all: db.prepare('SELECT * FROM reminders ORDER BY due_at'),
      ofActor: db.prepare('SELECT * FROM reminders WHERE actor_id = ? ORDER BY due_at'),
      reschedule: db.prepare('UPDATE reminders SET due_at = ? WHERE actor_id = ? AND name = ?'),
    };
  }

  /** One message to `actorId` after `delayMs`; returns the timer id. */
  sendAfter(actorId: string, delayMs: number, type: string, payload: Uint8Array): string {
    checkDuration('delayMs', delayMs);
    const id = `timer-${this.nextId++}`;
    // Long timers (unref'd): a delay past 2^31-1 ms would otherwise fire at once, an interval every 1 ms.
    const handle = setLongTimeout(() => {
      this.forget(id);
      this.tryDeliver(actorId, type, payload);
    }, delayMs);
    this.track(id, actorId, handle);
    return id;
  }

  /** A message to `actorId` every `everyMs` until cancelled or the actor exits. */
  interval(actorId: string, everyMs: number, type: string, payload: Uint8Array): string {
    checkDuration('everyMs', everyMs, { positive: true });
    const id = `timer-${this.nextId++}`;
    const handle = setLongInterval(() => {
      if (!this.tryDeliver(actorId, type, payload)) this.cancel(id);
    }, everyMs);
    this.track(id, actorId, handle);
    return id;
  }

  /** The actor a pending timer belongs to. */
  ownerOf(timerId: string): string | undefined {
    return this.timers.get(timerId)?.actorId;
  }

  /** True when a pending timer was cancelled. */
  cancel(timerId: string): boolean {
    const timer = this.timers.get(timerId);
    if (timer === undefined) return false;
    timer.handle.clear();
    this.forget(timerId);
    return true;
  }

  /** `actorId` exited: its timers go with it (its reminders stay). */
  cancelActor(actorId: string): number {
    const ids = [...(this.byActor.get(actorId) ?? [])];
    for (const id of ids) this.cancel(id);
    return ids.length;
  }

  pendingTimers(actorId: string): number {
    return this.byActor.get(actorId)?.size ?? 0;
  }

  /** Registers (or replaces) a durable reminder `name` of `actorId`. */
  remind(actorId: string, name: string, spec: ReminderSpec): ReminderInfo {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) throw new InvalidArgumentError(`a reminder name must be 1–256 characters, got ${shown(name)}`);
    if (typeof spec.type !== 'string' || spec.type.length === 0) throw new InvalidArgumentError('a reminder needs a message type');
    if (spec.periodMs !== undefined) checkDuration('periodMs', spec.periodMs, { positive: true });
    if (spec.delayMs !== undefined) checkDuration('delayMs', spec.delayMs);
    const dueAt = spec.dueAt ?? this.clock() + (spec.delayMs ?? spec.periodMs ?? 0);
    if (!Number.isFinite(dueAt)) throw new InvalidArgumentError(`dueAt must be a time in ms, got ${dueAt}`);
    const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? new Uint8Array(0));
    this.statements.upsert.run(actorId, name, dueAt, spec.periodMs ?? null, spec.type, payload);
    this.arm({ actor_id: actorId, name, due_at: dueAt, period_ms: spec.periodMs ?? null, type: spec.type, payload });
    return { actorId, name, dueAt, periodMs: spec.periodMs, type: spec.type };
  }

  cancelReminder(actorId: string, name: string): boolean {
    this.reminderTimers.get(reminderKey(actorId, name))?.clear();
    this.reminderTimers.delete(reminderKey(actorId, name));
    return this.statements.delete.run(actorId, name).changes > 0;
  }

  reminders(actorId?: string): ReminderInfo[] {
    const rows = (actorId === undefined ? this.statements.all.all() : this.statements.ofActor.all(actorId)) as ReminderRow[];
    return rows.map((r) => ({ actorId: r.actor_id, name: r.name, dueAt: r.due_at, periodMs: r.period_ms ?? undefined, type: r.type }));
  }

  /** Arms every stored reminder (after a node restart, overdue ones fire now). */
  start(): number {
    const rows = this.statements.all.all() as ReminderRow[];
    for (const row of rows) this.arm(row);
    return rows.length;
  }

  /** An actor (re)started: its overdue reminders fire now instead of at the next retry. */
  actorStarted(actorId: string): void {
    const now = this.clock();
    for (const row of this.statements.ofActor.all(actorId) as ReminderRow[]) if (row.due_at <= now) this.arm(row);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) t.handle.clear();
    for (const t of this.reminderTimers.values()) t.clear();
    this.timers.clear();
    this.byActor.clear();
    this.reminderTimers.clear();
  }

  // ── internals ────────────────────────────────────────────────────────────

  private track(id: string, actorId: string, handle: LongTimeout): void {
    this.timers.set(id, { actorId, handle });
    let mine = this.byActor.get(actorId);
    if (mine === undefined) this.byActor.set(actorId, (mine = new Set()));
    mine.add(id);
  }

  private forget(id: string): void {
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    this.timers.delete(id);
    const mine = this.byActor.get(timer.actorId);
    mine?.delete(id);
    if (mine?.size === 0) this.byActor.delete(timer.actorId);
  }

  private tryDeliver(actorId: string, type: string, payload: Uint8Array): boolean {
    if (this.closed) return false;
    try {
      this.deliver(actorId, type, payload);
      return true;
    } catch {
      return false; // the actor is gone; a timer dies with it
    }
  }

  private arm(row: ReminderRow): void {
    const key = reminderKey(row.actor_id, row.name);
    this.reminderTimers.get(key)?.clear();
    const handle = setLongTimeout(() => this.fire(row.actor_id, row.name), Math.max(0, row.due_at - this.clock()));
    this.reminderTimers.set(key, handle);
  }

  private fire(actorId: string, name: string): void {
    const key = reminderKey(actorId, name);
    this.reminderTimers.delete(key);
    if (this.closed) return;
    const row = this.statements.get.get(actorId, name) as ReminderRow | undefined;
    if (row === undefined) return; // cancelled meanwhile
    if (row.due_at > this.clock()) {
      this.arm(row); // replaced by a later registration, or the clock ran behind the timer
      return;
    }
    if (!this.tryDeliver(actorId, row.type, row.payload)) {
      // Not running now: keep the row and look again later.
      this.reminderTimers.set(key, setLongTimeout(() => this.fire(actorId, name), RETRY_MS));
      return;
    }
    if (row.period_ms === null) {
      this.statements.delete.run(actorId, name);
      return;
    }
    // Next due time after now, skipping firings missed while down (one catch-up firing, not a burst).
    const now = this.clock();
    let next = row.due_at + row.period_ms;
    if (next <= now) next = now + row.period_ms;
    this.statements.reschedule.run(next, actorId, name);
    this.arm({ ...row, due_at: next });
  }
}

function reminderKey(actorId: string, name: string): string {
  return `${actorId}\u0000${name}`;
}

