/**
 * `plexspaces/sdk/coordination`: channels, group topics and membership,
 * repeating timers, KV TTLs, unlink and demonitor for SDK actors — the
 * `coordination` interface of wit/coordination.wit. Importing this module
 * makes `plexspaces build` target the `full-actor-world` world, which runs
 * on PlexSpaces for TypeScript; an actor that does not import it stays in
 * the portable `actor-world`.
 *
 * ```ts
 * import { channels } from 'plexspaces/sdk/coordination';
 * const job = channels.receive<{ n: number }>('jobs', 1000);
 * if (job) { work(job.message); channels.ack('jobs', job.id); }
 * ```
 */
import * as world from 'plexspaces:simple-actor/coordination@0.1.0';
import { check, u64 } from './actor.js';

export interface ChannelDelivery<T> {
  readonly id: number;
  readonly message: T;
  /** 1 on the first delivery; more after nacks or a consumer's exit. */
  readonly attempt: number;
}

export const channels = {
  /** Queues a JSON message; waits up to `timeoutMs` while the queue is full, then throws (PLEX_ERR_BACKPRESSURE). */
  send: (channel: string, message: unknown, timeoutMs = 5000): void => void check(world.channelSend(channel, JSON.stringify(message), u64(timeoutMs))),
  /** The next message, or null after `timeoutMs`; ack or nack it by `id`. Unacked deliveries go back to the queue if this actor exits. */
  receive: <T = unknown>(channel: string, timeoutMs = 0): ChannelDelivery<T> | null => {
    const result = check(world.channelReceive(channel, u64(timeoutMs)));
    return result === '' ? null : (JSON.parse(result) as ChannelDelivery<T>);
  },
  ack: (channel: string, id: number): void => void check(world.channelAck(channel, u64(id))),
  /** Redelivers (default) or dead-letters the message. */
  nack: (channel: string, id: number, requeue = true): void => void check(world.channelNack(channel, u64(id), requeue)),
};

export const groups = {
  /** Joins `group` subscribed to `topics` (joining again adds topics). */
  join: (group: string, topics: readonly string[] = []): void => void check(world.pgJoinTopics(group, JSON.stringify(topics))),
  /** Sends to the members subscribed to `topic`; returns how many. */
  publish: (group: string, topic: string, msgType: string, payload: unknown = {}): number => Number(check(world.pgPublish(group, topic, msgType, JSON.stringify(payload)))),
  leave: (group: string): boolean => check(world.pgLeave(group)) === 'ok',
  members: (group: string): string[] => JSON.parse(check(world.pgMembers(group))) as string[],
};

export const timers = {
  /** A message to this actor every `everyMs` until cancelled or the actor exits; returns the timer id. */
  every: (everyMs: number, msgType: string, payload: unknown = {}): string => check(world.sendInterval(u64(everyMs), msgType, JSON.stringify(payload))),
  cancel: (timerId: string): boolean => check(world.cancelTimer(timerId)) === 'ok',
};

export const links = {
  unlink: (actorId: string): void => void check(world.unlink(actorId)),
  demonitor: (ref: string): void => void check(world.demonitor(ref)),
};

export const kv = {
  /** A value that disappears `ttlMs` after the put. */
  putWithTtl: (key: string, value: string, ttlMs: number): void => void check(world.kvPutTtl(key, value, u64(ttlMs))),
};
