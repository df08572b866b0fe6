import { Cluster } from 'ioredis';
import type { RedisClient } from '../redis-client.js';

/**
 * The one pub/sub connection of a process's Redis channels: a channel is
 * subscribed while something of this process listens to it (waiting
 * senders or receivers of a queue, subscribers of a topic), counted so that
 * SUBSCRIBE and UNSUBSCRIBE alternate on the one connection in order.
 * `onLost` runs when the connection drops: notices published until it is
 * back are lost (pub/sub is at most once), so waiters cannot rely on them.
 * `onReconnect` runs after it comes back.
 */
export class ChannelNotices {
  private readonly subscriber: RedisClient;
  private readonly counts = new Map<string, number>();
  private readonly listeners = new Map<string, (message: Buffer) => void>();
  private connected: Promise<void> | undefined;
  private everReady = false;

  constructor(client: RedisClient, handlers: { onLost: () => void; onReconnect: () => void }) {
    this.subscriber = client instanceof Cluster ? client.duplicate() : client.duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.listeners.get(channel.toString())?.(message));
    let up = false;
    this.subscriber.on('ready', () => {
      if (this.everReady) handlers.onReconnect();
      this.everReady = up = true;
    });
    this.subscriber.on('close', () => {
      if (up) handlers.onLost();
      up = false;
    });
  }

  /** Resolves once `channel`'s notices reach `listener` (one listener per channel). */
  async watch(channel: string, listener: (message: Buffer) => void): Promise<void> {
    this.listeners.set(channel, listener);
    const count = (this.counts.get(channel) ?? 0) + 1;
    this.counts.set(channel, count);
    try {
      // The connection opens on the first watch: a node that never waits holds no extra connection.
      this.connected ??= this.subscriber.connect().catch((error: unknown) => {
        this.connected = undefined;
        throw error;
      });
      await this.connected;
      await this.subscriber.subscribe(channel);
    } catch (error) {
      this.unwatch(channel);
      throw error;
    }
  }

  unwatch(channel: string): void {
    const count = (this.counts.get(channel) ?? 0) - 1;
    if (count > 0) {
      this.counts.set(channel, count);
      return;
    }
    this.counts.delete(channel);
    this.listeners.delete(channel);
    if (this.connected !== undefined) void this.subscriber.unsubscribe(channel).catch(() => undefined);
  }

  close(): void {
    this.subscriber.removeAllListeners('close');
    this.counts.clear();
    this.listeners.clear();
    this.subscriber.disconnect();
  }
}
