import { AbortError } from '../../errors.js';
import { setLongTimeout, type LongTimeout } from '../../util/long-timer.js';

/**
 * One blocked read or take of this process, from the call until it settles.
 *
 *   registering ──reply: found──────────────▶ settled (the tuple)
 *        │ reply: filed                         ▲
 *        ▼                                      │ handoff message
 *     waiting ──────────────────────────────────┤
 *        │ timeout / abort / close              │
 *        ▼                                      │
 *     leaving ── leave script: handoff? ────────┘ (timeout: deliver; abort: put back)
 *
 * A timeout resolves only once Redis has said whether a tuple was handed
 * over meanwhile, so a tuple is never lost between the two. An abort
 * settles only once the leave script has put back any tuple handed over
 * meanwhile: when the caller sees the AbortError, that tuple is in the
 * space again — a caller that aborts its take and then counts (a pipeline
 * stage checking for its end of stream) must not miss it. Close rejects at
 * once and cleans up after (the space is going away).
 */
/** What a blocked op is handed: the tuple's bytes and, for a crash-safe take, its delivery header. */
export interface Handed {
  readonly tuple: Buffer;
  readonly header: string;
}

export type BlockedState = 'registering' | 'waiting' | 'leaving' | 'settled';

export interface BlockedOpHooks {
  /** The timer fired: withdraw the waiter, resolving with a tuple that raced in or null. */
  onTimeout(op: BlockedOp): void;
  /** Aborted: withdraw the waiter, put back anything handed to it, then fail the op with `error`. */
  onAbort(op: BlockedOp, error: AbortError): void;
  /** Settled one way or another: forget it. */
  onSettled(op: BlockedOp): void;
}

export class BlockedOp {
  state: BlockedState = 'registering';
  /** Resolves when the block script has answered (found or filed). */
  registered: Promise<void> = Promise.resolve();
  /** The block script has answered: a leave script sent now runs after it. */
  isRegistered = false;
  private timer: LongTimeout | undefined;
  private readonly onAbortSignal: () => void;

  constructor(
    readonly waiterId: string,
    readonly kind: 'r' | 't',
    private readonly resolve: (handed: Handed | null) => void,
    private readonly reject: (error: Error) => void,
    private readonly hooks: BlockedOpHooks,
    timeoutMs: number | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.onAbortSignal = () => {
      if (this.state === 'settled' || this.state === 'leaving') return;
      this.state = 'leaving';
      this.hooks.onAbort(this, new AbortError(signal!.reason));
    };
    signal?.addEventListener('abort', this.onAbortSignal, { once: true });
    if (timeoutMs !== undefined) {
      // Referenced, as the in-process space's: a blocked read keeps the process up.
      this.timer = setLongTimeout(
        () => {
          this.timer = undefined;
          if (this.state === 'settled' || this.state === 'leaving') return;
          this.state = 'leaving';
          this.hooks.onTimeout(this);
        },
        timeoutMs,
        { ref: true },
      );
    }
  }

  get hasTimer(): boolean {
    return this.timer !== undefined;
  }

  /** Still open to a handoff message (a timeout or abort in progress decides through Redis instead). */
  get acceptsHandoff(): boolean {
    return this.state === 'registering' || this.state === 'waiting';
  }

  succeed(handed: Handed | null): void {
    if (this.state === 'settled') return;
    this.cleanup();
    this.resolve(handed);
  }

  fail(error: Error): void {
    if (this.state === 'settled') return;
    this.cleanup();
    this.reject(error);
  }

  private cleanup(): void {
    this.state = 'settled';
    this.timer?.clear();
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this.onAbortSignal);
    this.hooks.onSettled(this);
  }
}
