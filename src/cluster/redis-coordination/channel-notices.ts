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
/** How long a watch waits for the notice connection to come back while it is reconnecting. */
const RECONNECT_WAIT_MS = 2_000;

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
      await this.reconnected();
      await this.subscriber.subscribe(channel);
    } catch (error) {
      this.unwatch(channel);
      throw error;
    }
  }

  /**
   * The connection reconnects on its own after an outage, not always as soon
   * as the command connection: a watch in between waits for it (up to
   * RECONNECT_WAIT_MS) instead of failing while Redis already answers.
   */
  private async reconnected(): Promise<void> {
    const status = this.subscriber.status;
    if (status !== 'connecting' && status !== 'reconnecting' && status !== 'connect') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.subscriber.off('ready', done);
        resolve(); // on timeout the subscribe below fails as unavailable
      };
      const timer = setTimeout(done, RECONNECT_WAIT_MS);
      this.subscriber.once('ready', done);
    });
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
