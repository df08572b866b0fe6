import { InvalidArgumentError, NodeDownError, ShardGroupExistsError } from '../errors.js';
import { ActorDirectory, type Owner } from './actor-directory.js';
import { peerNode } from './link/node-link.js';
import type { NodeLinks } from './link/node-links.js';
import type { RedisClient } from './redis-client.js';

/** What a group call names: the tenant and namespace the calling node checked, and the group's id. */
export interface GroupScope {
  readonly tenant: string;
  readonly namespace: string;
}

/** The group operations another node may run on the node that drives a group. */
export const FORWARDED_GROUP_CALLS = ['bulkUpdate', 'scatterGather', 'reduce', 'barrier', 'scale', 'deleteGroup', 'listGroups'] as const;
export type ForwardedGroupCall = (typeof FORWARDED_GROUP_CALLS)[number];

/** How long a forwarded call may take beyond its own deadline (a scale moves keys: minutes). */
const FORWARD_SLACK_MS = 10_000;
const SCALE_DEADLINE_MS = 10 * 60_000;

/**
 * Shard groups named cluster-wide: which node drives each group (the node
 * that created it, src/cluster/cluster-shards.ts), in a directory of its
 * own in Redis (`plex:groups:{tenant}`, field `<namespace>/<id>` → owner,
 * claimed compare-and-set like actors: src/cluster/actor-directory.ts), so
 * a group id is unique in its namespace across the cluster, and any node
 * answers a group's routes by forwarding the call to its node over the
 * link. A group whose node is gone answers PLEX_ERR_NODE_DOWN until that
 * node restarts and creates it again (it replaces its dead incarnation's
 * entry).
 */
export class ClusterGroups {
  private readonly directory: ActorDirectory;

  constructor(
    client: RedisClient,
    private readonly links: NodeLinks,
  ) {
    this.directory = new ActorDirectory(client, links.self, 'plex:groups');
  }

  get self(): Owner {
    return this.links.self;
  }

  /** Makes this node the group's; PLEX_ERR_SHARD_GROUP_EXISTS when a live node drives one of that name. */
  async claim(scope: GroupScope, id: string): Promise<void> {
    const key = groupKey(scope, id);
    let owner = await this.directory.claim(key);
    if (owner !== this.self && !(await this.links.liveNow(owner))) owner = await this.directory.claim(key, owner);
    if (owner !== this.self) {
      const error = new ShardGroupExistsError(id);
      throw Object.assign(error, { message: `${error.message} on node ${peerNode(owner)}` });
    }
  }

  async release(scope: GroupScope, id: string): Promise<void> {
    await this.directory.release(groupKey(scope, id));
  }

  /** The node that drives the group, when it is another live one; undefined when none does (or this node). Rejects PLEX_ERR_NODE_DOWN for a gone one. */
  async elsewhere(scope: GroupScope, id: string): Promise<Owner | undefined> {
    const owner = await this.directory.lookup(groupKey(scope, id));
    if (owner === undefined || owner === this.self) return undefined;
    if (!(await this.links.liveNow(owner))) throw new NodeDownError(peerNode(owner), `it drove shard group ${JSON.stringify(id)} (it creates the group again when it restarts)`);
    return owner;
  }

  /** The other live nodes that drive groups of this scope's tenant (for a listing). */
  async ownersOf(scope: GroupScope): Promise<Owner[]> {
    const owners = new Set<Owner>();
    const prefix = `${scope.tenant}/${scope.namespace}/`;
    for (const [key, owner] of await this.directory.entries(scope.tenant)) if (key.startsWith(prefix) && owner !== this.self) owners.add(owner);
    const live: Owner[] = [];
    for (const owner of owners) if (await this.links.liveNow(owner)) live.push(owner);
    return live;
  }

  /** Runs `method` on the group's node and resolves with its answer. */
  async forward(owner: Owner, scope: GroupScope, method: ForwardedGroupCall, args: unknown[]): Promise<unknown> {
    const deadline = method === 'scale' ? SCALE_DEADLINE_MS : deadlineOf(args) + FORWARD_SLACK_MS;
    const link = await this.links.to(owner);
    return link.request('group.call', { tenant: scope.tenant, namespace: scope.namespace, method, args }, deadline);
  }

  /** The body of a `group.call` from another node, checked. */
  static call(body: unknown): { scope: GroupScope; method: ForwardedGroupCall; args: unknown[] } {
    const call = body as { tenant?: unknown; namespace?: unknown; method?: unknown; args?: unknown } | null;
    if (call === null || typeof call !== 'object' || typeof call.tenant !== 'string' || typeof call.namespace !== 'string' || !Array.isArray(call.args)) {
      throw new InvalidArgumentError('a group call from another node needs tenant, namespace, method and args');
    }
    if (!FORWARDED_GROUP_CALLS.includes(call.method as ForwardedGroupCall)) throw new InvalidArgumentError(`no group call ${JSON.stringify(call.method)} (${FORWARDED_GROUP_CALLS.join(', ')})`);
    return { scope: { tenant: call.tenant, namespace: call.namespace }, method: call.method as ForwardedGroupCall, args: call.args };
  }
}

/** A group's entry: tenant-qualified, so the directory's hash tag is the tenant's. */
function groupKey(scope: GroupScope, id: string): string {
  return `${scope.tenant}/${scope.namespace}/${id}`;
}

/** The gather deadline of a call: its options, the last argument (never a payload's field), default 5 s as for a gather. */
function deadlineOf(args: unknown[]): number {
  const options = args.at(-1);
  const deadline = typeof options === 'object' && options !== null ? (options as { deadlineMs?: unknown }).deadlineMs : undefined;
  return typeof deadline === 'number' && deadline > 0 ? deadline : 5_000;
}
