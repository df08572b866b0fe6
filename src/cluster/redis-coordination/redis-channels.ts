import { randomBytes } from 'node:crypto';
import type { ChannelService } from '../../coord/channel-service.js';
import { checkChannelName } from '../../coord/channels.js';
import { checkScope, type Scope } from '../../coord/scope.js';
import type { NodeIdentity } from '../node-registry.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { ChannelNotices } from './channel-notices.js';
import { channelKeys } from './channel-keys.js';
import { RedisQueues } from './redis-queues.js';
import { RedisTopics } from './redis-topics.js';
import { scopePrefix } from './scope-keys.js';

// KEYS: B, P:ch:kinds. ARGV: name. Removes every key of the queue or topic and tells its listeners ('x').
const DELETE = `
local base, kinds, name = KEYS[1], KEYS[2], ARGV[1]
if not redis.call('HGET', kinds, name) then return 0 end
for _, consumer in ipairs(redis.call('SMEMBERS', base .. '/cs')) do redis.call('DEL', base .. '/c/' .. consumer) end
for _, process in ipairs(redis.call('SMEMBERS', base .. '/ns')) do redis.call('DEL', base .. '/n/' .. process) end
for _, suffix in ipairs({'/s', '/d', '/v', '/r', '/a', '/cfg', '/st', '/cs', '/ns', '/dead', '/tcfg', '/nodes'}) do redis.call('DEL', base .. suffix) end
redis.call('HDEL', kinds, name)
redis.call('PUBLISH', base .. '/ev', 'x')
return 1
`;

type Scripted = RedisClient & { plexChannelDelete(base: string, kinds: string, name: string): Promise<number> };

/**
 * Queue and topic channels on the cluster's Redis (docs/cluster.md,
 * "Channels on Redis"): the ChannelService the node uses with `--cluster`.
 * Queues are RedisQueues, topics RedisTopics; both share one pub/sub
 * connection (ChannelNotices) and one kinds hash per scope, which keeps a
 * name one kind or the other and lists a scope's channels without SCAN.
 * Closing fails this process's waiters; the channels stay in Redis.
 */
export class RedisChannels implements ChannelService {
  private readonly client: Scripted;
  private readonly notices: ChannelNotices;
  private readonly queues: RedisQueues;
  private readonly topics: RedisTopics;

  /** `node` names this process in the deliveries it hands out (default: a random incarnation), so its departure releases them. */
  constructor(client: RedisClient, node?: NodeIdentity) {
    this.client = client as Scripted;
    if (typeof this.client.plexChannelDelete !== 'function') client.defineCommand('plexChannelDelete', { numberOfKeys: 2, lua: DELETE });
    this.notices = new ChannelNotices(client, { onLost: () => this.queues.backendLost(), onReconnect: () => this.queues.lookAgain() });
    this.queues = new RedisQueues(client, this.notices, node === undefined ? `channels-${randomBytes(6).toString('hex')}.0` : `${node.id}.${node.incarnation}`);
    this.topics = new RedisTopics(client, this.notices);
  }

  declareQueue: ChannelService['declareQueue'] = (scope, name, options) => this.queues.declare(scope, name, options);
  declareTopic: ChannelService['declareTopic'] = (scope, name, options) => this.topics.declare(scope, name, options);
  send: ChannelService['send'] = (scope, name, message, options) => this.queues.send(scope, name, message, options);
  receive: ChannelService['receive'] = (scope, name, options) => this.queues.receive(scope, name, options);
  ack: ChannelService['ack'] = (scope, name, id) => this.queues.settle(scope, name, id, 'ack');
  nack: ChannelService['nack'] = (scope, name, id, options) => this.queues.settle(scope, name, id, options?.requeue === false ? 'dead' : 'requeue');
  deadLetters: ChannelService['deadLetters'] = (scope, name, drain) => this.queues.deadLetters(scope, name, drain);
  stats: ChannelService['stats'] = (scope, name) => this.queues.stats(scope, name);
  publish: ChannelService['publish'] = (scope, name, message, options) => this.topics.publish(scope, name, message, options);
  subscribe: ChannelService['subscribe'] = (scope, name, options) => this.topics.subscribe(scope, name, options);
  releaseConsumer: ChannelService['releaseConsumer'] = (consumer) => this.queues.releaseConsumer(consumer);

  async list(scope: Scope): Promise<{ name: string; kind: 'queue' | 'topic' }[]> {
    const kinds = await onBackend('channel list', () => this.client.hgetall(`${scopePrefix(checkScope(scope))}:ch:kinds`));
    const out = Object.entries(kinds).map(([name, kind]) => ({ name, kind: kind as 'queue' | 'topic' }));
    // In process, queues come before topics; each kind here in name order (a hash has no order of its own).
    return out.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'queue' ? -1 : 1));
  }

  async delete(scope: Scope, name: string): Promise<boolean> {
    checkScope(scope);
    checkChannelName(name);
    const { base, kinds } = channelKeys(scope, name);
    const removed = (await onBackend('channel delete', () => this.client.plexChannelDelete(base, kinds, name))) === 1;
    // This process's waiters fail now, not when the notice comes back.
    this.queues.deleted(base, name);
    this.topics.deleted(base);
    return removed;
  }

  close(): void {
    this.queues.close();
    this.topics.close();
    this.notices.close();
  }
}
