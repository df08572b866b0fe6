import { Cluster } from 'ioredis';
import { InvalidArgumentError, shown } from '../../errors.js';
import type { GroupService } from '../../coord/group-service.js';
import { checkGroupName, type GroupDelivery } from '../../coord/process-groups.js';
import { checkScope, scopeKey, type Scope } from '../../coord/scope.js';
import type { NodeIdentity } from '../node-registry.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { deliveryChannel, JOIN, LEAVE, nodeIndexKey, SEND, SUBSCRIBE } from './group-scripts.js';
import { scopePrefix } from './scope-keys.js';

type Scripted = RedisClient & {
  plexPgJoin(base: string, ...args: string[]): Promise<string[]>;
  plexPgLeave(base: string, ...args: string[]): Promise<string[]>;
  plexPgSubscribe(base: string, group: string, member: string, topic: string, mode: '+' | '-'): Promise<number>;
  plexPgSend(base: string, group: string, topic: string, node: string, incarnation: string, type: string, from: string, payload: Buffer): Promise<(number | string)[]>;
};

function scripted(client: RedisClient): Scripted {
  const c = client as Scripted;
  if (typeof c.plexPgJoin !== 'function') {
    client.defineCommand('plexPgJoin', { numberOfKeys: 1, lua: JOIN });
    client.defineCommand('plexPgLeave', { numberOfKeys: 1, lua: LEAVE });
    client.defineCommand('plexPgSubscribe', { numberOfKeys: 1, lua: SUBSCRIBE });
    client.defineCommand('plexPgSend', { numberOfKeys: 1, lua: SEND });
  }
  return c;
}

/** One membership as the node index records it: [incarnation, tenant, namespace, group, member]. */
type IndexEntry = [string, string, string, string, string];

/** How many conditional leaves a node cleanup sends before it waits for their replies. */
const CLEANUP_BATCH = 256;

/**
 * Process groups on Redis, shared by every node of a cluster: the contract
 * of ProcessGroups (join order, topics, a group disappears with its last
 * member), with each member recorded together with the node (id and
 * incarnation) whose actor it is.
 *
 * A broadcast or publish is one script on the scope's slot: it reads the
 * recipients with their nodes, publishes one message per other node on
 * that node's channel, and returns this node's own members, which are
 * delivered here in process. Every node subscribes to its own channel and
 * hands what arrives to its `GroupDelivery`.
 *
 * Each membership is also filed in its node's index (one set per node id),
 * so when the cluster says a node is gone any node can remove exactly that
 * node's members (`nodeLeft`), and a node restarted under the same id
 * removes what its earlier incarnation left (`joinedCluster`).
 */
export class RedisProcessGroups implements GroupService {
  private readonly client: Scripted;
  private readonly subscriber: RedisClient;
  private subscribed: Promise<void> | undefined;
  /** This node's actors' memberships, so `leaveAll` and `rejoinedCluster` need no lookup in Redis: actor → key → where, with its topics. */
  private readonly joined = new Map<string, Map<string, { scope: Scope; group: string; topics: Set<string> }>>();
  private closed = false;

  constructor(
    client: RedisClient,
    private readonly node: NodeIdentity,
    private readonly deliver: GroupDelivery,
  ) {
    this.client = scripted(client);
    // Its own connection: a subscribed connection can run nothing else.
    this.subscriber = client instanceof Cluster ? client.duplicate() : client.duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.arrived(message));
  }

  async join(scope: Scope, group: string, member: string, topics: readonly string[] = []): Promise<void> {
    checkScope(scope);
    checkGroupName('group', group);
    checkGroupName('member', member);
    if (!Array.isArray(topics)) throw new InvalidArgumentError(`topics must be a list of names, got ${shown(topics)}`);
    for (const topic of topics) checkGroupName('topic', topic);
    // Listening before the member exists: a broadcast right after the join reaches it.
    await this.listen();
    await this.record(scope, group, member, topics);
    let mine = this.joined.get(member);
    if (mine === undefined) this.joined.set(member, (mine = new Map()));
    const key = membershipKey(scope, group);
    const known = mine.get(key);
    if (known === undefined) mine.set(key, { scope, group, topics: new Set(topics) });
    else for (const topic of topics) known.topics.add(topic);
  }

  async leave(scope: Scope, group: string, member: string): Promise<boolean> {
    checkScope(scope);
    checkGroupName('group', group);
    checkGroupName('member', member);
    const removed = await onBackend('group leave', () => this.client.plexPgLeave(base(scope), group, member));
    this.forgetLocally(member, scope, group);
    if (removed.length === 0) return false;
    await onBackend('group leave', () => this.client.srem(nodeIndexKey(removed[0]), entryOf(removed[1], scope, group, member))).catch(() => undefined);
    return true;
  }

  async leaveAll(member: string): Promise<number> {
    const mine = this.joined.get(member);
    if (mine === undefined) return 0;
    const outcomes = await Promise.all([...mine.values()].map(({ scope, group }) => this.leave(scope, group, member)));
    return outcomes.filter(Boolean).length;
  }

  async subscribe(scope: Scope, group: string, member: string, topic: string): Promise<void> {
    checkScope(scope);
    checkGroupName('group', group);
    checkGroupName('topic', topic);
    const outcome = await onBackend('group subscribe', () => this.client.plexPgSubscribe(base(scope), group, member, topic, '+'));
    if (outcome === -1) throw new InvalidArgumentError(`${shown(member)} is not a member of group ${shown(group)}; join first`);
    this.joined.get(member)?.get(membershipKey(scope, group))?.topics.add(topic);
  }

  async unsubscribe(scope: Scope, group: string, member: string, topic: string): Promise<boolean> {
    checkScope(scope);
    checkGroupName('group', group);
    checkGroupName('topic', topic);
    const changed = (await onBackend('group unsubscribe', () => this.client.plexPgSubscribe(base(scope), group, member, topic, '-'))) === 1;
    this.joined.get(member)?.get(membershipKey(scope, group))?.topics.delete(topic);
    return changed;
  }

  async members(scope: Scope, group: string): Promise<string[]> {
    checkScope(scope);
    checkGroupName('group', group);
    return onBackend('group members', () => this.client.zrange(`${base(scope)}:m:${group}`, '0', '-1'));
  }

  async subscribers(scope: Scope, group: string, topic: string): Promise<string[]> {
    checkScope(scope);
    checkGroupName('group', group);
    checkGroupName('topic', topic);
    return onBackend('group subscribers', () => this.client.zrange(`${base(scope)}:t:${group.length}:${group}:${topic}`, '0', '-1'));
  }

  async list(scope: Scope): Promise<string[]> {
    return onBackend('group list', () => this.client.zrange(`${base(checkScope(scope))}:groups`, '0', '-1'));
  }

  async broadcast(scope: Scope, group: string, type: string, payload: Uint8Array, from = ''): Promise<number> {
    return this.send(scope, group, '', type, payload, from);
  }

  async publish(scope: Scope, group: string, topic: string, type: string, payload: Uint8Array, from = ''): Promise<number> {
    checkGroupName('topic', topic);
    return this.send(scope, group, topic, type, payload, from);
  }

  async nodeLeft(nodeId: string, incarnation: string): Promise<number> {
    if (typeof nodeId !== 'string' || nodeId === '' || typeof incarnation !== 'string') throw new InvalidArgumentError('nodeLeft needs a node id and its incarnation');
    return this.forgetNode(nodeId, (recordedBy) => recordedBy === incarnation);
  }

  joinedCluster(): Promise<number> {
    return this.forgetNode(this.node.id, (recordedBy) => recordedBy !== this.node.incarnation);
  }

  async rejoinedCluster(): Promise<number> {
    const all = [...this.joined].flatMap(([member, mine]) => [...mine.values()].map((m) => ({ member, ...m })));
    for (let i = 0; i < all.length; i += CLEANUP_BATCH) {
      await Promise.all(all.slice(i, i + CLEANUP_BATCH).map(({ member, scope, group, topics }) => this.record(scope, group, member, [...topics])));
    }
    return all.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscriber.disconnect();
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** Files the membership in this node's index, then in the group (join script). */
  private async record(scope: Scope, group: string, member: string, topics: readonly string[]): Promise<void> {
    const index = nodeIndexKey(this.node.id);
    // Filed in the node index first: a node that dies between the two steps leaves an entry with no member (harmless), never a member no cleanup finds.
    await onBackend('group join', () => this.client.sadd(index, entryOf(this.node.incarnation, scope, group, member)));
    const before = await onBackend('group join', () => this.client.plexPgJoin(base(scope), group, member, this.node.id, this.node.incarnation, ...topics));
    if (before.length === 2 && (before[0] !== this.node.id || before[1] !== this.node.incarnation)) {
      // The member was another node's (an actor that moved): that node's index no longer owns it.
      await onBackend('group join', () => this.client.srem(nodeIndexKey(before[0]), entryOf(before[1], scope, group, member))).catch(() => undefined);
    }
  }

  /** Subscribes to this node's delivery channel once (again after a failure); ioredis resubscribes after reconnects. */
  private listen(): Promise<void> {
    this.subscribed ??= onBackend('group deliveries', async () => {
      await this.subscriber.connect().catch(() => undefined);
      await this.subscriber.subscribe(deliveryChannel(this.node.id));
    }).catch((error: unknown) => {
      this.subscribed = undefined;
      throw error;
    });
    return this.subscribed;
  }

  private async send(scope: Scope, group: string, topic: string, type: string, payload: Uint8Array, from: string): Promise<number> {
    checkScope(scope);
    checkGroupName('group', group);
    if (typeof type !== 'string') throw new InvalidArgumentError(`a message type must be a string, got ${shown(type)}`);
    if (!(payload instanceof Uint8Array)) throw new InvalidArgumentError('a group message payload must be bytes');
    const reply = await onBackend('group send', () => this.client.plexPgSend(base(scope), group, topic, this.node.id, this.node.incarnation, type, from, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)));
    for (let i = 1; i < reply.length; i++) this.deliver(String(reply[i]), type, payload, from);
    return Number(reply[0]);
  }

  /** A message on this node's channel: `<header JSON>\n<payload>` for members of this incarnation. */
  private arrived(message: Buffer): void {
    const cut = message.indexOf(0x0a);
    if (cut < 0) return;
    let header: { i: string; m: string[]; y: string; f: string };
    try {
      header = JSON.parse(message.subarray(0, cut).toString('utf8'));
    } catch {
      return;
    }
    // Sent to an earlier incarnation of this node id (its members were not yet cleaned up): not ours.
    if (header.i !== this.node.incarnation || !Array.isArray(header.m)) return;
    const payload = new Uint8Array(message.subarray(cut + 1));
    for (const member of header.m) this.deliver(member, header.y, payload, header.f);
  }

  /** Removes the members `nodeId` recorded under the incarnations `which` picks; idempotent, so several nodes may race. */
  private async forgetNode(nodeId: string, which: (incarnation: string) => boolean): Promise<number> {
    const index = nodeIndexKey(nodeId);
    const entries = await onBackend('forget a node’s group members', () => this.client.smembers(index));
    const chosen = entries.filter((text) => which(parseEntry(text)[0]));
    let left = 0;
    for (let i = 0; i < chosen.length; i += CLEANUP_BATCH) {
      const batch = chosen.slice(i, i + CLEANUP_BATCH);
      const outcomes = await Promise.all(
        batch.map((text) => {
          const [incarnation, tenant, namespace, group, member] = parseEntry(text);
          return onBackend('forget a node’s group members', () => this.client.plexPgLeave(base({ tenant, namespace }), group, member, nodeId, incarnation));
        }),
      );
      left += outcomes.filter((removed) => removed.length > 0).length;
      await onBackend('forget a node’s group members', () => this.client.srem(index, ...batch));
    }
    return left;
  }

  private forgetLocally(member: string, scope: Scope, group: string): void {
    const mine = this.joined.get(member);
    mine?.delete(membershipKey(scope, group));
    if (mine?.size === 0) this.joined.delete(member);
  }
}

function base(scope: Scope): string {
  return `${scopePrefix(scope)}:pg`;
}

function membershipKey(scope: Scope, group: string): string {
  return `${scopeKey(scope)}\u0000${group}`;
}

function entryOf(incarnation: string, scope: Scope, group: string, member: string): string {
  return JSON.stringify([incarnation, scope.tenant, scope.namespace, group, member] satisfies IndexEntry);
}

function parseEntry(text: string): IndexEntry {
  return JSON.parse(text) as IndexEntry;
}
