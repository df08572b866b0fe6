import { randomBytes } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import { InvalidArgumentError, PayloadTooLargeError, shown } from '../../errors.js';
import { checkChannelName } from '../../coord/channels.js';
import { messageBytes } from '../../coord/message-size.js';
import { checkScope, type Scope } from '../../coord/scope.js';
import { subscriptionCapacity, TopicChannel, type PublishOptions, type SubscribeOptions, type TopicChannelOptions, type TopicSubscription } from '../../coord/topic-channel.js';
import { optionalDuration } from '../../util/duration.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import type { ChannelNotices } from './channel-notices.js';
import { channelKeys } from './channel-keys.js';
import { LUA_NOW_MS } from './scope-keys.js';

/*
 * Topic N of scope P, base key B = P:ch:N (see redis-queue-scripts.ts for the queue keys):
 *   B/tcfg       hash { maxb } fixed at creation
 *   B/nodes      hash process token ─▶ "subscriptions \t liveness deadline (ms, Redis clock)"
 *   P:ch:kinds   hash name ─▶ 'topic'
 *   channel B/ev 'm' + message (msgpack) for each publish, 'x' when the topic is deleted
 * KEYS: B, P:ch:kinds. ARGV: name, maxb (used when the script creates the topic), then the operation's.
 */
const PRELUDE = `${LUA_NOW_MS}
local base, kinds, name = KEYS[1], KEYS[2], ARGV[1]
local TCFG, NODES, EV = base .. '/tcfg', base .. '/nodes', base .. '/ev'
local maxb
local function load_topic()
  local m = redis.call('HGET', TCFG, 'maxb')
  if m then
    maxb = tonumber(m)
    return 'ok'
  end
  if redis.call('HGET', kinds, name) == 'queue' then return 'kind' end
  return 'missing'
end
local function create_topic()
  redis.call('HSET', kinds, name, 'topic')
  redis.call('HSET', TCFG, 'maxb', ARGV[2])
  maxb = tonumber(ARGV[2])
end
`;

// ARGV[3]: size in bytes, ARGV[4]: 'm' + message. Counts the live subscriptions of every process (dropping lapsed processes), then publishes.
const PUBLISH = `${PRELUDE}
local state = load_topic()
if state == 'kind' then return {'kind'} end
local limit = maxb or tonumber(ARGV[2])
if tonumber(ARGV[3]) > limit then return {'too-large', tostring(limit)} end
if state == 'missing' then create_topic() end
local total = 0
local nodes = redis.call('HGETALL', NODES)
for i = 1, #nodes, 2 do
  local v = nodes[i + 1]
  local t = string.find(v, '\\t', 1, true)
  if tonumber(string.sub(v, t + 1)) <= now then
    redis.call('HDEL', NODES, nodes[i])
  else
    total = total + tonumber(string.sub(v, 1, t - 1))
  end
end
redis.call('PUBLISH', EV, ARGV[4])
return {'ok', tostring(total)}
`;

// ARGV[3]: process token, ARGV[4]: its subscriptions, ARGV[5]: liveness ms. Creates the topic unless unregistering.
const REGISTER = `${PRELUDE}
local state = load_topic()
if state == 'kind' then return 'kind' end
local count = tonumber(ARGV[4])
if state == 'missing' then
  if count == 0 then return 'ok' end
  create_topic()
end
if count > 0 then
  redis.call('HSET', NODES, ARGV[3], ARGV[4] .. '\\t' .. (now + tonumber(ARGV[5])))
else
  redis.call('HDEL', NODES, ARGV[3])
end
return 'ok'
`;

const OPEN = `${PRELUDE}
local state = load_topic()
if state == 'missing' then create_topic() return 'ok' end
return state
`;

type Scripted = RedisClient & {
  plexTopicPublish(...args: (string | Buffer)[]): Promise<[string, string]>;
  plexTopicRegister(...args: string[]): Promise<string>;
  plexTopicOpen(...args: string[]): Promise<string>;
};

function scripted(client: RedisClient): Scripted {
  const c = client as Scripted;
  if (typeof c.plexTopicPublish !== 'function') {
    client.defineCommand('plexTopicPublish', { numberOfKeys: 2, lua: PUBLISH });
    client.defineCommand('plexTopicRegister', { numberOfKeys: 2, lua: REGISTER });
    client.defineCommand('plexTopicOpen', { numberOfKeys: 2, lua: OPEN });
  }
  return c;
}

/** How long a process's subscriptions count for publishers without a renewal (renewed every third of it). */
const LIVENESS_MS = 15_000;
/** Messages that arrived for a topic and wait for a full local subscriber; past it arrivals are dropped (and counted). */
const ARRIVAL_BACKLOG = 1000;
const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** This process's subscriptions of one topic, behind an in-process TopicChannel that applies filters and buffers. */
interface Hub {
  readonly scope: Scope;
  readonly name: string;
  readonly local: TopicChannel<unknown>;
  /** Arrivals are handed to `local` one after another, in publish order. */
  chain: Promise<unknown>;
  backlog: number;
  dropped: number;
  /** Registrations go to Redis one after another, so the last count wins. */
  registered: Promise<unknown>;
  /** Resolves once arrivals reach the hub (every subscribe waits for it). */
  watching: Promise<void>;
}

/**
 * Topic channels on Redis: a publish on any node reaches the subscribers of
 * every node. A publish is one script on the scope's slot that publishes
 * the message on the topic's pub/sub channel and resolves how many
 * subscriptions the cluster has (filters run on each subscriber's node, so
 * they are not counted out). Each process subscribes to the channel while
 * it has subscriptions and hands arrivals to them in publish order, with
 * each subscription's buffer and filter as in process. A subscriber's full
 * buffer holds up only this node's arrivals (up to ARRIVAL_BACKLOG, then
 * they are dropped), never a publisher on another node.
 */
export class RedisTopics {
  private readonly client: Scripted;
  private readonly hubs = new Map<string, Hub>();
  private readonly token = randomBytes(8).toString('hex');
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    client: RedisClient,
    private readonly notices: ChannelNotices,
  ) {
    this.client = scripted(client);
  }

  async declare(scope: Scope, name: string, options: TopicChannelOptions = {}): Promise<void> {
    const outcome = await onBackend('channel declare', () => this.client.plexTopicOpen(...this.head(scope, name, options)));
    if (outcome !== 'ok') throw kindError(name);
  }

  async publish<T>(scope: Scope, name: string, message: T, options: PublishOptions = {}): Promise<number> {
    const head = this.head(scope, name);
    if (message === undefined) throw new InvalidArgumentError('a channel message cannot be undefined');
    optionalDuration('timeoutMs', options.timeoutMs);
    const bytes = messageBytes(message);
    const payload = Buffer.concat([Buffer.from('m'), pack(message)]);
    const [outcome, detail] = await onBackend('channel publish', () => this.client.plexTopicPublish(...head, String(bytes), payload));
    if (outcome === 'too-large') throw new PayloadTooLargeError(`a message of ${bytes} bytes is over channel ${name}'s limit of ${detail}`);
    if (outcome !== 'ok') throw kindError(name);
    return Number(detail);
  }

  async subscribe<T>(scope: Scope, name: string, options: SubscribeOptions<T> = {}): Promise<TopicSubscription<T>> {
    this.head(scope, name);
    subscriptionCapacity(options);
    const { base, events } = channelKeys(scope, name);
    let hub = this.hubs.get(base);
    if (hub === undefined) {
      const local = new TopicChannel<unknown>(name, { maxMessageBytes: Number.MAX_SAFE_INTEGER });
      const created: Hub = { scope, name, local, chain: Promise.resolve(), backlog: 0, dropped: 0, registered: Promise.resolve(), watching: Promise.resolve() };
      hub = created;
      this.hubs.set(base, created);
      local.onSubscriptionsChanged = (count) => {
        void this.register(created).catch(() => undefined);
        if (count === 0 && this.hubs.get(base) === created) this.forget(base, events);
      };
      // Subscribed before the count is registered: a publish that counts us reaches us.
      created.watching = onBackend('channel subscribe', () => this.notices.watch(events, (notice) => this.arrived(created, notice)));
      created.watching.catch(() => {
        if (this.hubs.get(base) === created) this.hubs.delete(base);
      });
    }
    await hub.watching;
    const subscription = (hub.local as TopicChannel<T>).subscribe(options);
    try {
      await this.register(hub);
    } catch (error) {
      subscription.close();
      throw error;
    }
    this.renewal ??= setInterval(() => this.renew(), LIVENESS_MS / 3).unref();
    return subscription;
  }

  /** The topic was deleted: this process's subscriptions end (their receivers get `null`). */
  deleted(base: string): void {
    this.hubs.get(base)?.local.close();
  }

  close(): void {
    if (this.renewal !== undefined) clearInterval(this.renewal);
    for (const hub of [...this.hubs.values()]) hub.local.close(); // each unregisters on its way out
  }

  // ── internals ────────────────────────────────────────────────────────────

  private head(scope: Scope, name: string, options: TopicChannelOptions = {}): string[] {
    checkScope(scope);
    checkChannelName(name);
    const maxb = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isSafeInteger(maxb) || maxb < 1) throw new InvalidArgumentError(`maxMessageBytes must be a positive integer, got ${maxb}`);
    const { base, kinds } = channelKeys(scope, name);
    return [base, kinds, name, String(maxb)];
  }

  /** Tells Redis how many subscriptions this process has now (queued behind the hub's previous registration). */
  private register(hub: Hub): Promise<void> {
    const next = hub.registered.then(async () => {
      const count = hub.local.subscriberCount;
      const outcome = await onBackend('channel subscribe', () => this.client.plexTopicRegister(...this.head(hub.scope, hub.name), this.token, String(count), String(LIVENESS_MS)));
      if (outcome !== 'ok') throw kindError(hub.name);
    });
    hub.registered = next.catch(() => undefined);
    return next;
  }

  private renew(): void {
    for (const hub of this.hubs.values()) if (hub.local.subscriberCount > 0) void this.register(hub).catch(() => undefined);
    if (this.hubs.size === 0 && this.renewal !== undefined) {
      clearInterval(this.renewal);
      this.renewal = undefined;
    }
  }

  private forget(base: string, events: string): void {
    this.hubs.delete(base);
    this.notices.unwatch(events);
  }

  private arrived(hub: Hub, notice: Buffer): void {
    if (notice[0] === 0x78 /* 'x' */) return this.deleted(channelKeys(hub.scope, hub.name).base);
    if (hub.backlog >= ARRIVAL_BACKLOG) {
      hub.dropped++;
      return;
    }
    const message = unpack(notice.subarray(1));
    hub.backlog++;
    hub.chain = hub.chain
      .then(() => hub.local.publish(message))
      .catch(() => undefined)
      .finally(() => hub.backlog--);
  }
}

function kindError(name: string): InvalidArgumentError {
  return new InvalidArgumentError(`channel ${shown(name)} is a queue, not a topic`);
}
