import { AbortError, AlreadySettledError, BackpressureError, ChannelClosedError, InvalidArgumentError, PayloadTooLargeError } from '../errors.js';
import { checkDuration, optionalDuration } from '../util/duration.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timer.js';
import { messageBytes } from './message-size.js';
import { park, type Parked } from './waiting.js';

export interface QueueChannelOptions {
  /** Most messages held at once, ready and in flight together. Default 1000. */
  capacity?: number;
  /** Deliveries before a message goes to the dead letters instead of being redelivered. Default 5. */
  maxDeliveries?: number;
  /** An unacked delivery is redelivered this long after it was handed out. Default 30 s. */
  visibilityTimeoutMs?: number;
  /** Dead letters kept; past it the oldest is dropped (and counted). Default 10,000. */
  deadLetterCapacity?: number;
  /** Largest message (bytes, UTF-8 or JSON). Default 1 MiB. */
  maxMessageBytes?: number;
}

export interface SendOptions {
  /** What a send to a full channel does: wait for room (default) or fail at once with `BackpressureError`. */
  onFull?: 'wait' | 'fail';
  /** How long `wait` waits before failing with `BackpressureError`. Default: no limit. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ReceiveOptions {
  /** Who takes the delivery; `releaseConsumer` redelivers everything a dead consumer held. Default `''`. */
  consumer?: string;
  /** Resolves `null` after this long with nothing to receive. Default: wait forever. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface QueueDelivery<T> {
  /** Settle with `ack(id)` or `nack(id)`. */
  readonly id: number;
  readonly message: T;
  /** 1 for the first delivery, 2 for the first redelivery, … */
  readonly attempt: number;
  readonly consumer: string;
}

export interface DeadLetter<T> {
  readonly message: T;
  readonly attempts: number;
  readonly reason: 'nack' | 'consumer-exit' | 'visibility-timeout';
  readonly at: number;
}

export interface QueueStats {
  readonly ready: number;
  readonly inFlight: number;
  readonly capacity: number;
  readonly deadLetters: number;
  readonly sendersWaiting: number;
  readonly receiversWaiting: number;
  readonly sent: number;
  readonly acked: number;
  readonly redelivered: number;
  readonly deadLettered: number;
  readonly deadLettersDropped: number;
}

interface Entry<T> {
  readonly message: T;
  attempts: number;
}

interface InFlight<T> {
  readonly entry: Entry<T>;
  readonly consumer: string;
  readonly timer: LongTimeout;
}

/**
 * A bounded work queue with at-least-once delivery.
 *
 * A received message stays in flight until its consumer acks it. A nack, the
 * consumer's exit (`releaseConsumer`) or the visibility timeout puts it back
 * at the head of the queue for another delivery; after `maxDeliveries`
 * deliveries it goes to the dead letters instead, so a poison message cannot
 * loop forever. Messages in flight count against `capacity`: a channel whose
 * consumers do not keep up makes its senders wait (or fail), it never grows
 * without limit.
 */
export class QueueChannel<T = unknown> {
  private readonly ready: Entry<T>[] = [];
  private head = 0;
  private readonly inFlight = new Map<number, InFlight<T>>();
  private readonly dead: DeadLetter<T>[] = [];
  private readonly senders: Parked<void>[] = [];
  private readonly waitingMessages = new Map<Parked<void>, T>();
  private readonly receivers: { parked: Parked<QueueDelivery<T> | null>; consumer: string }[] = [];
  private readonly receiverQueue: Parked<QueueDelivery<T> | null>[] = [];
  private nextId = 1;
  private closed = false;
  private counts = { sent: 0, acked: 0, redelivered: 0, deadLettered: 0, deadLettersDropped: 0 };
  readonly capacity: number;
  readonly maxDeliveries: number;
  readonly visibilityTimeoutMs: number;
  private readonly deadLetterCapacity: number;
  private readonly maxMessageBytes: number;

  constructor(
    readonly name: string,
    options: QueueChannelOptions = {},
  ) {
    ({
      capacity: this.capacity,
      maxDeliveries: this.maxDeliveries,
      visibilityTimeoutMs: this.visibilityTimeoutMs,
      deadLetterCapacity: this.deadLetterCapacity,
      maxMessageBytes: this.maxMessageBytes,
    } = queueChannelSettings(options));
  }

  /** Ready plus in flight. */
  get size(): number {
    return this.ready.length - this.head + this.inFlight.size;
  }

  /** Queues `message`; on a full channel waits for room or fails, per `onFull`. Waiting senders go in arrival order. */
  send(message: T, options: SendOptions = {}): Promise<void> {
    try {
      this.checkMessage(message);
      optionalDuration('timeoutMs', options.timeoutMs);
      if (this.closed) throw new ChannelClosedError(this.name);
      if (this.size < this.capacity && this.senders.length === 0) {
        this.accept(message);
        return Promise.resolve();
      }
      if (options.onFull === 'fail') throw new BackpressureError(`channel ${this.name} is full (${this.capacity} messages)`);
      // park() refuses an aborted signal without queuing, and the line after it takes the
      // last queued sender as ours: checked here, or another sender's message is replaced.
      if (options.signal?.aborted) throw new AbortError(options.signal.reason);
      const promise = park(this.senders, options.timeoutMs, options.signal, () => {
        throw new BackpressureError(`channel ${this.name} stayed full for ${options.timeoutMs} ms`);
      });
      // The message is accepted by roomFreed() at the moment room appears, so no later sender can take the slot.
      const parked = this.senders[this.senders.length - 1];
      this.waitingMessages.set(parked, message);
      return promise.catch((error: unknown) => {
        this.waitingMessages.delete(parked); // timed out or aborted: the message was never accepted
        throw error;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sends without waiting; false when the channel is full. */
  trySend(message: T): boolean {
    this.checkMessage(message);
    if (this.closed) throw new ChannelClosedError(this.name);
    if (this.size >= this.capacity || this.senders.length > 0) return false;
    this.accept(message);
    return true;
  }

  /** The oldest ready message, or `null` after `timeoutMs`. */
  receive(options: ReceiveOptions = {}): Promise<QueueDelivery<T> | null> {
    try {
      optionalDuration('timeoutMs', options.timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closed) return Promise.reject(new ChannelClosedError(this.name));
    const consumer = options.consumer ?? '';
    const entry = this.takeReady();
    if (entry !== undefined) return Promise.resolve(this.handOut(entry, consumer));
    if (options.timeoutMs === 0) return Promise.resolve(null);
    // As in send(): park() would not queue us, and the next line would adopt another receiver.
    if (options.signal?.aborted) return Promise.reject(new AbortError(options.signal.reason));
    const promise = park(this.receiverQueue, options.timeoutMs, options.signal, () => null);
    const parked = this.receiverQueue[this.receiverQueue.length - 1];
    this.receivers.push({ parked, consumer });
    return promise.finally(() => {
      const at = this.receivers.findIndex((r) => r.parked === parked);
      if (at >= 0) this.receivers.splice(at, 1);
    });
  }

  ack(id: number): void {
    this.settle(id);
    this.counts.acked++;
    this.roomFreed();
  }

  /** Redelivers (default) or dead-letters the message now. */
  nack(id: number, options: { requeue?: boolean } = {}): void {
    const flight = this.settle(id);
    if (options.requeue === false) this.deadLetter(flight.entry, 'nack');
    else this.redeliver(flight.entry, 'nack');
  }

  /** A consumer died: every message it held is redelivered (or dead-lettered at its limit). Returns how many. */
  releaseConsumer(consumer: string): number {
    let released = 0;
    for (const [id, flight] of [...this.inFlight]) {
      if (flight.consumer !== consumer) continue;
      this.settle(id);
      this.redeliver(flight.entry, 'consumer-exit');
      released++;
    }
    return released;
  }

  /** Dead letters, oldest first. `drain` removes them. */
  deadLetters(drain = false): DeadLetter<T>[] {
    return drain ? this.dead.splice(0) : [...this.dead];
  }

  stats(): QueueStats {
    return {
      ready: this.ready.length - this.head,
      inFlight: this.inFlight.size,
      capacity: this.capacity,
      deadLetters: this.dead.length,
      sendersWaiting: this.senders.length,
      receiversWaiting: this.receivers.length,
      ...this.counts,
    };
  }

  /** Fails every waiting sender and receiver with `ChannelClosedError`; later calls fail the same way. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const flight of this.inFlight.values()) flight.timer.clear();
    for (const s of [...this.senders]) s.fail(new ChannelClosedError(this.name));
    this.waitingMessages.clear();
    for (const r of [...this.receiverQueue]) r.fail(new ChannelClosedError(this.name));
  }

  // ── internals ────────────────────────────────────────────────────────────

  private checkMessage(message: T): void {
    if (message === undefined) throw new InvalidArgumentError('a channel message cannot be undefined');
    const bytes = messageBytes(message);
    if (bytes > this.maxMessageBytes) throw new PayloadTooLargeError(`a message of ${bytes} bytes is over channel ${this.name}'s limit of ${this.maxMessageBytes}`);
  }

  /** Hands `entry` to the oldest waiting receiver, or queues it (at the head for a redelivery). */
  private enqueue(entry: Entry<T>, front: boolean): void {
    const receiver = this.receivers.shift();
    if (receiver !== undefined) {
      receiver.parked.wake(this.handOut(entry, receiver.consumer));
      return;
    }
    if (front) {
      if (this.head > 0) this.ready[--this.head] = entry;
      else this.ready.unshift(entry);
    } else this.ready.push(entry);
  }

  private takeReady(): Entry<T> | undefined {
    if (this.head >= this.ready.length) return undefined;
    const entry = this.ready[this.head];
    this.ready[this.head++] = undefined as unknown as Entry<T>;
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready.splice(0, this.head);
      this.head = 0;
    }
    return entry;
  }

  private handOut(entry: Entry<T>, consumer: string): QueueDelivery<T> {
    entry.attempts++;
    const id = this.nextId++;
    // A long timer (unref'd): a visibility timeout past 2^31-1 ms would otherwise redeliver at once.
    const timer = setLongTimeout(() => {
      if (!this.inFlight.has(id)) return;
      this.inFlight.delete(id);
      this.redeliver(entry, 'visibility-timeout');
    }, this.visibilityTimeoutMs);
    this.inFlight.set(id, { entry, consumer, timer });
    return { id, message: entry.message, attempt: entry.attempts, consumer };
  }

  private settle(id: number): InFlight<T> {
    const flight = this.inFlight.get(id);
    if (flight === undefined) throw new AlreadySettledError();
    this.inFlight.delete(id);
    flight.timer.clear();
    return flight;
  }

  private redeliver(entry: Entry<T>, reason: DeadLetter<T>['reason']): void {
    if (this.closed) return;
    if (entry.attempts >= this.maxDeliveries) {
      this.deadLetter(entry, reason);
      return;
    }
    this.counts.redelivered++;
    this.enqueue(entry, true);
  }

  private deadLetter(entry: Entry<T>, reason: DeadLetter<T>['reason']): void {
    this.counts.deadLettered++;
    this.dead.push({ message: entry.message, attempts: entry.attempts, reason, at: Date.now() });
    if (this.dead.length > this.deadLetterCapacity) {
      this.dead.shift();
      this.counts.deadLettersDropped++;
    }
    this.roomFreed();
  }

  private accept(message: T): void {
    this.counts.sent++;
    this.enqueue({ message, attempts: 0 }, false);
  }

  /** A message left the channel: waiting senders' messages go in, oldest first, while there is room. */
  private roomFreed(): void {
    while (this.size < this.capacity && this.senders.length > 0) {
      const sender = this.senders[0];
      const message = this.waitingMessages.get(sender)!;
      this.waitingMessages.delete(sender);
      sender.wake(); // leaves the queue
      this.accept(message);
    }
  }
}

/** The options with their defaults, validated (a bad one is an `InvalidArgumentError` naming it); the Redis queue uses the same. */
export function queueChannelSettings(options: QueueChannelOptions = {}): Required<QueueChannelOptions> {
  return {
    capacity: positiveInteger('capacity', options.capacity ?? 1000),
    maxDeliveries: positiveInteger('maxDeliveries', options.maxDeliveries ?? 5),
    visibilityTimeoutMs: checkDuration('visibilityTimeoutMs', positiveInteger('visibilityTimeoutMs', options.visibilityTimeoutMs ?? 30_000)),
    deadLetterCapacity: positiveInteger('deadLetterCapacity', options.deadLetterCapacity ?? 10_000),
    maxMessageBytes: positiveInteger('maxMessageBytes', options.maxMessageBytes ?? 1024 * 1024),
  };
}

function positiveInteger(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got ${value}`);
  return value;
}
