import { Cron } from 'croner';
import { InvalidArgumentError, LockTimeoutError, QuotaExceededError, shown } from '../errors.js';
import type { KvService, LockService } from '../coord/coordination-services.js';
import type { Scope } from '../coord/scope.js';

/** One schedule, as stored and as `cron.schedules` lists it. */
export interface CronSchedule {
  readonly actor: string;
  readonly name: string;
  readonly expr: string;
  readonly type: string;
  readonly payload: string;
  /** When it fires next (epoch ms). */
  readonly next_ms: number;
}

export interface CronServiceOptions {
  /** How often due schedules are looked for, ms (default 1000: cron's finest field is the second). */
  readonly pollMs?: number;
  /** Most schedules one actor may hold (default 100). */
  readonly maxPerActor?: number;
  /** An id for this node as a lock holder (default a random one). */
  readonly holder?: string;
  readonly clock?: () => number;
}

/** Where schedules live: one scope for the node (or the cluster), apart from every tenant's own KV. */
const CRON_SCOPE: Scope = { tenant: '_system', namespace: 'cron' };
const SEPARATOR = '|';
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;
/** How long a node holds a schedule's lock while it fires it: far longer than a KV read and write. */
const CLAIM_LEASE_MS = 30_000;

/**
 * Recurring messages from cron expressions (wit/platform/cron.wit).
 *
 * Schedules are stored in the KV service — the node's SQLite file, or
 * Redis in a cluster — so they survive a restart and every node sees them.
 * Every `pollMs` each node lists them and fires the due ones. Firing is a
 * claim: take the schedule's lock (trying once), read the schedule again,
 * and only if it is still due write its next time with the lock as fence,
 * then send the message. Another node, or a second poll on this one,
 * either fails to take the lock or finds the schedule no longer due, so a
 * tick fires at most once across the cluster. A node that was down past
 * several ticks fires one catch-up message, not one per missed tick.
 *
 * A schedule outlives its actor's restarts (that is what makes it
 * durable): a firing while the actor is not running is dropped, and the
 * schedule stays until the actor cancels it.
 */
export class CronService {
  private readonly timer: NodeJS.Timeout;
  private readonly maxPerActor: number;
  private readonly holder: string;
  private readonly clock: () => number;
  private polling: Promise<void> | undefined;
  private closed = false;
  /** Firings sent and dropped (no such actor), for tests and metrics. */
  readonly figures = { fired: 0, dropped: 0 };

  constructor(
    private readonly kv: KvService,
    private readonly locks: LockService,
    /** Sends the message; throws when the actor does not run. */
    private readonly deliver: (actor: string, type: string, payload: string) => void,
    options: CronServiceOptions = {},
  ) {
    this.maxPerActor = options.maxPerActor ?? 100;
    this.holder = options.holder ?? `cron-${Math.random().toString(36).slice(2, 10)}`;
    this.clock = options.clock ?? Date.now;
    this.timer = setInterval(() => void this.poll(), options.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Creates or replaces an actor's schedule; answers when it fires first. */
  async schedule(actor: string, name: string, expr: string, type: string, payload: string): Promise<CronSchedule> {
    if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidArgumentError(`a cron schedule name must be 1–64 of A–Z a–z 0–9 _ . : -, got ${shown(name)}`);
    if (typeof type !== 'string' || type.length === 0) throw new InvalidArgumentError('a cron schedule needs a message type');
    if (payload !== '') {
      try {
        JSON.parse(payload);
      } catch {
        throw new InvalidArgumentError(`a cron schedule's payload must be JSON, got ${shown(payload)}`);
      }
    }
    const next = nextRun(expr, this.clock());
    const existing = await this.kv.list(CRON_SCOPE, `${actor}${SEPARATOR}`, this.maxPerActor + 1);
    if (existing.length >= this.maxPerActor && !existing.some((e) => e.key === key(actor, name))) throw new QuotaExceededError('cron_schedules_per_actor', this.maxPerActor, `actor ${actor}`);
    const schedule: CronSchedule = { actor, name, expr, type, payload: payload === '' ? '{}' : payload, next_ms: next };
    await this.kv.put(CRON_SCOPE, key(actor, name), JSON.stringify(schedule));
    return schedule;
  }

  /** True when the schedule existed. */
  cancel(actor: string, name: string): Promise<boolean> {
    return this.kv.delete(CRON_SCOPE, key(actor, name));
  }

  async schedules(actor: string): Promise<CronSchedule[]> {
    const entries = await this.kv.list(CRON_SCOPE, `${actor}${SEPARATOR}`);
    return entries.map((e) => JSON.parse(e.value) as CronSchedule);
  }

  /** Fires what is due now (the timer calls it every pollMs; tests may too). Polls do not overlap. */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.polling ??= this.fireDue().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private async fireDue(): Promise<void> {
    let entries;
    try {
      entries = await this.kv.list(CRON_SCOPE, '');
    } catch {
      return; // the store is unavailable (Redis down): the next poll tries again, and catches up
    }
    const now = this.clock();
    for (const entry of entries) {
      const schedule = JSON.parse(entry.value) as CronSchedule;
      if (schedule.next_ms <= now) await this.fire(entry.key).catch(() => undefined);
    }
  }

  /** Claims and fires one due schedule; does nothing when another node (or poll) already did. */
  private async fire(scheduleKey: string): Promise<void> {
    let grant;
    try {
      grant = await this.locks.acquire(CRON_SCOPE, scheduleKey, this.holder, { leaseMs: CLAIM_LEASE_MS, timeoutMs: 0 });
    } catch (error) {
      if (error instanceof LockTimeoutError) return; // another node is firing it
      throw error;
    }
    try {
      const value = await this.kv.get(CRON_SCOPE, scheduleKey);
      if (value === undefined) return; // cancelled meanwhile
      const schedule = JSON.parse(value) as CronSchedule;
      const now = this.clock();
      if (schedule.next_ms > now) return; // fired by another node since our listing
      const next = nextRun(schedule.expr, now);
      // Fenced: if our lease lapsed and another node took the lock, this write fails and we do not fire.
      await this.kv.put(CRON_SCOPE, scheduleKey, JSON.stringify({ ...schedule, next_ms: next }), { fence: { lock: scheduleKey, version: grant.version } });
      try {
        this.deliver(schedule.actor, schedule.type, schedule.payload);
        this.figures.fired++;
      } catch {
        this.figures.dropped++; // the actor is not running (it may come back: the schedule stays)
      }
    } finally {
      await this.locks.release(CRON_SCOPE, scheduleKey, this.holder, grant.version).catch(() => undefined);
    }
  }
}

/** The first firing after `after` (epoch ms) of a cron expression (UTC); a bad expression is an InvalidArgumentError. */
export function nextRun(expr: string, after: number): number {
  let cron: Cron;
  try {
    cron = new Cron(expr, { paused: true, timezone: 'UTC' });
  } catch (cause) {
    throw new InvalidArgumentError(`invalid cron expression ${shown(expr)}: ${(cause as Error).message}`, { cause });
  }
  const next = cron.nextRun(new Date(after));
  if (next === null) throw new InvalidArgumentError(`the cron expression ${shown(expr)} never fires again`);
  return next.getTime();
}

function key(actor: string, name: string): string {
  return `${actor}${SEPARATOR}${name}`;
}
