import { AlreadySettledError, LeaseExpiredError, SpaceClosedError } from '../../errors.js';
import type { Delivery } from '../../space/deliveries.js';
import type { Tuple } from '../../tuple/types.js';
import type { WriteOptions } from '../../space/operation-options.js';
import { setLongTimeout, type LongTimeout } from '../../util/long-timer.js';

/**
 * This instance's crash-safe deliveries. The delivery itself lives in Redis
 * (opened by the script that took the tuple, with its lease deadline on the
 * Redis clock); here is the `Delivery` handed to the caller and a lease
 * timer, which gives the tuple back promptly when the lease ends. If this
 * process dies, the deadline in Redis still brings the tuple back: the next
 * script on the space returns every delivery whose lease has ended.
 */
export class RedisDeliveries {
  private readonly timers = new Map<string, LongTimeout>();
  private closed = false;

  constructor(
    private readonly settle: (mode: 'ack' | 'nack' | 'lapse', id: string) => Promise<boolean>,
    /**
     * Acks and writes in one script: false when the delivery was no longer
     * open. Checks the tuples (and throws) before anything is sent; a quota
     * refusal rejects with nothing changed.
     */
    private readonly ackWrite: (id: string, tuples: readonly Tuple[], options: WriteOptions | undefined) => Promise<boolean>,
  ) {}

  get size(): number {
    return this.timers.size;
  }

  /** `header` is the script's "id:deliveries:leaseExpiresAt"; `leaseMs` what the caller asked for. */
  open(header: string, tuple: Tuple, leaseMs: number): Delivery & { readonly ref: string } {
    const [id, deliveries, expiresAt] = header.split(':');
    // Unref'd, as in-process: a pending lease alone does not keep the process up.
    this.timers.set(
      id,
      setLongTimeout(() => {
        this.timers.delete(id);
        this.settle('lapse', id).catch(() => undefined);
      }, leaseMs),
    );
    let settled = false;
    const settleOnce = async (mode: 'ack' | 'nack', tuples?: readonly Tuple[], options?: WriteOptions): Promise<void> => {
      if (this.closed) throw new SpaceClosedError();
      if (settled) throw new AlreadySettledError();
      // The lease timer fired: the tuple is already on its way back.
      if (!this.timers.has(id)) throw new LeaseExpiredError();
      settled = true;
      const timer = this.timers.get(id)!;
      let open: boolean;
      try {
        open = tuples === undefined ? await this.settle(mode, id) : await this.ackWrite(id, tuples, options);
      } catch (error) {
        // Refused (an invalid tuple, a quota, Redis unreachable): the delivery is still open in Redis, and still ours.
        settled = false;
        throw error;
      }
      timer.clear();
      if (this.timers.get(id) === timer) this.timers.delete(id);
      // Redis's clock ended the lease first (another script gave the tuple back).
      if (!open) throw new LeaseExpiredError();
    };
    return {
      tuple,
      // Another node may settle it by this (settleDelivery): a remote client's next request may reach any node.
      ref: id,
      deliveries: Number(deliveries),
      leaseExpiresAt: Number(expiresAt),
      ack: () => settleOnce('ack'),
      nack: () => settleOnce('nack'),
      ackWith: (tuples, options) => settleOnce('ack', tuples, options),
    };
  }

  /** Stops the lease timers; the deliveries stay open in Redis until their deadline. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) timer.clear();
    this.timers.clear();
  }
}
