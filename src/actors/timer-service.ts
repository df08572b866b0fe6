import { InvalidArgumentError, shown } from '../errors.js';
import type { ReminderStore, StoredReminder } from './durable-storage.js';
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

/** A reminder whose actor is not running is retried this often until it is. */
const RETRY_MS = 1000;

/**
 * Timers and reminders.
 *
 * Timers (`sendAfter`, `interval`) live in memory and belong to their actor:
 * they are cancelled when it exits. Reminders are durable: each is kept in
 * a ReminderStore (the node database, or Redis in a cluster), moved to its
 * next due time before its message is handed over, so a reminder due while
 * the node was down fires when the node is back (`start`). A reminder whose
 * actor is not running waits for it (`actorStarted` arms the actor's
 * reminders, firing overdue ones at once) instead of being lost.
 *
 * A firing is claimed in the store first (`claim`: still due at that time?
 * then advance or remove it, atomically), so of several nodes sharing a
 * Redis store only one delivers it. A one-shot reminder whose message could
 * not be handed over after its claim is put back.
 */
export class TimerService {
  private readonly timers = new Map<string, Timer>();
  private readonly byActor = new Map<string, Set<string>>();
  private readonly reminderTimers = new Map<string, LongTimeout>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly deliver: TimerDelivery,
    private readonly store: ReminderStore,
    private readonly clock: () => number = Date.now,
    /** Whether the actor runs here; a reminder of one that does not is not claimed, only looked at again later. */
    private readonly isRunning: (actorId: string) => boolean = () => true,
  ) {}

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

  /** Registers (or replaces) a durable reminder `name` of `actorId`; resolves once it is stored. */
  async remind(actorId: string, name: string, spec: ReminderSpec): Promise<ReminderInfo> {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) throw new InvalidArgumentError(`a reminder name must be 1–256 characters, got ${shown(name)}`);
    if (typeof spec.type !== 'string' || spec.type.length === 0) throw new InvalidArgumentError('a reminder needs a message type');
    if (spec.periodMs !== undefined) checkDuration('periodMs', spec.periodMs, { positive: true });
    if (spec.delayMs !== undefined) checkDuration('delayMs', spec.delayMs);
    const dueAt = spec.dueAt ?? this.clock() + (spec.delayMs ?? spec.periodMs ?? 0);
    if (!Number.isFinite(dueAt)) throw new InvalidArgumentError(`dueAt must be a time in ms, got ${dueAt}`);
    const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? new Uint8Array(0));
    const reminder: StoredReminder = { actorId, name, dueAt, ...(spec.periodMs === undefined ? {} : { periodMs: spec.periodMs }), type: spec.type, payload };
    await this.store.put(reminder);
    this.arm(reminder);
    return info(reminder);
  }

  async cancelReminder(actorId: string, name: string): Promise<boolean> {
    this.disarm(actorId, name);
    return this.store.delete(actorId, name);
  }

  async reminders(actorId?: string): Promise<ReminderInfo[]> {
    return (await this.store.list(actorId)).map(info);
  }

  /**
   * Arms every stored reminder (after a node restart, overdue ones fire now).
   * A shared store (Redis) holds the whole cluster's reminders: a node arms
   * only those of actors it starts (`actorStarted`) or registers itself.
   */
  async start(): Promise<number> {
    if (this.store.shared) return 0;
    const all = await this.store.list();
    for (const reminder of all) this.arm(reminder);
    return all.length;
  }

  /** An actor (re)started here: its reminders are armed, overdue ones fire now instead of at the next retry. */
  async actorStarted(actorId: string): Promise<void> {
    for (const reminder of await this.store.list(actorId)) this.arm(reminder);
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

  private arm(reminder: StoredReminder): void {
    if (this.closed) return;
    const { actorId, name } = reminder;
    this.disarm(actorId, name);
    const handle = setLongTimeout(() => this.fireLogged(actorId, name), Math.max(0, reminder.dueAt - this.clock()));
    this.reminderTimers.set(reminderKey(actorId, name), handle);
  }

  private disarm(actorId: string, name: string): void {
    const key = reminderKey(actorId, name);
    this.reminderTimers.get(key)?.clear();
    this.reminderTimers.delete(key);
  }

  private retryLater(actorId: string, name: string): void {
    if (this.closed) return;
    this.reminderTimers.set(reminderKey(actorId, name), setLongTimeout(() => this.fireLogged(actorId, name), RETRY_MS));
  }

  private fireLogged(actorId: string, name: string): void {
    this.reminderTimers.delete(reminderKey(actorId, name));
    this.fire(actorId, name).catch((error: unknown) => {
      // The store did not answer (Redis down): the reminder is still stored; look again later.
      process.stderr.write(`plexspaces: reminder ${name} of ${actorId}: ${(error as Error).message}; retrying\n`);
      this.retryLater(actorId, name);
    });
  }

  private async fire(actorId: string, name: string): Promise<void> {
    if (this.closed) return;
    const reminder = await this.store.get(actorId, name);
    if (reminder === undefined || this.closed) return; // cancelled meanwhile
    if (reminder.dueAt > this.clock()) {
      this.arm(reminder); // replaced by a later registration, or the clock ran behind the timer
      return;
    }
    if (!this.isRunning(actorId)) {
      this.retryLater(actorId, name); // it keeps its due time in the store; its start here arms it at once
      return;
    }
    // Next due time after now, skipping firings missed while down (one catch-up firing, not a burst).
    const now = this.clock();
    let next: number | null = null;
    if (reminder.periodMs !== undefined) {
      next = reminder.dueAt + reminder.periodMs;
      if (next <= now) next = now + reminder.periodMs;
    }
    if (!(await this.store.claim(actorId, name, reminder.dueAt, next))) {
      // Fired by another node, replaced or cancelled since the read: arm whatever is stored now.
      const current = await this.store.get(actorId, name);
      if (current !== undefined) this.arm(current);
      return;
    }
    if (!this.tryDeliver(actorId, reminder.type, reminder.payload)) {
      // It stopped during the claim: give the firing back and look again later (or when the actor starts).
      await this.store.put(reminder);
      this.retryLater(actorId, name);
      return;
    }
    if (next !== null) this.arm({ ...reminder, dueAt: next });
  }
}

function info(r: StoredReminder): ReminderInfo {
  return { actorId: r.actorId, name: r.name, dueAt: r.dueAt, periodMs: r.periodMs, type: r.type };
}

function reminderKey(actorId: string, name: string): string {
  return `${actorId}\u0000${name}`;
}

