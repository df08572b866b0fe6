import type { Channels } from './channels.js';
import type { DeadLetter, QueueChannelOptions, QueueDelivery, QueueStats, ReceiveOptions, SendOptions } from './queue-channel.js';
import { checkScope, type Scope } from './scope.js';
import type { PublishOptions, SubscribeOptions, TopicChannelOptions, TopicSubscription } from './topic-channel.js';

/**
 * Named channels as every caller uses them (actors' channel-* host calls,
 * the node's coordination): work queues and pub/sub topics per tenant and
 * namespace, in process (`localChannels` over `Channels`) or shared by the
 * nodes of a cluster (Redis, src/cluster/redis-coordination/redis-channels.ts).
 * Both check input the same way and fail with the same typed errors.
 *
 * A queue or topic is created on first use; `declareQueue`/`declareTopic`
 * create one with options (options only apply at creation). A name is one
 * kind or the other. `ack`, `nack`, `deadLetters` and `stats` name an
 * existing queue (`NotFoundError` otherwise).
 */
export interface ChannelService {
  declareQueue(scope: Scope, name: string, options?: QueueChannelOptions): Promise<void>;
  declareTopic(scope: Scope, name: string, options?: TopicChannelOptions): Promise<void>;
  /** Queues `message`; on a full queue waits for room or fails, per `onFull` (see QueueChannel.send). */
  send<T>(scope: Scope, name: string, message: T, options?: SendOptions): Promise<void>;
  /** The oldest ready message (redeliveries first), or `null` after `timeoutMs`. */
  receive<T>(scope: Scope, name: string, options?: ReceiveOptions): Promise<QueueDelivery<T> | null>;
  ack(scope: Scope, name: string, id: number): Promise<void>;
  /** Redelivers (default) or dead-letters the message now. */
  nack(scope: Scope, name: string, id: number, options?: { requeue?: boolean }): Promise<void>;
  /** Dead letters, oldest first; `drain` removes them. */
  deadLetters<T>(scope: Scope, name: string, drain?: boolean): Promise<DeadLetter<T>[]>;
  stats(scope: Scope, name: string): Promise<QueueStats>;
  /** Delivers to every matching subscriber; resolves how many it reached (see the implementation for what counts). */
  publish<T>(scope: Scope, name: string, message: T, options?: PublishOptions): Promise<number>;
  subscribe<T>(scope: Scope, name: string, options?: SubscribeOptions<T>): Promise<TopicSubscription<T>>;
  list(scope: Scope): Promise<{ name: string; kind: 'queue' | 'topic' }[]>;
  /** Closes and forgets a channel (waiters fail with `ChannelClosedError`); false when there was none. */
  delete(scope: Scope, name: string): Promise<boolean>;
  /** A consumer exited: what it held in every queue is redelivered (or dead-lettered at its limit). Resolves how many. */
  releaseConsumer(consumer: string): Promise<number>;
  /** Fails this node's waiting callers with `ChannelClosedError`. */
  close(): void;
}

/** A synchronous call as a promise: its throw becomes the rejection. */
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The channels of one process: today's in-memory QueueChannel and TopicChannel per scope. */
export function localChannels(channels: Channels): ChannelService {
  return {
    declareQueue: (scope, name, options) => settle(() => void channels.queue(checkScope(scope), name, options)),
    declareTopic: (scope, name, options) => settle(() => void channels.topic(checkScope(scope), name, options)),
    send: (scope, name, message, options) => settle(() => channels.queue(checkScope(scope), name)).then((q) => q.send(message, options)),
    receive: <T>(scope: Scope, name: string, options?: ReceiveOptions) => settle(() => channels.queue<T>(checkScope(scope), name)).then((q) => q.receive(options)),
    ack: (scope, name, id) => settle(() => channels.existingQueue(checkScope(scope), name).ack(id)),
    nack: (scope, name, id, options) => settle(() => channels.existingQueue(checkScope(scope), name).nack(id, options)),
    deadLetters: <T>(scope: Scope, name: string, drain?: boolean) => settle(() => channels.existingQueue<T>(checkScope(scope), name).deadLetters(drain)),
    stats: (scope, name) => settle(() => channels.existingQueue(checkScope(scope), name).stats()),
    publish: (scope, name, message, options) => settle(() => channels.topic(checkScope(scope), name)).then((t) => t.publish(message, options)),
    subscribe: <T>(scope: Scope, name: string, options?: SubscribeOptions<T>) => settle(() => channels.topic<T>(checkScope(scope), name).subscribe(options)),
    list: (scope) => settle(() => channels.list(checkScope(scope))),
    delete: (scope, name) => settle(() => channels.delete(checkScope(scope), name)),
    releaseConsumer: (consumer) => settle(() => channels.releaseConsumer(consumer)),
    close: () => channels.close(),
  };
}
