import { InvalidArgumentError, NotFoundError, shown } from '../errors.js';
import { QueueChannel, type QueueChannelOptions } from './queue-channel.js';
import { scopeKey, type Scope } from './scope.js';
import { TopicChannel, type TopicChannelOptions } from './topic-channel.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Named channels per tenant and namespace: work queues and pub/sub topics.
 * `queue()`/`topic()` create on first use and return the same channel after
 * (options only apply at creation); a name is one kind or the other.
 */
export class Channels {
  private readonly queues = new Map<string, QueueChannel>();
  private readonly topics = new Map<string, TopicChannel>();

  queue<T = unknown>(scope: Scope, name: string, options?: QueueChannelOptions): QueueChannel<T> {
    return openChannel(this.queues, this.topics, 'queue', scope, name, () => new QueueChannel(name, options)) as QueueChannel<T>;
  }

  topic<T = unknown>(scope: Scope, name: string, options?: TopicChannelOptions): TopicChannel<T> {
    return openChannel(this.topics, this.queues, 'topic', scope, name, () => new TopicChannel(name, options)) as TopicChannel<T>;
  }

  /** An existing queue, or `NotFoundError`. */
  existingQueue<T = unknown>(scope: Scope, name: string): QueueChannel<T> {
    const channel = this.queues.get(channelKey(scope, name));
    if (channel === undefined) throw new NotFoundError('queue channel', name);
    return channel as QueueChannel<T>;
  }

  list(scope: Scope): { name: string; kind: 'queue' | 'topic' }[] {
    const prefix = `${scopeKey(scope)}\u0000`;
    const out: { name: string; kind: 'queue' | 'topic' }[] = [];
    for (const [key, c] of this.queues) if (key.startsWith(prefix)) out.push({ name: c.name, kind: 'queue' });
    for (const [key, c] of this.topics) if (key.startsWith(prefix)) out.push({ name: c.name, kind: 'topic' });
    return out;
  }

  /** Closes and forgets a channel; false when there was none. */
  delete(scope: Scope, name: string): boolean {
    const key = channelKey(scope, name);
    const channel = this.queues.get(key) ?? this.topics.get(key);
    if (channel === undefined) return false;
    channel.close();
    this.queues.delete(key);
    this.topics.delete(key);
    return true;
  }

  /** A consumer exited: what it held in every queue is redelivered. */
  releaseConsumer(consumer: string): number {
    let released = 0;
    for (const queue of this.queues.values()) released += queue.releaseConsumer(consumer);
    return released;
  }

  close(): void {
    for (const c of this.queues.values()) c.close();
    for (const c of this.topics.values()) c.close();
    this.queues.clear();
    this.topics.clear();
  }
}

/** The channel of `name` in `own`, created on first use; a name taken by the other kind is an error. */
function openChannel<C>(own: Map<string, C>, other: Map<string, unknown>, kind: 'queue' | 'topic', scope: Scope, name: string, create: () => C): C {
  const key = channelKey(scope, name);
  if (other.has(key)) throw new InvalidArgumentError(`channel ${shown(name)} is a ${kind === 'queue' ? 'topic' : 'queue'}, not a ${kind}`);
  let channel = own.get(key);
  if (channel === undefined) own.set(key, (channel = create()));
  return channel;
}

function channelKey(scope: Scope, name: string): string {
  return `${scopeKey(scope)}\u0000${checkChannelName(name)}`;
}

/** A channel name as callers give it (also the Redis channels' check). */
export function checkChannelName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidArgumentError(`a channel name must be 1–128 of A–Z a–z 0–9 _ . : - (not starting with . : -), got ${shown(name)}`);
  return name;
}
