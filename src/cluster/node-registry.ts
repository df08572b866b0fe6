import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Cluster } from 'ioredis';
import { InvalidArgumentError, shown, UsageError } from '../errors.js';
import { onBackend, type RedisClient } from './redis-client.js';

/** What a node tells the cluster about itself. */
export interface ClusterNodeInfo {
  readonly id: string;
  /** Random per start: a node restarted under the same id is a new incarnation. */
  readonly incarnation: string;
  readonly addresses: { readonly grpc?: string; readonly http?: string; readonly ws?: string };
  readonly workers: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
  readonly startedAt: string;
}

/** Who a node is in the cluster: what its group members record, so they leave with it. */
export type NodeIdentity = Pick<ClusterNodeInfo, 'id' | 'incarnation'>;

export interface ClusterNodeView extends ClusterNodeInfo {
  /** When its heartbeat lapses, by the backend's clock (epoch ms). */
  readonly expiresAt: number;
  /** The actors it ran at its last heartbeat (placement's load: src/cluster/placement.ts). */
  readonly actors?: number;
  /** It is being drained (`plexspaces drain`): nothing new is placed on it. */
  readonly draining?: boolean;
}

export type MembershipEvent =
  | { readonly type: 'join'; readonly node: ClusterNodeInfo }
  /** `left`: it said goodbye; `heartbeat-lapsed`: it stopped beating (crashed, partitioned, paused too long). */
  | { readonly type: 'leave'; readonly node: ClusterNodeInfo; readonly reason: 'left' | 'heartbeat-lapsed' };

export interface NodeRegistryOptions {
  /** A node whose heartbeat is older than this is dead (default 5 s). */
  ttlMs?: number;
  /** How often this node beats (default ttl / 3). */
  heartbeatMs?: number;
}

const NODE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
// One hash tag: the scripts touch the member set and an info key together, so both must be on one Cluster slot.
const MEMBERS = '{plex:nodes}:members';
const infoKey = (id: string) => `{plex:nodes}:info:${id}`;
export const MEMBERSHIP_CHANNEL = '{plex:nodes}:events';

// Times come from the backend's clock (TIME), never a node's: nodes' clocks may disagree.
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: members, info. ARGV: id, incarnation, info JSON, ttl ms, mode.
 * `join`: refused ('conflict') while another live incarnation holds the id;
 * a lapsed one is replaced. `beat`: refreshes our entry; when it is gone (we
 * were declared dead: a pause, a backend outage) it joins again; when
 * another incarnation holds it, 'replaced'. Publishes join when it joined.
 */
const REGISTER = `${NOW}
local id, incarnation, info, ttl, mode = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local current = redis.call('GET', KEYS[2])
local expires = redis.call('ZSCORE', KEYS[1], id)
local alive = expires and tonumber(expires) > now
if current then
  local holder = cjson.decode(current).incarnation
  if holder ~= incarnation then
    if alive then return {mode == 'join' and 'conflict' or 'replaced', current} end
    -- A lapsed incarnation under our id: it is dead; say so before we take the id.
    redis.call('ZREM', KEYS[1], id)
    redis.call('DEL', KEYS[2])
    redis.call('PUBLISH', '${MEMBERSHIP_CHANNEL}', cjson.encode({type = 'leave', reason = 'heartbeat-lapsed', node = current}))
    current = nil
  end
end
local joined = (current == nil) or (not alive)
redis.call('SET', KEYS[2], info, 'PX', ttl * 4)
redis.call('ZADD', KEYS[1], now + ttl, id)
if joined then redis.call('PUBLISH', '${MEMBERSHIP_CHANNEL}', cjson.encode({type = 'join', node = info})) end
return {joined and 'joined' or 'beat', tostring(now)}
`;

/** KEYS: members, info. ARGV: id, incarnation. Removes our own entry (not a newer incarnation's) and publishes leave. */
const LEAVE = `
local current = redis.call('GET', KEYS[2])
if not current or cjson.decode(current).incarnation ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', '${MEMBERSHIP_CHANNEL}', cjson.encode({type = 'leave', reason = 'left', node = current}))
return 1
`;

/**
 * KEYS: members. Every node runs it each beat; it is atomic, so each dead
 * node is removed and announced exactly once, by whichever node gets there
 * first. Returns the live members as id, expiry, info triples.
 */
const REAP_AND_LIST = `${NOW}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(dead) do
  local key = '{plex:nodes}:info:' .. id
  local info = redis.call('GET', key)
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', key)
  if info then redis.call('PUBLISH', '${MEMBERSHIP_CHANNEL}', cjson.encode({type = 'leave', reason = 'heartbeat-lapsed', node = info})) end
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  local info = redis.call('GET', '{plex:nodes}:info:' .. live[i])
  if info then
    out[#out + 1] = live[i + 1]
    out[#out + 1] = info
  end
end
return out
`;

type Scripted = RedisClient & {
  plexNodeRegister(members: string, info: string, ...args: string[]): Promise<[string, string]>;
  plexNodeLeave(members: string, info: string, id: string, incarnation: string): Promise<number>;
  plexNodeReapAndList(members: string): Promise<string[]>;
};

function withScripts(client: RedisClient): Scripted {
  const scripted = client as Scripted;
  // defineCommand loads each script once per connection and runs it by EVALSHA afterwards.
  if (typeof scripted.plexNodeRegister !== 'function') {
    client.defineCommand('plexNodeRegister', { numberOfKeys: 2, lua: REGISTER });
    client.defineCommand('plexNodeLeave', { numberOfKeys: 2, lua: LEAVE });
    client.defineCommand('plexNodeReapAndList', { numberOfKeys: 1, lua: REAP_AND_LIST });
  }
  return scripted;
}

/** Random per start of a node: a node restarted under the same id is a new incarnation. */
export function newIncarnation(): string {
  return randomBytes(8).toString('hex');
}

/** A node id: `--node-id` / `[cluster] node_id`, or the host name with a random suffix. */
export function nodeId(configured?: string): string {
  if (configured === undefined) return `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 48) || 'node'}-${randomBytes(4).toString('hex')}`;
  if (!NODE_ID.test(configured)) throw new InvalidArgumentError(`a node id must be 1–128 of A–Z a–z 0–9 _ . - : , got ${shown(configured)}`);
  return configured;
}

/**
 * The cluster's membership, kept in Redis: each node registers with a
 * heartbeat TTL and beats every `heartbeatMs`; each beat also removes the
 * nodes whose heartbeat lapsed (they are dead even if they never said
 * goodbye) and refreshes this node's view. Joins and leaves are published,
 * so every node observes them at once; the view is also rebuilt at every
 * beat, so a node that missed messages (a backend outage) catches up.
 *
 * While the backend is down the node keeps its last view and keeps beating;
 * when its own entry lapsed meanwhile, it joins again.
 */
export class NodeRegistry {
  private readonly client: Scripted;
  private view = new Map<string, ClusterNodeView>();
  private readonly listeners = new Set<(event: MembershipEvent) => void>();
  private readonly rejoinListeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private closed = false;
  private lastError: Error | undefined;
  /** When the last registration that Redis accepted was sent (performance.now): its entry lives at least ttlMs from then. */
  private registeredAt = -Infinity;
  readonly ttlMs: number;
  readonly heartbeatMs: number;
  /** What each heartbeat reports as this node's load: its running actors. */
  private load: () => number = () => 0;
  private drainingNow = false;

  private constructor(
    client: RedisClient,
    private readonly subscriber: RedisClient,
    readonly self: ClusterNodeInfo,
    options: NodeRegistryOptions,
  ) {
    this.client = withScripts(client);
    this.ttlMs = options.ttlMs ?? 5_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    if (!(this.ttlMs >= 100) || !(this.heartbeatMs > 0) || this.heartbeatMs >= this.ttlMs) {
      throw new InvalidArgumentError(`the heartbeat (${this.heartbeatMs} ms) must be shorter than the node TTL (${this.ttlMs} ms, at least 100)`);
    }
  }

  /**
   * Registers `self` and starts beating. A live node already holding the id
   * is a `UsageError` (two processes must not share an id); a lapsed one is
   * declared dead and replaced.
   */
  static async join(client: RedisClient, self: Omit<ClusterNodeInfo, 'incarnation'> & { incarnation?: string }, options: NodeRegistryOptions = {}): Promise<NodeRegistry> {
    // The node's own incarnation when it has one (its group members record it); a fresh one otherwise.
    const info: ClusterNodeInfo = { ...self, id: nodeId(self.id), incarnation: self.incarnation ?? newIncarnation() };
    // Its own connection: a subscribed connection can run nothing else.
    const subscriber: RedisClient = client instanceof Cluster ? client.duplicate() : client.duplicate();
    subscriber.on('error', () => undefined);
    const registry = new NodeRegistry(client, subscriber, info, options);
    // Subscribed before registering: our own join, and any other, is seen.
    await onBackend('subscribe to cluster membership', async () => {
      await subscriber.connect().catch(() => undefined);
      await subscriber.subscribe(MEMBERSHIP_CHANNEL);
    });
    subscriber.on('message', (_channel: string, message: string) => registry.onMessage(message));
    const [outcome, holder] = await registry.register('join');
    if (outcome === 'conflict') {
      subscriber.disconnect();
      const other = JSON.parse(holder) as ClusterNodeInfo;
      throw new UsageError(`node id ${info.id} is in use by a live node (${other.addresses.http ?? 'no address'}, started ${other.startedAt}); pick another --node-id, or wait ${registry.ttlMs} ms for its heartbeat to lapse`);
    }
    await registry.readMembers().catch(() => undefined); // just registered: read the others, no second beat
    registry.schedule();
    return registry;
  }

  /**
   * Whether this node's own registry entry is certainly still alive: its
   * last accepted heartbeat was sent less than a TTL ago. Once false, the
   * other nodes may already have declared it dead and taken over what it
   * ran — so it must not act as the owner of anything (actor-router.ts).
   */
  provesMembership(): boolean {
    return !this.closed && performance.now() - this.registeredAt < this.ttlMs;
  }

  /** From the next heartbeat on, each one reports `actors()` as this node's load (placement reads it). */
  reportLoad(actors: () => number): void {
    this.load = actors;
  }

  /** Whether this node is being drained (`drain`). */
  get draining(): boolean {
    return this.drainingNow;
  }

  /**
   * Marks this node as draining in the registry, at once (not at the next
   * beat): the other nodes place nothing new on it from their next read of
   * the membership on.
   */
  async drain(): Promise<void> {
    this.drainingNow = true;
    await this.register('beat');
    await this.readMembers().catch(() => undefined);
  }

  /** The live nodes as this node last saw them, this node first. */
  nodes(): ClusterNodeView[] {
    return [...this.view.values()].sort((a, b) => (a.id === this.self.id ? -1 : b.id === this.self.id ? 1 : a.id.localeCompare(b.id)));
  }

  /** Reaps and reads the membership from the backend now. */
  async refresh(): Promise<ClusterNodeView[]> {
    // Reads (and reaps) only: registering is the heartbeat's job, not a listing's.
    await this.readMembers();
    return this.nodes();
  }

  /** The last backend failure of a heartbeat, cleared by the next one that succeeds. */
  get backendError(): Error | undefined {
    return this.lastError;
  }

  onChange(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * This node was declared dead while it was alive (its heartbeat lapsed in a
   * pause or a backend outage; the others saw it leave) and its beat has
   * registered it again under the same incarnation. What the others dropped
   * on its leave (its group members) is its to record again.
   */
  onRejoin(listener: () => void): () => void {
    this.rejoinListeners.add(listener);
    return () => this.rejoinListeners.delete(listener);
  }

  /** Says goodbye (every node sees `leave` with reason `left`) and stops beating. */
  async leave(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.beating?.catch(() => undefined);
    await onBackend('leave the cluster', () => this.client.plexNodeLeave(MEMBERS, infoKey(this.self.id), this.self.id, this.self.incarnation)).catch(() => undefined);
    this.subscriber.disconnect();
  }

  /** Stops beating without a goodbye: what a crash looks like to the others (tests). */
  abandon(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.subscriber.disconnect();
  }

  // ── internals ────────────────────────────────────────────────────────────

  private async register(mode: 'join' | 'beat'): Promise<[string, string]> {
    // Timed from before the call: Redis set the entry's expiry later than this, so the bound errs on the safe side.
    const sent = performance.now();
    const reply = await onBackend('register with the cluster', () => this.client.plexNodeRegister(MEMBERS, infoKey(this.self.id), this.self.id, this.self.incarnation, JSON.stringify({ ...this.self, actors: this.load(), ...(this.drainingNow ? { draining: true } : {}) }), String(this.ttlMs), mode));
    if (reply[0] !== 'conflict' && reply[0] !== 'replaced') this.registeredAt = sent;
    return reply;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.beating = this.beat().finally(() => this.schedule());
    }, this.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      const [outcome] = await this.register('beat');
      if (outcome === 'replaced') {
        // Another process took our id after ours lapsed: we must not answer as it. Stop beating; the node says so.
        this.lastError = new Error(`node id ${this.self.id} was taken by another incarnation after this node's heartbeat lapsed`);
        this.abandon();
        return;
      }
      if (outcome === 'joined') this.rejoined();
      await this.readMembers();
    } catch (error) {
      this.lastError = error as Error;
    }
  }

  /** Reaps lapsed nodes and rebuilds the view from the backend; a failure is recorded and thrown. */
  private async readMembers(): Promise<void> {
    try {
      const flat = await onBackend('list the cluster', () => this.client.plexNodeReapAndList(MEMBERS));
      const next = new Map<string, ClusterNodeView>();
      for (let i = 0; i < flat.length; i += 2) {
        const node = JSON.parse(flat[i + 1]) as ClusterNodeInfo;
        next.set(node.id, { ...node, expiresAt: Number(flat[i]) });
      }
      // What the messages did not tell us (missed while disconnected) is caught up here, once the view
      // is the new one: a listener that reads nodes() (a shard group placing a lost shard) sees it.
      const joined = [...next].filter(([id]) => !this.view.has(id)).map(([, node]) => node);
      const left = [...this.view].filter(([id]) => !next.has(id)).map(([, node]) => node);
      this.view = next;
      for (const node of joined) this.emit({ type: 'join', node: strip(node) });
      for (const node of left) this.emit({ type: 'leave', node: strip(node), reason: 'heartbeat-lapsed' });
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error as Error;
      throw error;
    }
  }

  private onMessage(message: string): void {
    let event: { type: string; reason?: string; node: string };
    try {
      event = JSON.parse(message);
    } catch {
      return;
    }
    const node = JSON.parse(event.node) as ClusterNodeInfo;
    if (event.type === 'join') {
      const known = this.view.get(node.id);
      this.view.set(node.id, { ...node, expiresAt: Date.now() + this.ttlMs });
      if (known?.incarnation !== node.incarnation) this.emit({ type: 'join', node });
    } else if (event.type === 'leave') {
      const known = this.view.get(node.id);
      if (known === undefined || known.incarnation !== node.incarnation) return; // already gone, or a newer incarnation
      this.view.delete(node.id);
      this.emit({ type: 'leave', node, reason: event.reason === 'left' ? 'left' : 'heartbeat-lapsed' });
    }
  }

  private rejoined(): void {
    for (const listener of this.rejoinListeners) {
      try {
        listener();
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  private emit(event: MembershipEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; membership goes on.
      }
    }
  }
}

function strip(view: ClusterNodeView): ClusterNodeInfo {
  const { expiresAt: _, actors: __, draining: ___, ...info } = view;
  return info;
}
