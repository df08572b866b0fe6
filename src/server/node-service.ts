import type { ClusterGroups } from '../cluster/cluster-groups.js';
import type { ActorRouter } from '../cluster/actor-router.js';
import type { ClusterApplications } from '../cluster/cluster-applications.js';
import { Membership } from '../cluster/membership.js';
import { ForbiddenError, InvalidArgumentError, shown } from '../errors.js';
import { ActorCalls } from './actor-calls.js';
import type { DeadLetter, DeadLetters } from './dead-letters.js';
import { Gatekeeper, type Principal } from './auth.js';
import { GroupCalls } from './group-calls.js';
import { drainNode } from './node-drain.js';
import type { NodeMetrics } from './metrics.js';
import { checkId } from '../node/application-registry.js';
import type { PlexNode } from '../node/plex-node.js';
import type { GatherOptions, ShardGroup } from '../shard/shard-group.js';
import type { Space } from '../space/space.js';
import { MAX_REMOTE_WAIT_MS, SpaceCalls } from './space-calls.js';
import type { TraceCarrier } from '../tracing/node-tracing.js';
import { LoadHistory } from './load-history.js';
import { SpaceActivity } from './space-activity.js';
import { DashboardData } from './dashboard-data.js';
import { JobRegistry, type JobHandle } from './job-registry.js';
import { GatherLatencies } from './gather-latencies.js';
import type { ShardResult } from '../shard/gather.js';

/**
 * Where an operation acts. Only `NodeService.scope()` makes one, after the
 * gatekeeper allowed the caller into it, and every operation refuses a scope
 * it did not make: a surface cannot forget the check.
 */
export interface Scope {
  readonly tenant: string;
  readonly namespace: string;
}

export { decodeReply } from './actor-calls.js';

export { MAX_REMOTE_WAIT_MS, tupleJson } from './space-calls.js';

/**
 * The node's operations as every remote surface (HTTP, websocket, gRPC)
 * calls them: one implementation, scoped by tenant and namespace, with
 * JSON-form tuples. A surface only parses its wire format and maps errors.
 */
export class NodeService {
  /** Shard groups by tenant/namespace/id, kept for restarts. */
  private readonly groupCalls: GroupCalls;
  private readonly granted = new WeakSet<Scope>();
  /** The tuple-space operations, with JSON-form tuples, and the crash-safe deliveries handed to remote clients. */
  private readonly spaces: SpaceCalls;
  /** Actor activation, ask and tell, and the dead letters of tells. */
  private readonly actors: ActorCalls;

  /** This node alone, or its place in a cluster (src/cluster/membership.ts). */
  readonly membership: Membership;

  /** The last minutes of remote load per surface, for the dashboard's charts (timed in `observe`). */
  readonly load = new LoadHistory();
  /** Writes, takes and template shapes per space from the remote surfaces, for the dashboard's Spaces page. */
  readonly spaceActivity = new SpaceActivity();
  /** Each shard's latency over its group's recent gathers, for the dashboard's Shard groups page. */
  readonly gatherLatencies = new GatherLatencies();
  /** The jobs running now (job.nbody), with their progress; the dashboard lists and cancels them. */
  readonly jobs = new JobRegistry();
  /** What the dashboard's pages show, per principal (its routes: dashboard-routes.ts). */
  readonly dashboard: DashboardData;

  /** The cluster's module applications, when they are shared (a node of a cluster with a secret). */
  private clusterApplications: ClusterApplications | undefined;

  /**
   * Messages for actors that run on other nodes go there from now on, and
   * module deploys and undeploys here are the cluster's (a node of a cluster
   * with a secret).
   */
  routeActorsThrough(router: ActorRouter, applications?: ClusterApplications): void {
    this.clusterApplications = applications;
    this.actors.routeThrough(router, applications);
  }

  /** What the node links hand over: a call another node forwarded to an actor that runs here. */
  serveForwarded(kind: string, body: unknown): Promise<unknown> {
    return this.actors.serveForwarded(kind, body);
  }

  constructor(
    readonly node: PlexNode,
    readonly gate: Gatekeeper = new Gatekeeper(),
    /** Counts and times what the surfaces do (they call `observe`). */
    readonly metrics?: NodeMetrics,
    identity: { labels?: Readonly<Record<string, string>> } = {},
  ) {
    this.actors = new ActorCalls(node, metrics, MAX_REMOTE_WAIT_MS);
    this.dashboard = new DashboardData(this);
    this.groupCalls = new GroupCalls(node, (scope) => this.check(scope), (scope) => this.granted.add(scope));
    this.spaces = new SpaceCalls(node, (scope) => this.check(scope), this.spaceActivity);
    this.membership = new Membership({
      // The node's own identity: the registry registers it, and its group members record it.
      id: node.identity.id,
      incarnation: node.identity.incarnation,
      addresses: {},
      workers: node.runtime.workerCount,
      labels: { ...identity.labels },
      version: NODE_VERSION,
      startedAt: node.startedAt.toISOString(),
    });
  }

  /** Runs one remote operation under the metrics (if any) and, with tracing on, a server span continuing the caller's trace (`carrier`). */
  observe<T>(surface: string, operation: string, run: () => Promise<T>, carrier?: TraceCarrier): Promise<T> {
    const tracing = this.node.tracing;
    const traced = tracing === undefined ? run : () => tracing.serve(surface, operation, carrier, run);
    const started = performance.now();
    const done = this.metrics === undefined ? traced() : this.metrics.observe(surface, operation, traced);
    return done.finally(() => this.load.record(surface, performance.now() - started));
  }

  /** The scope `principal` asked for, if the gatekeeper lets it in (PLEX_ERR_FORBIDDEN otherwise). */
  scope(principal: Principal, tenant: string | undefined, namespace: string | undefined): Scope {
    const scope = Object.freeze({ tenant: checkId('tenant', tenant || this.gate.tenantOf(principal)), namespace: checkId('namespace', namespace || 'default') });
    this.gate.authorize(principal, scope);
    this.granted.add(scope);
    return scope;
  }

  private check(scope: Scope): Scope {
    if (!this.granted.has(scope)) throw new Error('internal: an operation was called with a scope NodeService.scope() did not grant');
    return scope;
  }

  // ── tuple spaces (space-calls.ts) ────────────────────────────────────────

  space(scope: Scope, name: string): Space {
    return this.spaces.space(scope, name);
  }

  write(scope: Scope, space: string, tuple: unknown, ttlMs?: number): Promise<void> {
    return this.spaces.write(scope, space, tuple, ttlMs);
  }

  writeAll(scope: Scope, space: string, tuples: unknown): Promise<number> {
    return this.spaces.writeAll(scope, space, tuples);
  }

  read(scope: Scope, space: string, template: unknown, options: { timeoutMs?: unknown; signal?: AbortSignal; take?: boolean } = {}): Promise<unknown[] | null> {
    return this.spaces.read(scope, space, template, options);
  }

  /** Linda's eval: computations in the tuple run, then the finished tuple is written (SpaceCalls.eval). */
  eval(scope: Scope, space: string, tuple: unknown, options: { onError?: unknown; timeoutMs?: unknown; ttlMs?: unknown; signal?: AbortSignal } = {}): Promise<unknown[]> {
    return this.spaces.eval(scope, space, tuple, options);
  }

  readAll(scope: Scope, space: string, template: unknown, options: { take?: boolean; limit?: number } = {}): Promise<unknown[][]> {
    return this.spaces.readAll(scope, space, template, options);
  }

  /** `takeAll` for a reply that may not reach its client: `settle(false)` puts the taken tuples back (SpaceCalls.takeAllForReply). */
  takeAllForReply(scope: Scope, space: string, template: unknown, options: { limit?: number } = {}): Promise<{ tuples: unknown[][]; settle(delivered: boolean): Promise<void> }> {
    return this.spaces.takeAllForReply(scope, space, template, options);
  }

  /** A crash-safe take over the wire, held under a lease until settled by its delivery id (SpaceCalls.takeWithAck). */
  takeWithAck(
    scope: Scope,
    space: string,
    template: unknown,
    options: { timeoutMs?: unknown; leaseMs?: number; holder: string; signal?: AbortSignal },
  ): Promise<{ tuple: unknown[]; deliveryId: string; deliveries: number; leaseExpiresAt: number } | null> {
    return this.spaces.takeWithAck(scope, space, template, options);
  }

  /** A plain take whose answer must reach a caller that may be gone by then (SpaceCalls.takeForReply). */
  takeForReply(
    scope: Scope,
    space: string,
    template: unknown,
    options: { timeoutMs?: unknown; signal?: AbortSignal },
  ): Promise<{ tuple: unknown[]; settle(delivered: boolean): Promise<void> } | null> {
    return this.spaces.takeForReply(scope, space, template, options);
  }

  settle(scope: Scope, deliveryId: unknown, outcome: 'ack' | 'nack'): Promise<void> {
    return this.spaces.settle(scope, deliveryId, outcome);
  }

  /** Returns every tuple `holder` still holds (a websocket that closed, a client that gave up). */
  releaseHolder(holder: string): Promise<number> {
    return this.spaces.releaseHolder(holder);
  }

  count(scope: Scope, space: string, template: unknown): Promise<number> {
    return this.spaces.count(scope, space, template);
  }

  watch(scope: Scope, space: string, template: unknown) {
    return this.spaces.watch(scope, space, template);
  }

  // ── applications and actors ──────────────────────────────────────────────

  async deploy(scope: Scope, applicationId: string, name: string, version: string, wasm: Uint8Array, options: { durable?: boolean; placement?: unknown } = {}) {
    this.check(scope);
    const info = await this.node.applications.deploy(scope.tenant, applicationId, name, version, wasm, options);
    // Installed here first (every check ran); then the cluster's, so the other nodes install the same bytes.
    await this.clusterApplications?.published(info, wasm);
    return info;
  }

  /** A bundle: its manifest and module files; its actors run in the scope's namespace. */
  async deployBundle(scope: Scope, applicationId: string, manifest: string, files: ReadonlyMap<string, Uint8Array>, meta: { name?: string; version?: string } = {}) {
    this.check(scope);
    // A redeploy through a node that does not run the bundle's tree: installed here without it; the tree's node
    // installs the new revision from the cluster and restarts its tree (two trees would fight over the workers' names).
    const treeNode = await this.clusterApplications?.treeRunsElsewhere(scope.tenant, applicationId);
    const info = await this.node.applications.deployBundle(scope.tenant, scope.namespace, applicationId, manifest, files, meta, treeNode === undefined ? {} : { tree: false });
    // Its tree runs here (or on treeNode); the other nodes install its modules and virtual kinds, so its virtual actors answer through any node.
    await this.clusterApplications?.publishedBundle(info);
    return treeNode === undefined ? info : { ...info, treeNode };
  }

  // ── key-value (the store actors reach with kv-*, in the same scope) ───────

  async kvGet(scope: Scope, key: string) {
    return (await this.node.actors.coordination.kv.entry(this.check(scope), key)) ?? null;
  }

  kvPut(scope: Scope, key: string, value: string, ttlMs?: number): Promise<void> {
    return this.node.actors.coordination.kv.put(this.check(scope), key, value, ttlMs === undefined ? {} : { ttlMs });
  }

  kvDelete(scope: Scope, key: string): Promise<boolean> {
    return this.node.actors.coordination.kv.delete(this.check(scope), key);
  }

  kvList(scope: Scope, prefix = '', limit?: number) {
    return this.node.actors.coordination.kv.list(this.check(scope), prefix, limit);
  }

  // ── blobs (the store actors reach with blob-*) ────────────────────────────

  blobPut(scope: Scope, blobId: string, data: Uint8Array, contentType?: string) {
    return this.node.actors.coordination.blobs.put(this.check(scope), blobId, data, contentType);
  }

  blobGet(scope: Scope, blobId: string) {
    return this.node.actors.coordination.blobs.get(this.check(scope), blobId);
  }

  blobDelete(scope: Scope, blobId: string): Promise<boolean> {
    return this.node.actors.coordination.blobs.delete(this.check(scope), blobId);
  }

  blobList(scope: Scope, prefix = '') {
    return this.node.actors.coordination.blobs.list(this.check(scope), prefix);
  }

  listApplications(scope: Scope) {
    return this.node.applications.list(this.check(scope).tenant);
  }

  async undeploy(scope: Scope, applicationId: string): Promise<boolean> {
    const tenant = this.check(scope).tenant;
    const existed = await this.node.applications.undeploy(tenant, applicationId);
    await this.clusterApplications?.undeployed(tenant, applicationId);
    return existed;
  }

  /** The runtime id of actor `id` in a scope, activated on first use (see ActorCalls.actor for which application). */
  actor(scope: Scope, id: string, application?: string): Promise<string> {
    return this.actors.actor(this.check(scope), id, application);
  }

  ask(scope: Scope, id: string, type: string, payload: unknown, options: { application?: string; timeoutMs?: number } = {}): Promise<unknown> {
    return this.actors.ask(this.check(scope), id, type, payload, options);
  }

  /** Resolves once the message is sent; one that is then not handled becomes a dead letter. */
  tell(scope: Scope, id: string, type: string, payload: unknown, options: { application?: string } = {}): Promise<void> {
    return this.actors.tell(this.check(scope), id, type, payload, options);
  }

  get deadLetters(): DeadLetters {
    return this.actors.deadLetters;
  }

  /**
   * Dead letters `principal` may see, newest first: its own tenant's (in the
   * namespaces it holds), another tenant's only as an operator, and with no
   * `tenant` asked every tenant's for an operator.
   */
  listDeadLetters(principal: Principal, filter: { tenant?: string; namespace?: string; limit?: number } = {}): DeadLetter[] {
    const limit = filter.limit;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw new InvalidArgumentError(`limit must be a positive integer, got ${shown(limit)}`);
    if (filter.namespace !== undefined) {
      const scope = this.scope(principal, filter.tenant, filter.namespace);
      return this.deadLetters.list({ tenant: scope.tenant, namespaces: [scope.namespace], limit });
    }
    if (filter.tenant === undefined && principal.operator) return this.deadLetters.list({ limit });
    const tenant = checkId('tenant', filter.tenant ?? this.gate.tenantOf(principal));
    if (!principal.operator && tenant !== principal.tenant) this.gate.authorize(principal, { tenant, namespace: 'default' }); // throws PLEX_ERR_FORBIDDEN
    return this.deadLetters.list({ tenant, namespaces: principal.operator ? '*' : principal.namespaces, limit });
  }

  listActors(scope: Scope): string[] {
    return this.actors.listActors(this.check(scope));
  }

  /**
   * `plexspaces drain`: moves this node's movable actors and the shards it
   * runs to the other nodes before a planned stop (ActorCalls.drain,
   * ShardGroupRegistry.drainShards). An operator's action.
   */
  async drain(principal: Principal): Promise<{ node: string; moved: string[]; kept: string[]; shards: string[] }> {
    if (!principal.operator) throw new ForbiddenError('draining a node is an operator’s action (auth.operators)');
    const registry = this.membership.clustered;
    if (registry === undefined) throw new InvalidArgumentError('this node is alone (no --cluster): there is no other node to move its actors to');
    return drainNode(registry, this.node, this.actors);
  }

  /**
   * The same drain as the node stops (SIGTERM), before it leaves the
   * cluster: its durable and virtual actors stop with their state saved
   * before a survivor can take them over (no moment when both run them),
   * and the shards it runs move with their keys. Only on a node of a
   * cluster with a secret (actors and shards are its own otherwise).
   */
  async drainBeforeStop(): Promise<{ node: string; moved: string[]; kept: string[]; shards: string[] } | undefined> {
    const registry = this.membership.clustered;
    if (registry === undefined || !this.actors.routed) return undefined;
    // This node's own groups stop with it (their shards elsewhere too): only other nodes' shards move.
    return drainNode(registry, this.node, this.actors, { ownGroups: false });
  }

  /** The scope's actors with the node each runs on (`plexspaces actors --where`, GET /api/v1/actors). */
  whereActors(scope: Scope): Promise<{ id: string; node: string; live: boolean }[]> {
    return this.actors.whereActors(this.check(scope), this.membership.self.id);
  }

  stopActor(scope: Scope, id: string): Promise<void> {
    return this.actors.stopActor(this.check(scope), id);
  }

  // ── shard groups (group-calls.ts) ────────────────────────────────────────

  /** On a node of a cluster: group ids are the cluster's and a group's calls answer on any node (src/cluster/cluster-groups.ts). */
  routeGroupsThrough(groups: ClusterGroups): void {
    this.groupCalls.routeThrough(groups);
  }

  /** A group call another node forwarded to this one, the group's node. */
  serveGroupCall(body: unknown): Promise<unknown> {
    return this.groupCalls.serveForwarded(body);
  }

  group(scope: Scope, id: string): ShardGroup {
    return this.groupCalls.group(scope, id);
  }

  createGroup(scope: Scope, spec: Parameters<GroupCalls['createGroup']>[1]) {
    return this.groupCalls.createGroup(scope, spec);
  }

  restoreGroups() {
    return this.groupCalls.restoreGroups();
  }

  listGroups(scope: Scope) {
    return this.groupCalls.listGroups(scope);
  }

  /** Every shard group on this node, each with its scope; callers show a principal only the ones it may see. */
  allGroups() {
    return this.groupCalls.allGroups();
  }

  async deleteGroup(scope: Scope, id: string): Promise<void> {
    await this.groupCalls.deleteGroup(scope, id);
    this.gatherLatencies.forget(scope.tenant, scope.namespace, id);
  }

  bulkUpdate(scope: Scope, id: string, entries: unknown, consistency?: 'all' | 'eventual') {
    return this.timed(scope, id, this.groupCalls.bulkUpdate(scope, id, entries, consistency));
  }

  scatterGather(scope: Scope, id: string, type: string, payload: unknown, options: Parameters<GroupCalls['scatterGather']>[4]) {
    return this.timed(scope, id, this.groupCalls.scatterGather(scope, id, type, payload, options));
  }

  reduce(scope: Scope, id: string, type: string, payload: unknown, options: Parameters<GroupCalls['reduce']>[4]) {
    return this.timed(scope, id, this.groupCalls.reduce(scope, id, type, payload, options));
  }

  barrier(scope: Scope, id: string, round: number, options: GatherOptions = {}) {
    return this.timed(scope, id, this.groupCalls.barrier(scope, id, round, options));
  }

  /** Records each shard's latency of a finished gather (the dashboard's Shard groups page), passing the result on. */
  private async timed<T extends { shards: readonly ShardResult[] }>(scope: Scope, id: string, gather: Promise<T>): Promise<T> {
    const result = await gather;
    this.gatherLatencies.record(scope.tenant, scope.namespace, id, result.shards);
    return result;
  }

  scale(scope: Scope, id: string, shards: number) {
    return this.groupCalls.scale(scope, id, shards);
  }

  // ── jobs ─────────────────────────────────────────────────────────────────

  /**
   * Runs one of the tenant's jobs (`job.nbody`), counted against
   * `jobsPerTenant` and `workersPerJob` until it ends: a job starts its own
   * worker threads, so without a bound one request could take every core.
   */
  async job<T>(scope: Scope, workers: number, run: (job: JobHandle) => Promise<T>, listed: { kind: string; params: Record<string, unknown>; signal?: AbortSignal }): Promise<T> {
    this.check(scope);
    const end = this.node.quotas.startJob(scope.tenant, workers);
    try {
      // Listed while it runs (the dashboard's Jobs page), and cancellable from there.
      return await this.jobs.run(scope, listed.kind, listed.params, listed.signal, run);
    } finally {
      end();
    }
  }

  // ── the node ─────────────────────────────────────────────────────────────

  /**
   * The node as `principal` may see it: an operator (or anyone, with auth
   * off) gets node-wide figures; a tenant's token gets its own tenant's
   * (its actors only), so one tenant learns nothing of another's load.
   */
  /** The nodes of the platform (this one alone, or the cluster's live members), read from the registry now. Any authenticated caller may list them: it is how clients find the other nodes. */
  nodes() {
    return this.membership.refresh();
  }

  info(principal: Principal) {
    const actors = this.node.runtime.placement();
    const base = { version: NODE_VERSION, startedAt: this.node.startedAt.toISOString(), durable: this.node.dataDir !== null, workers: this.node.runtime.workerCount };
    if (principal.operator) return { ...base, scope: 'node' as const, actors: actors.length };
    const prefix = `${principal.tenant}/`;
    return { ...base, scope: 'tenant' as const, tenant: principal.tenant, actors: actors.filter((a) => a.actorId.startsWith(prefix)).length };
  }
}

export const NODE_VERSION = '0.1.0';
