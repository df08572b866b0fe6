import { pack, unpack } from 'msgpackr';
import { AbortError, AlreadySettledError, BackendUnavailableError, BackpressureError, ChannelClosedError, InvalidArgumentError, NotFoundError, PayloadTooLargeError, shown } from '../../errors.js';
import { messageBytes } from '../../coord/message-size.js';
import type { DeadLetter, QueueChannelOptions, QueueDelivery, QueueStats, ReceiveOptions, SendOptions } from '../../coord/queue-channel.js';
import { scopeKey, type Scope } from '../../coord/scope.js';
import { optionalDuration } from '../../util/duration.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { channelKeys, queueScriptHead } from './channel-keys.js';
import type { ChannelNotices } from './channel-notices.js';
import { processQueuesKey } from './process-queues.js';
import { queueScripted, type QueueScripted } from './redis-queue-scripts.js';
import { WaitLine, type Attempt } from './wait-line.js';


interface QueueWaiters {
  readonly senders: WaitLine<void>;
  readonly receivers: WaitLine<QueueDelivery<unknown> | null>;
  /** Resolves once the queue's notices reach this process; every waiter's first try waits for it. */
  subscribed: Promise<void>;
}

/**
 * Queue channels on Redis, shared by every node of a cluster: the contract
 * of QueueChannel (capacity counting ready and in-flight messages,
 * at-least-once delivery, visibility timeout, redelivery at the head,
 * dead letters after `maxDeliveries`, a consumer's exit redelivers what it
 * held), with the messages in a Redis stream read by a consumer group and
 * every decision taken by one script on the scope's slot
 * (redis-queue-scripts.ts).
 *
 * Waiting senders and receivers wait in this process, oldest first
 * (WaitLine), and try again when the queue's channel says a message became
 * ready or room freed, or when the earliest visibility deadline passes.
 * Across processes, whichever asks first after the change wins.
 */
export class RedisQueues {
  private readonly client: QueueScripted;
  private readonly waiting = new Map<string, QueueWaiters>();
  /** Queues each consumer received from through this process: what releaseConsumer visits (no SCAN). */
  private readonly heldBy = new Map<string, Map<string, { scope: Scope; name: string }>>();
  /** Queues already filed under this process (process-queues.ts), so a departed node's deliveries can be found. */
  private readonly filed = new Set<string>();
  private closed = false;

  /** `process` names this process in the deliveries it hands out: `<node id>.<incarnation>`. */
  constructor(
    client: RedisClient,
    private readonly notices: ChannelNotices,
    private readonly process: string,
  ) {
    this.client = queueScripted(client);
  }

  async declare(scope: Scope, name: string, options?: QueueChannelOptions): Promise<void> {
    const outcome = await onBackend('channel declare', () => this.client.plexQueueOpen(...this.head(scope, name, options, true)));
    check(outcome, name);
  }

  async send<T>(scope: Scope, name: string, message: T, options: SendOptions = {}): Promise<void> {
    const head = this.head(scope, name, undefined, true);
    if (message === undefined) throw new InvalidArgumentError('a channel message cannot be undefined');
    const bytes = messageBytes(message);
    optionalDuration('timeoutMs', options.timeoutMs);
    if (this.closed) throw new ChannelClosedError(name);
    const payload = pack(message);
    const attempt = async (): Promise<Attempt<void>> => {
      const [outcome, detail] = await onBackend('channel send', () => this.client.plexQueueSend(...head, String(bytes), payload));
      if (outcome === 'ok') return { got: true, result: undefined };
      if (outcome === 'full') return { got: false, retryInMs: Number(detail) };
      if (outcome === 'too-large') throw new PayloadTooLargeError(`a message of ${bytes} bytes is over channel ${name}'s limit of ${detail}`);
      throw kindError(name);
    };
    const line = this.waiting.get(head[0])?.senders;
    if (line === undefined || line.size === 0) {
      const first = await attempt();
      if (first.got) return;
    }
    if (options.onFull === 'fail') throw new BackpressureError(`channel ${name} is full`);
    if (options.signal?.aborted) throw new AbortError(options.signal.reason);
    return this.wait(scope, name, 'senders', attempt, options.timeoutMs, options.signal, () => {
      throw new BackpressureError(`channel ${name} stayed full for ${options.timeoutMs} ms`);
    });
  }

  async receive<T>(scope: Scope, name: string, options: ReceiveOptions = {}): Promise<QueueDelivery<T> | null> {
    const head = this.head(scope, name, undefined, true);
    // Only the first attempt may create the queue: a retry while waiting that finds it gone means it was
    // deleted meanwhile (perhaps before this process heard of it), and creating it again would bring back
    // a channel its deleter was just told is gone.
    const retryHead = this.head(scope, name, undefined, false);
    let attempts = 0;
    optionalDuration('timeoutMs', options.timeoutMs);
    if (this.closed) throw new ChannelClosedError(name);
    const consumer = options.consumer ?? '';
    if (typeof consumer !== 'string') throw new InvalidArgumentError(`a consumer must be a string, got ${shown(consumer)}`);
    const attempt = async (): Promise<Attempt<QueueDelivery<unknown> | null>> => {
      const creating = attempts++ === 0;
      if (!this.filed.has(head[0])) {
        await onBackend('channel receive', () => this.client.sadd(processQueuesKey(this.process), JSON.stringify([scope.tenant, scope.namespace, name])));
        this.filed.add(head[0]);
      }
      const reply = await onBackend('channel receive', () => this.client.plexQueueReceiveBuffer(...(creating ? head : retryHead), consumer, this.process));
      const outcome = reply[0].toString();
      if (outcome === 'empty') return { got: false, retryInMs: Number(reply[1].toString()) };
      if (outcome === 'missing' && !creating) throw new ChannelClosedError(name);
      if (outcome !== 'got') check(outcome, name);
      this.remember(consumer, scope, name);
      return { got: true, result: { id: Number(reply[1].toString()), message: unpack(reply[2]), attempt: Number(reply[3].toString()), consumer } };
    };
    const line = this.waiting.get(head[0])?.receivers;
    if (line === undefined || line.size === 0) {
      const first = await attempt();
      if (first.got) return first.result as QueueDelivery<T>;
      if (options.timeoutMs === 0) return null;
    }
    if (options.signal?.aborted) throw new AbortError(options.signal.reason);
    return this.wait(scope, name, 'receivers', attempt, options.timeoutMs, options.signal, () => null) as Promise<QueueDelivery<T> | null>;
  }

  async settle(scope: Scope, name: string, id: number, how: 'ack' | 'requeue' | 'dead'): Promise<void> {
    const head = this.head(scope, name, undefined, false);
    // Delivery ids count from 1: any other id is settled (once the queue is known to exist, as in process).
    const known = Number.isSafeInteger(id) && id > 0 ? String(id) : '0';
    const outcome = await onBackend(`channel ${how === 'ack' ? 'ack' : 'nack'}`, () => this.client.plexQueueSettle(...head, known, how));
    if (outcome === 'settled') throw new AlreadySettledError();
    check(outcome, name);
  }

  async deadLetters<T>(scope: Scope, name: string, drain = false): Promise<DeadLetter<T>[]> {
    const head = this.head(scope, name, undefined, false);
    const reply = await onBackend('channel dead letters', () => this.client.plexQueueDeadLettersBuffer(...head, drain ? '1' : '0'));
    check(reply[0].toString(), name);
    const out: DeadLetter<T>[] = [];
    for (let i = 1; i < reply.length; i += 4) {
      out.push({ message: unpack(reply[i]) as T, attempts: Number(reply[i + 1].toString()), reason: reply[i + 2].toString() as DeadLetter<T>['reason'], at: Number(reply[i + 3].toString()) });
    }
    return out;
  }

  async stats(scope: Scope, name: string): Promise<QueueStats> {
    const head = this.head(scope, name, undefined, false);
    const reply = await onBackend('channel stats', () => this.client.plexQueueStats(...head));
    check(String(reply[0]), name);
    const [ready, inFlight, capacity, deadLetters, sent, acked, redelivered, deadLettered, deadLettersDropped] = reply.slice(1).map(Number);
    const waiters = this.waiting.get(head[0]);
    return {
      ready,
      inFlight,
      capacity,
      deadLetters,
      sendersWaiting: waiters?.senders.size ?? 0,
      receiversWaiting: waiters?.receivers.size ?? 0,
      sent,
      acked,
      redelivered,
      deadLettered,
      deadLettersDropped,
    };
  }

  /** Redelivers what `consumer` holds in every queue it received from through this process. */
  async releaseConsumer(consumer: string): Promise<number> {
    const queues = this.heldBy.get(consumer);
    if (queues === undefined) return 0;
    this.heldBy.delete(consumer);
    let released = 0;
    for (const { scope, name } of queues.values()) {
      released += await onBackend('channel release', () => this.client.plexQueueRelease(...this.head(scope, name, undefined, false), consumer));
    }
    return released;
  }

  /** The queue was deleted (here or on another node): this process's waiters fail. */
  deleted(base: string, name: string): void {
    const waiters = this.waiting.get(base);
    waiters?.senders.failAll(new ChannelClosedError(name));
    waiters?.receivers.failAll(new ChannelClosedError(name));
  }

  /** The notice connection dropped: this process's waiters would hear of no change, so they fail now (a new call fails fast until Redis is back). */
  backendLost(): void {
    for (const waiters of this.waiting.values()) {
      const error = new BackendUnavailableError('channel wait: the connection to the cluster backend (Redis) was lost');
      waiters.senders.failAll(error);
      waiters.receivers.failAll(error);
    }
  }

  /** The notice connection came back: notices may have been lost, so every line looks again. */
  lookAgain(): void {
    for (const waiters of this.waiting.values()) {
      waiters.senders.wake();
      waiters.receivers.wake();
    }
  }

  close(): void {
    this.closed = true;
    for (const [base, waiters] of this.waiting) {
      const name = base.slice(base.indexOf(':ch:') + 4);
      waiters.senders.failAll(new ChannelClosedError(name));
      waiters.receivers.failAll(new ChannelClosedError(name));
    }
  }

  // ── internals ────────────────────────────────────────────────────────────

  private head(scope: Scope, name: string, options: QueueChannelOptions | undefined, create: boolean): string[] {
    return queueScriptHead(scope, name, options, create);
  }

  private wait<R>(scope: Scope, name: string, which: 'senders' | 'receivers', attempt: () => Promise<Attempt<R>>, timeoutMs: number | undefined, signal: AbortSignal | undefined, onTimeout: () => R): Promise<R> {
    const { base, events } = channelKeys(scope, name);
    let waiters = this.waiting.get(base);
    if (waiters === undefined) {
      const onEmpty = () => {
        if (created.senders.size > 0 || created.receivers.size > 0 || this.waiting.get(base) !== created) return;
        this.waiting.delete(base);
        this.notices.unwatch(events);
      };
      const created: QueueWaiters = { senders: new WaitLine<void>(onEmpty), receivers: new WaitLine<QueueDelivery<unknown> | null>(onEmpty), subscribed: Promise.resolve() };
      // Subscribed first, then tried: a change between the caller's first try and the subscription is not missed.
      created.subscribed = onBackend('channel wait', () => this.notices.watch(events, (notice) => this.onNotice(base, name, notice)));
      waiters = created;
      this.waiting.set(base, created);
    }
    const line = waiters[which] as unknown as WaitLine<R>;
    const result = line.join(attempt, timeoutMs, signal, onTimeout);
    waiters.subscribed.then(
      () => line.wake(),
      (error: unknown) => line.failAll(error as Error),
    );
    return result;
  }

  private onNotice(base: string, name: string, notice: Buffer): void {
    const waiters = this.waiting.get(base);
    if (waiters === undefined) return;
    const kind = notice.toString();
    if (kind === 'r') waiters.receivers.wake();
    else if (kind === 's') waiters.senders.wake();
    else if (kind === 'x') this.deleted(base, name);
  }

  private remember(consumer: string, scope: Scope, name: string): void {
    let queues = this.heldBy.get(consumer);
    if (queues === undefined) this.heldBy.set(consumer, (queues = new Map()));
    queues.set(`${scopeKey(scope)}\u0000${name}`, { scope, name });
  }
}

function kindError(name: string): InvalidArgumentError {
  return new InvalidArgumentError(`channel ${shown(name)} is a topic, not a queue`);
}

/** A script's status other than success, as the in-process channels' error. */
function check(outcome: string, name: string): void {
  if (outcome === 'ok') return;
  if (outcome === 'kind') throw kindError(name);
  if (outcome === 'missing') throw new NotFoundError('queue channel', name);
  throw new Error(`unexpected reply from a channel script: ${outcome}`);
}
