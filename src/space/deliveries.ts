import { AlreadySettledError, LeaseExpiredError, SpaceClosedError } from '../errors.js';
import type { Tuple } from '../tuple/types.js';
import type { WriteOptions } from './operation-options.js';
import { exportTuple } from './space-core.js';
import type { StoredEntry } from './tuple-index.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timer.js';

/**
 * A tuple held by a crash-safe take (`take(t, { ack: true })`). The tuple is
 * out of the space until `ack()`; `nack()`, the end of the lease, or the
 * release of its holder puts it back, one delivery older.
 */
export interface Delivery {
  readonly tuple: Tuple;
  /** 1 on the first delivery of this tuple, 2 on the first redelivery, … */
  readonly deliveries: number;
  /** Epoch ms at which the lease ends and the tuple returns. */
  readonly leaseExpiresAt: number;
  /** Consumes the tuple for good. Rejects with `LeaseExpiredError` if the lease already ended. */
  ack(): Promise<void>;
  /** Returns the tuple now (or dead-letters it after `maxDeliveries`). */
  nack(): Promise<void>;
  /**
   * Consumes the tuple and writes `tuples` to the same space as one atomic
   * step: after a crash either both happened or neither (the tuple comes
   * back, nothing was written). This is what makes a pipeline stage exactly
   * once. An invalid tuple or a quota refusal rejects before anything
   * changes, and the delivery stays open; an ended lease rejects with
   * `LeaseExpiredError` and writes nothing.
   */
  ackWith(tuples: readonly Tuple[], options?: WriteOptions): Promise<void>;
}

interface Held {
  readonly entry: StoredEntry;
  readonly deliveries: number;
  readonly holder: string | undefined;
  timer: LongTimeout | undefined;
}

export interface DeliveryHooks {
  /** The tuple comes back: redeliver, or dead-letter when it has been delivered too often. */
  returnTuple(entry: StoredEntry, deliveries: number): void;
  /** It was acked: forget it in storage. */
  forget(entry: StoredEntry): void;
  /**
   * Checks `tuples` for a write (shape, lease, quota) without changing
   * anything, and returns what writes them: called in the same synchronous
   * step as the ack, so both land in one storage commit.
   */
  prepareWrite(tuples: readonly Tuple[], options: WriteOptions | undefined): () => void;
  /** Resolves once the effects so far are durable. */
  durable(): Promise<void>;
  clock(): number;
}

/** The tuples currently out on crash-safe takes, with one lease timer each. */
export class DeliveryTracker {
  private readonly held = new Map<StoredEntry, Held>();
  private closed = false;

  constructor(private readonly hooks: DeliveryHooks) {}

  get size(): number {
    return this.held.size;
  }

  /** Hands out `entry` (already out of the index) under a lease. */
  open(entry: StoredEntry, deliveries: number, leaseMs: number, holder: string | undefined): Delivery {
    const held: Held = { entry, deliveries, holder, timer: undefined };
    // A long timer: a lease past setTimeout's 2^31-1 ms would otherwise end at
    // once. Unref'd: a pending lease alone does not keep the process alive; a
    // durable space recovers the tuple when it is reopened.
    held.timer = setLongTimeout(() => this.giveBack(held), leaseMs);
    this.held.set(entry, held);
    let settled = false;
    const settle = (): void => {
      if (this.closed) throw new SpaceClosedError();
      if (settled) throw new AlreadySettledError();
      if (this.held.get(entry) !== held) throw new LeaseExpiredError();
      settled = true;
    };
    return {
      tuple: exportTuple(entry),
      deliveries,
      leaseExpiresAt: this.hooks.clock() + leaseMs,
      ack: async () => {
        settle();
        this.drop(held);
        this.hooks.forget(entry);
        await this.hooks.durable();
      },
      nack: async () => {
        settle();
        this.giveBack(held);
        await this.hooks.durable();
      },
      ackWith: async (tuples, options) => {
        // Checked first: a refused write leaves the delivery open. Everything
        // up to the await is one synchronous step, so the ack and the writes
        // share one commit.
        const write = this.hooks.prepareWrite(tuples, options);
        settle();
        this.drop(held);
        this.hooks.forget(entry);
        write();
        await this.hooks.durable();
      },
    };
  }

  /** How many tuples `holder` holds. */
  heldBy(holder: string): number {
    let n = 0;
    for (const held of this.held.values()) if (held.holder === holder) n++;
    return n;
  }

  /** Returns every tuple held by `holder` (a closed connection, a dead actor). */
  release(holder: string): number {
    let n = 0;
    for (const held of [...this.held.values()]) {
      if (held.holder === holder) {
        this.giveBack(held);
        n++;
      }
    }
    return n;
  }

  /**
   * Stops every lease timer. The tuples stay out: a durable space finds them
   * marked in flight when it reopens and puts them back then.
   */
  close(): void {
    this.closed = true;
    for (const held of this.held.values()) held.timer?.clear();
    this.held.clear();
  }

  private giveBack(held: Held): void {
    if (this.held.get(held.entry) !== held) return;
    this.drop(held);
    this.hooks.returnTuple(held.entry, held.deliveries);
  }

  private drop(held: Held): void {
    held.timer?.clear();
    held.timer = undefined;
    this.held.delete(held.entry);
  }
}
