import { setLongTimeout, type LongTimeout } from '../../util/long-timer.js';

/**
 * One timer for the earliest delivery lease of a Redis space: when it ends
 * (its holder may be dead), `run` (the tick script) gives the tuple back and
 * answers the ms until the next deadline (or -1), and the timer is armed
 * again. Armed only while `wanted()` (the space has blocked operations
 * that the returned tuple could serve).
 */
export class LeaseTick {
  private timer: { at: number; timer: LongTimeout } | undefined;

  constructor(
    private readonly wanted: () => boolean,
    private readonly run: () => Promise<number>,
  ) {}

  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Fires `inMs` from now, unless an earlier firing is already set. */
  arm(inMs: number): void {
    if (!this.wanted()) return;
    // A little after the deadline: Redis compares its own clock.
    const at = Date.now() + inMs + 2;
    if (this.timer !== undefined && this.timer.at <= at) return;
    this.stop();
    this.timer = {
      at,
      timer: setLongTimeout(() => {
        this.timer = undefined;
        this.run().then(
          (next) => next >= 0 && this.arm(next),
          () => undefined,
        );
      }, at - Date.now()),
    };
  }

  stop(): void {
    this.timer?.timer.clear();
    this.timer = undefined;
  }
}
