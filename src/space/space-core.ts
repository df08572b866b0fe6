import type { CompiledTemplate } from '../tuple/template.js';
import type { Tuple } from '../tuple/types.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timer.js';
import { ExpiryQueue } from './expiry-queue.js';
import type { SpaceStorage } from './storage/space-storage.js';
import { TemplateRegistry, type Subscription } from './template-registry.js';
import { TupleIndex, type StoredEntry } from './tuple-index.js';
import type { Watcher, WatchEventType } from './watch.js';

/** A blocked `read` or `take`, filed in the waiter registry until a write satisfies it. */
export interface Waiter extends Subscription {
  readonly kind: 'read' | 'take';
  /**
   * Hands the waiter its tuple. Called synchronously inside the write, after
   * the waiter has left the registry; for a take, `entry` is the tuple's
   * record (not in the index: the taker consumed it).
   */
  deliver(entry: StoredEntry): void;
}

/** A tuple about to be written: already validated and copied. */
export interface NewTuple {
  readonly tuple: Tuple;
  readonly hasBytes: boolean;
  readonly expiresAt: number;
  readonly deliveries: number;
  /** Encoded size (an upper bound), counted by a space with a byte quota. */
  readonly size?: number;
}

/**
 * The synchronous heart of a tuple space: the stored-tuple index, the
 * registries of blocked operations and watchers, and lease expiry. It is
 * owned by one thread and never awaits, so every method runs without
 * interleaving; the async facade (`TupleSpace`) adds validation, blocking
 * with timeouts, and waiting for durability.
 */
export class SpaceCore {
  readonly index = new TupleIndex();
  readonly waiters = new TemplateRegistry<Waiter>();
  readonly watchers = new TemplateRegistry<Watcher>();
  /** Sum of the `size` of the tuples in the index (space-quota.ts). */
  storedBytes = 0;
  private readonly expiry = new ExpiryQueue();
  private nextSeq = 1;
  private nextSubscriptionSeq = 1;
  private expiryTimer: LongTimeout | undefined;
  private expiryTimerAt = Infinity;

  constructor(
    private readonly clock: () => number,
    readonly storage: SpaceStorage | undefined,
  ) {}

  subscriptionSeq(): number {
    return this.nextSubscriptionSeq++;
  }

  /** Puts back a stored tuple at its original place in write order (used when loading storage). */
  restore(entry: StoredEntry): void {
    this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
    this.index.insert(entry);
    this.storedBytes += entry.size ?? 0;
    if (entry.expiresAt !== 0) this.trackLease(entry);
  }

  /**
   * Writes a tuple: every matching blocked reader gets it, then the oldest
   * matching blocked taker consumes it; only a tuple no taker consumed is
   * stored (DESIGN.md §3).
   */
  put(item: NewTuple): void {
    const tuple = item.tuple;
    const entry: StoredEntry = {
      seq: this.nextSeq++,
      tuple,
      hasBytes: item.hasBytes,
      expiresAt: item.expiresAt,
      deliveries: item.deliveries,
      size: item.size,
      dead: false,
      hidden: false,
    };
    this.emit('write', entry);
    if (this.waiters.size > 0) {
      let taker: Waiter | undefined;
      for (const waiter of this.waiters.matching(tuple)) {
        if (waiter.kind === 'read') {
          this.waiters.remove(waiter);
          waiter.deliver(entry);
        } else if (taker === undefined) {
          taker = waiter;
        }
      }
      if (taker !== undefined) {
        this.waiters.remove(taker);
        entry.dead = true;
        this.emit('take', entry);
        taker.deliver(entry);
        return;
      }
    }
    this.index.insert(entry);
    this.storedBytes += entry.size ?? 0;
    if (entry.expiresAt !== 0) this.trackLease(entry);
    this.storage?.insert({ ...entry, inflight: false });
  }

  /** The oldest live match, skipping (and expiring) tuples whose lease ended. */
  findLive(template: CompiledTemplate): StoredEntry | undefined {
    this.scanNow = 0;
    const found = this.index.find(template, this.isLive);
    if (this.expiredDuringScan.length > 0) {
      for (const entry of this.expiredDuringScan.splice(0)) this.expire(entry, true);
    }
    return found;
  }

  // One visitor for every scan (no closure per operation); it reads the
  // clock at most once per scan and defers expiring, which changes buckets,
  // until the scan is over.
  private scanNow = 0;
  private readonly expiredDuringScan: StoredEntry[] = [];
  private readonly isLive = (entry: StoredEntry): boolean => {
    if (entry.hidden) return false;
    if (entry.expiresAt !== 0) {
      if (this.scanNow === 0) this.scanNow = this.clock();
      if (entry.expiresAt <= this.scanNow) {
        this.expiredDuringScan.push(entry);
        return false;
      }
    }
    return true;
  };

  /** Live matches, oldest first, at most `limit`. */
  collectLive(template: CompiledTemplate, limit = Infinity): StoredEntry[] {
    const now = this.clock();
    const expired: StoredEntry[] = [];
    const out = this.index.collect(
      template,
      (entry) => {
        if (entry.hidden) return false;
        if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
          expired.push(entry);
          return false;
        }
        return true;
      },
      limit,
    );
    for (const entry of expired) this.expire(entry, true);
    return out;
  }

  count(template: CompiledTemplate, hiddenPossible: boolean): number {
    if (!hiddenPossible && this.expiry.size === 0) {
      const exact = this.index.exactCount(template);
      if (exact !== undefined) return exact;
    }
    return this.collectLive(template).length;
  }

  /**
   * Removes a stored tuple because it was taken. `inflight` keeps its storage
   * row, marked as held by a crash-safe take, instead of deleting it.
   */
  take(entry: StoredEntry, inflight?: { deliveries: number }): void {
    this.index.remove(entry);
    this.storedBytes -= entry.size ?? 0;
    if (entry.expiresAt !== 0) this.expiry.noteRemoved();
    if (inflight) this.storage?.setInflight(entry.seq, true, inflight.deliveries);
    else this.storage?.remove(entry.seq);
    this.emit('take', entry);
  }

  /** The lease of `entry` ended: it leaves the space and watchers see `expire`. */
  expire(entry: StoredEntry, outsideQueue: boolean): void {
    if (entry.dead) return;
    this.index.remove(entry);
    this.storedBytes -= entry.size ?? 0;
    if (outsideQueue) this.expiry.noteRemoved();
    this.storage?.remove(entry.seq);
    this.emit('expire', entry);
  }

  emit(type: WatchEventType, entry: StoredEntry): void {
    if (this.watchers.size === 0) return;
    for (const watcher of this.watchers.matching(entry.tuple)) {
      if (watcher.wants(type)) watcher.push({ type, tuple: exportTuple(entry) });
    }
  }

  /**
   * The template position a blocked operation is filed under: the keyed
   * position whose values are most varied among stored tuples of that arity
   * (the likeliest to tell writes apart), or -1 when it has none.
   */
  registrationPosition(template: CompiledTemplate): number {
    let best = -1;
    let bestCardinality = -1;
    for (const { pos } of template.keyed) {
      const cardinality = this.index.cardinality(template.arity, pos);
      if (cardinality >= bestCardinality) {
        best = pos;
        bestCardinality = cardinality;
      }
    }
    return best;
  }

  /** Stops the expiry timer; the core holds no timers afterwards. */
  stopTimers(): void {
    this.expiryTimer?.clear();
    this.expiryTimer = undefined;
    this.expiryTimerAt = Infinity;
    this.expiry.clear();
  }

  get leasedCount(): number {
    return this.expiry.size;
  }

  get hasTimer(): boolean {
    return this.expiryTimer !== undefined;
  }

  private trackLease(entry: StoredEntry): void {
    this.expiry.push(entry);
    if (entry.expiresAt < this.expiryTimerAt) this.armExpiryTimer(entry.expiresAt);
  }

  private armExpiryTimer(at: number): void {
    this.expiryTimer?.clear();
    this.expiryTimerAt = at;
    // A long timer: a lease past setTimeout's 2^31-1 ms would otherwise fire
    // after 1 ms, find nothing due and re-arm, spinning until the lease ends.
    // Unref'd: pending leases alone do not keep the process alive.
    this.expiryTimer = setLongTimeout(() => this.onExpiryTimer(), Math.max(0, at - this.clock()));
  }

  private onExpiryTimer(): void {
    this.expiryTimer = undefined;
    this.expiryTimerAt = Infinity;
    for (const entry of this.expiry.popDue(this.clock())) this.expire(entry, false);
    const next = this.expiry.peekTime();
    if (next !== undefined) this.armExpiryTimer(next);
  }
}

/** The tuple as callers get it: the frozen stored tuple, with `Uint8Array` fields copied. */
export function exportTuple(entry: { readonly tuple: Tuple; readonly hasBytes: boolean }): Tuple {
  return entry.hasBytes ? (copyBytes(entry.tuple) as Tuple) : entry.tuple;
}

function copyBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return Object.freeze(value.map(copyBytes));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = copyBytes(v);
    return Object.freeze(out);
  }
  return value;
}
