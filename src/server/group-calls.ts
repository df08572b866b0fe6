import { InvalidArgumentError, ShardGroupExistsError, ShardGroupNotFoundError } from '../errors.js';
import { checkType } from './actor-calls.js';
import { checkGroupSpec } from './group-spec.js';
import { checkJsonValue } from './json-input.js';
import { checkId } from '../node/application-registry.js';
import type { PlexNode } from '../node/plex-node.js';
import type { ShardGroupDefinition } from '../node/shard-group-store.js';
import type { GatherOptions, ShardGroup } from '../shard/shard-group.js';
import type { AggregateStrategy, ReduceOp } from '../shard/gather.js';
import type { Scope } from './node-service.js';
import { ClusterGroups, type ForwardedGroupCall } from '../cluster/cluster-groups.js';

/**
 * The shard-group operations of NodeService (which checks every scope
 * before it calls here): groups named per tenant and namespace, kept in the
 * node's data directory so a restart creates them again.
 */
export class GroupCalls {
  private readonly groups = new Map<string, ShardGroup>();
  /** What each tenant group was created from, by group key: kept in the data directory for `restoreGroups`. */
  private readonly groupDefinitions = new Map<string, ShardGroupDefinition>();
  private nextGroup = 0;
  /** On a node of a cluster: group ids are the cluster's, and calls for another node's group go there. */
  private cluster: ClusterGroups | undefined;

  constructor(
    private readonly node: PlexNode,
    /** NodeService's check that it made the scope. */
    private readonly check: (scope: Scope) => Scope,
    /** Grants a scope the node makes for itself (a restore: no principal asked). */
    private readonly grant: (scope: Scope) => void,
  ) {}

  /** From now on group ids are unique cluster-wide and a group's calls answer on any node (src/cluster/cluster-groups.ts). */
  routeThrough(cluster: ClusterGroups): void {
    this.cluster = cluster;
  }

  /**
   * A call another node forwarded to this one, the group's node: run here
   * (the calling node checked the principal against the scope), never
   * forwarded again.
   */
  async serveForwarded(body: unknown): Promise<unknown> {
    const { scope: named, method, args } = ClusterGroups.call(body);
    const scope: Scope = Object.freeze({ tenant: checkId('tenant', named.tenant), namespace: checkId('namespace', named.namespace) });
    this.grant(scope);
    const [id, ...rest] = args as [string, ...unknown[]];
    switch (method) {
      case 'listGroups':
        return this.localGroups(scope);
      case 'deleteGroup':
        return this.deleteHere(scope, id);
      case 'bulkUpdate':
        return this.bulkUpdateHere(scope, id, rest[0], rest[1] as 'all' | 'eventual' | undefined);
      case 'scatterGather':
        return this.scatterGatherHere(scope, id, rest[0] as string, rest[1], (rest[2] ?? {}) as Parameters<GroupCalls['scatterGather']>[4]);
      case 'reduce':
        return this.reduceHere(scope, id, rest[0] as string, rest[1], rest[2] as Parameters<GroupCalls['reduce']>[4]);
      case 'barrier':
        return this.barrierHere(scope, id, rest[0] as number, (rest[1] ?? {}) as GatherOptions);
      case 'scale':
        return this.scaleHere(scope, id, rest[0] as number);
    }
  }

  /**
   * Runs a group call here when the group is this node's (or no node has
   * it: the local rules answer, PLEX_ERR_SHARD_GROUP_NOT_FOUND), else on
   * the node that drives it.
   */
  private async onGroupNode<T>(scope: Scope, id: string, method: ForwardedGroupCall, args: unknown[], here: () => Promise<T>): Promise<T> {
    if (this.cluster === undefined || this.groups.has(this.groupKey(scope, id))) return here();
    const owner = await this.cluster.elsewhere(scope, checkId('group id', id));
    if (owner === undefined) return here();
    return (await this.cluster.forward(owner, scope, method, [id, ...args])) as T;
  }

  private groupKey(scope: Scope, id: string): string {
    return `${scope.tenant}\u0000${scope.namespace}\u0000${checkId('group id', id)}`;
  }

  group(scope: Scope, id: string): ShardGroup {
    this.check(scope);
    const group = this.groups.get(this.groupKey(scope, id));
    if (group === undefined) throw new ShardGroupNotFoundError(id);
    return group;
  }

  async createGroup(scope: Scope, spec: { id: string; application: string; shards: number; partition?: 'hash' | 'consistent-hash'; codec?: 'json'; config?: string; maxInFlight?: number }): Promise<{ id: string; shards: number }> {
    this.check(scope);
    checkGroupSpec(spec);
    const key = this.groupKey(scope, spec.id);
    if (this.groups.has(key)) throw new ShardGroupExistsError(spec.id);
    const app = this.node.applications.get(scope.tenant, spec.application);
    // Refused before any shard starts (the runtime would stop the spawns one shard short otherwise).
    this.node.quotas.checkActors(scope.tenant, spec.shards);
    // The id is the cluster's: a live node that drives a group of this name refuses it here too.
    await this.cluster?.claim(scope, spec.id);
    try {
      return await this.createClaimed(scope, spec, key, app.module);
    } catch (error) {
      if (!(error instanceof ShardGroupExistsError && this.groups.has(key))) await this.cluster?.release(scope, spec.id).catch(() => undefined);
      throw error;
    }
  }

  private async createClaimed(scope: Scope, spec: Parameters<GroupCalls['createGroup']>[1], key: string, module: string): Promise<{ id: string; shards: number }> {
    // Shard actors are `tenant/namespace/gN/shard-i`: their host calls run in the tenant's scope, and no
    // route that takes an actor id (one segment, no '/') can name them.
    const group = await this.node.shardGroups.create({
      // On a cluster another node's groups' shards share the directory: the id carries this node's incarnation.
      id: this.cluster === undefined ? `g${++this.nextGroup}` : `g${++this.nextGroup}-${this.node.identity.incarnation.slice(0, 8)}`,
      actorPrefix: `${scope.tenant}/${scope.namespace}/`,
      module,
      shards: spec.shards,
      partition: spec.partition,
      config: spec.config,
      maxInFlight: spec.maxInFlight,
    });
    if (this.groups.has(key)) {
      await this.node.shardGroups.delete(group.id);
      throw new ShardGroupExistsError(spec.id);
    }
    this.groups.set(key, group);
    const definition: ShardGroupDefinition = {
      tenant: scope.tenant,
      namespace: scope.namespace,
      id: spec.id,
      application: spec.application,
      shards: group.shardCount,
      partition: spec.partition,
      config: spec.config,
      maxInFlight: spec.maxInFlight,
      createdAt: new Date().toISOString(),
    };
    try {
      this.node.shardGroupStore.save(definition);
    } catch (error) {
      // A group the next start would not bring back is not created at all.
      this.groups.delete(key);
      await this.node.shardGroups.delete(group.id).catch(() => undefined);
      throw error;
    }
    this.groupDefinitions.set(key, definition);
    return { id: spec.id, shards: group.shardCount };
  }

  /**
   * Creates again the shard groups a previous run kept (call it after the
   * applications are restored: the groups run their modules). A group that
   * cannot come back (its application is gone, a quota is lower now) is
   * reported and its definition kept, so a fixed node brings it back later.
   */
  async restoreGroups(): Promise<{ restored: string[]; failed: { group: string; error: string }[] }> {
    const restored: string[] = [];
    const failed: { group: string; error: string }[] = [];
    const { definitions, unreadable } = this.node.shardGroupStore.list();
    for (const { file, error } of unreadable) failed.push({ group: file, error });
    for (const d of definitions) {
      const name = `${d.tenant}/${d.namespace}/${d.id}`;
      try {
        // The node's own scope for its own restore: no principal asked for it.
        const scope: Scope = Object.freeze({ tenant: checkId('tenant', d.tenant), namespace: checkId('namespace', d.namespace) });
        this.grant(scope);
        await this.createGroup(scope, { id: d.id, application: d.application, shards: d.shards, partition: d.partition, config: d.config, maxInFlight: d.maxInFlight });
        restored.push(name);
      } catch (error) {
        failed.push({ group: name, error: (error as Error).message });
      }
    }
    return { restored, failed };
  }

  /** Every group on this node with its tenant and namespace (the dashboard filters them by who asks). */
  allGroups(): { tenant: string; namespace: string; id: string; group: ShardGroup }[] {
    return [...this.groups.entries()].map(([key, group]) => {
      const [tenant, namespace, id] = key.split('\u0000');
      return { tenant, namespace, id, group };
    });
  }

  /** The scope's groups: this node's, and on a cluster every other live node's. */
  async listGroups(scope: Scope): Promise<GroupSummary[]> {
    this.check(scope);
    const here = this.localGroups(scope);
    if (this.cluster === undefined) return here;
    const cluster = this.cluster;
    const elsewhere = await Promise.all((await cluster.ownersOf(scope)).map((owner) => cluster.forward(owner, scope, 'listGroups', []).catch(() => []) as Promise<GroupSummary[]>));
    return [...here, ...elsewhere.flat()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private localGroups(scope: Scope): GroupSummary[] {
    const prefix = `${scope.tenant}\u0000${scope.namespace}\u0000`;
    return [...this.groups.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, g]) => ({ id: key.slice(prefix.length), shards: g.shardCount, partition: g.partitionKind, rebalancing: g.rebalancing, nodes: g.shardNodes.map((node) => node ?? null) }));
  }

  async deleteGroup(scope: Scope, id: string): Promise<void> {
    this.check(scope);
    await this.onGroupNode(scope, id, 'deleteGroup', [], () => this.deleteHere(scope, id));
  }

  private async deleteHere(scope: Scope, id: string): Promise<void> {
    const group = this.group(scope, id);
    this.groups.delete(this.groupKey(scope, id));
    this.groupDefinitions.delete(this.groupKey(scope, id));
    this.node.shardGroupStore.remove(scope.tenant, scope.namespace, id);
    await this.node.shardGroups.delete(group.id);
    await this.cluster?.release(scope, id);
  }

  async bulkUpdate(scope: Scope, id: string, entries: unknown, consistency?: 'all' | 'eventual') {
    this.check(scope);
    return this.onGroupNode(scope, id, 'bulkUpdate', [entries, consistency], () => this.bulkUpdateHere(scope, id, entries, consistency));
  }

  private async bulkUpdateHere(scope: Scope, id: string, entries: unknown, consistency?: 'all' | 'eventual') {
    if (!Array.isArray(entries) || !entries.every((e) => Array.isArray(e) && e.length === 2)) throw new InvalidArgumentError('entries must be an array of [key, value] pairs');
    checkJsonValue(entries, 'entries');
    return this.group(scope, id).bulkUpdate(entries as [string | number, unknown][], { consistency });
  }

  async scatterGather(scope: Scope, id: string, type: string, payload: unknown, options: GatherOptions & { aggregate?: Exclude<AggregateStrategy, (values: unknown[]) => unknown> }) {
    this.check(scope);
    return this.onGroupNode(scope, id, 'scatterGather', [type, payload, withoutSignal(options)], () => this.scatterGatherHere(scope, id, type, payload, options));
  }

  private async scatterGatherHere(scope: Scope, id: string, type: string, payload: unknown, options: GatherOptions & { aggregate?: Exclude<AggregateStrategy, (values: unknown[]) => unknown> }) {
    checkJsonValue(payload, 'payload');
    return this.group(scope, id).scatterGather(checkType(type), payload, options);
  }

  async reduce(scope: Scope, id: string, type: string, payload: unknown, options: GatherOptions & { op: ReduceOp; path?: string }) {
    this.check(scope);
    return this.onGroupNode(scope, id, 'reduce', [type, payload, withoutSignal(options)], () => this.reduceHere(scope, id, type, payload, options));
  }

  private async reduceHere(scope: Scope, id: string, type: string, payload: unknown, options: GatherOptions & { op: ReduceOp; path?: string }) {
    checkJsonValue(payload, 'payload');
    return this.group(scope, id).reduce(checkType(type), payload, options);
  }

  async barrier(scope: Scope, id: string, round: number, options: GatherOptions = {}) {
    this.check(scope);
    return this.onGroupNode(scope, id, 'barrier', [round, withoutSignal(options)], () => this.barrierHere(scope, id, round, options));
  }

  private async barrierHere(scope: Scope, id: string, round: number, options: GatherOptions) {
    return this.group(scope, id).barrier(round, options);
  }

  async scale(scope: Scope, id: string, shards: number) {
    this.check(scope);
    return this.onGroupNode(scope, id, 'scale', [shards], () => this.scaleHere(scope, id, shards));
  }

  private async scaleHere(scope: Scope, id: string, shards: number) {
    const group = this.group(scope, id);
    if (typeof shards === 'number' && shards > group.shardCount) this.node.quotas.checkActors(scope.tenant, shards - group.shardCount);
    const result = await group.scale(shards);
    // The next start creates the group with the count it has now.
    const key = this.groupKey(scope, id);
    const definition = this.groupDefinitions.get(key);
    if (definition !== undefined && this.groups.get(key) === group) {
      const scaled = { ...definition, shards: group.shardCount };
      this.node.shardGroupStore.save(scaled);
      this.groupDefinitions.set(key, scaled);
    }
    return result;
  }
}

export interface GroupSummary {
  readonly id: string;
  readonly shards: number;
  readonly partition: string;
  readonly rebalancing: boolean;
  /** The node each shard runs on, in shard order; null for one not running now. */
  readonly nodes: (string | null)[];
}

/** A gather's options as they cross to the group's node: an AbortSignal stays with its caller. */
function withoutSignal<T extends GatherOptions>(options: T | undefined): Omit<T, 'signal'> | undefined {
  if (options === undefined) return undefined;
  const { signal: _signal, ...rest } = options;
  return rest;
}
