import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis-client.js';
import { nodeChannel } from './space-keys.js';

/**
 * One process's mailbox for handoffs: a subscriber connection on the
 * channel `plex:ts:<node>`, where write scripts in any process publish
 * handoffs to this process's blocked operations. Share
 * one between the spaces of a node (one connection); each waiter id is
 * unique to it.
 *
 * Pub/sub is at most once: a message lost while the subscriber reconnects
 * is not lost for good, because the handoff also stays in the space's `h`
 * hash, and `onReconnect` listeners (the spaces) collect it from there.
 */
export class RedisWakeups {
  readonly node: string;
  private readonly deliveries = new Map<string, (tuple: Buffer, header: string) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly channelListeners = new Map<string, (message: Buffer) => void>();
  private nextId = 0;
  private closed = false;

  private constructor(
    private readonly subscriber: RedisClient,
    node: string,
  ) {
    this.node = node;
  }

  /** Subscribes on a connection of its own (`redis.duplicate()`); resolves once subscribed. */
  static async open(redis: RedisClient, node: string = randomUUID()): Promise<RedisWakeups> {
    const subscriber: RedisClient = (redis.duplicate as () => RedisClient).call(redis);
    subscriber.on('error', () => undefined);
    const wakeups = new RedisWakeups(subscriber, node);
    const own = nodeChannel(node);
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const name = channel.toString();
      if (name === own) wakeups.dispatch(message);
      else wakeups.channelListeners.get(name)?.(message);
    });
    let ready = false;
    subscriber.on('ready', () => {
      if (ready && !wakeups.closed) for (const listener of wakeups.reconnectListeners) listener();
      ready = true;
    });
    if (subscriber.status === 'wait') await subscriber.connect();
    await subscriber.subscribe(nodeChannel(node));
    ready = true;
    return wakeups;
  }

  newWaiterId(): string {
    return `${this.node}.${(this.nextId++).toString(36)}`;
  }

  /** Calls `deliver` when a tuple for `waiterId` arrives. */
  expect(waiterId: string, deliver: (tuple: Buffer, header: string) => void): void {
    this.deliveries.set(waiterId, deliver);
  }

  forget(waiterId: string): void {
    this.deliveries.delete(waiterId);
  }

  /** Subscribes `listener` to another channel (a space's watch events); resolves once subscribed. */
  async listen(channel: string, listener: (message: Buffer) => void): Promise<void> {
    this.channelListeners.set(channel, listener);
    await this.subscriber.subscribe(channel);
  }

  async unlisten(channel: string): Promise<void> {
    this.channelListeners.delete(channel);
    if (!this.closed) await this.subscriber.unsubscribe(channel).catch(() => undefined);
  }

  /** `listener` runs after the subscriber reconnected (messages may have been missed). */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  get pending(): number {
    return this.deliveries.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deliveries.clear();
    this.channelListeners.clear();
    this.subscriber.disconnect();
  }

  /** "<waiter id>\n<delivery header or empty>\n<tuple bytes>" (the tuple bytes may hold newlines; the first two fields never do). */
  private dispatch(message: Buffer): void {
    const first = message.indexOf(0x0a);
    const second = first < 0 ? -1 : message.indexOf(0x0a, first + 1);
    if (second < 0) return;
    const waiterId = message.subarray(0, first).toString('latin1');
    const deliver = this.deliveries.get(waiterId);
    if (deliver === undefined) return;
    this.deliveries.delete(waiterId);
    deliver(message.subarray(second + 1), message.subarray(first + 1, second).toString('latin1'));
  }
}
