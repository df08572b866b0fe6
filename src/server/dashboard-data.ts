import { memoryUsage } from 'node:process';
import { ActorNotFoundError } from '../errors.js';
import type { Supervisor } from '../actors/supervisor.js';
import { TASK_PREFIX } from '../runtime/actor-runtime-types.js';
import type { Principal } from './auth.js';
import type { NodeService } from './node-service.js';
import { coordinationFigures } from './dashboard-coordination.js';
import { peerFigures } from './peer-figures.js';
import { clusterFigures } from './pipeline-calls.js';
import { checkLockName } from '../coord/lock-manager.js';

/** Crashes kept per actor for its page, newest last. */
export const CRASHES_PER_ACTOR = 10;
/** Actors whose crashes are kept (the least recently crashed is forgotten past it). */
const CRASHED_ACTORS = 1000;

export interface CrashRecord {
  readonly at: string;
  readonly code: string;
  readonly message: string;
}

export interface ActorRow {
  readonly tenant: string;
  readonly namespace: string;
  readonly id: string;
  readonly application: string | null;
  readonly module: string;
  readonly worker: number;
  readonly node: string;
  readonly state: 'running';
  /** Messages queued for the actor's worker thread (the runtime keeps no queue per actor). */
  readonly workerQueue: number;
  /** Messages handled since it started, counted by its worker (every actor, facets or not). */
  readonly messages: number;
  /** Bytes of its linear memory (a shared memory counts whole, once per actor on it). */
  readonly memoryBytes: number;
  /** Restarts by its supervisor (bundle applications); 0 otherwise. */
  readonly restarts: number;
  /** Crashes seen since the node started. */
  readonly crashes: number;
}

interface SupervisionNode {
  readonly id: string;
  readonly kind: 'worker' | 'supervisor';
  readonly ref: string;
  readonly running: boolean;
  readonly restarts: number;
  readonly children?: SupervisionNode[];
}

/**
 * What the dashboard's pages show, computed from the node's own state for
 * one principal: an operator (or anyone, with auth off) sees every tenant,
 * a tenant's token only its own tenant's rows in the namespaces it holds,
 * and node-wide figures (CPU, memory, load per surface) only as an
 * operator, as /metrics and /api/v1/info already decide.
 */
export class DashboardData {
  private readonly crashes = new Map<string, { count: number; recent: CrashRecord[] }>();
  private readonly unsubscribe: () => void;

  constructor(private readonly service: NodeService) {
    this.unsubscribe = service.node.runtime.onCrash((report) => {
      let entry = this.crashes.get(report.actorId);
      if (entry === undefined) {
        if (this.crashes.size >= CRASHED_ACTORS) this.crashes.delete(this.crashes.keys().next().value!);
        this.crashes.set(report.actorId, (entry = { count: 0, recent: [] }));
      }
      entry.count++;
      entry.recent.push({ at: new Date().toISOString(), code: report.error.code, message: report.error.message });
      if (entry.recent.length > CRASHES_PER_ACTOR) entry.recent.shift();
    });
  }

  /** Whether the node runs with auth on (the page then asks for a token first). */
  get authRequired(): boolean {
    return this.service.gate.enabled;
  }

  close(): void {
    this.unsubscribe();
  }

  /** Whether `principal` may see rows of `tenant` / `namespace` (the gatekeeper's rule, without throwing). */
  private visible(principal: Principal, tenant: string, namespace: string): boolean {
    try {
      this.service.gate.authorize(principal, { tenant, namespace });
      return true;
    } catch {
      return false;
    }
  }

  /** `visible` for many rows: asked once per tenant / namespace (a tenant's page on a busy node would otherwise throw once per foreign row). */
  private visibility(principal: Principal): (tenant: string, namespace: string) => boolean {
    const known = new Map<string, boolean>();
    return (tenant, namespace) => {
      const key = `${tenant}/${namespace}`;
      let answer = known.get(key);
      if (answer === undefined) known.set(key, (answer = this.visible(principal, tenant, namespace)));
      return answer;
    };
  }

  /**
   * The node (and its cluster's members), with node-wide figures and the load history for an
   * operator. With `peers` (default) an operator also gets each other node's CPU, memory and
   * actors, read from that node with the caller's `authorization` (peer-figures.ts).
   */
  async overview(principal: Principal, options: { history?: boolean; peers?: boolean; authorization?: string } = {}) {
    const s = this.service;
    const info = s.info(principal);
    const listing = await s.nodes();
    const now = Date.now();
    const uptime = (startedAt: string) => Math.max(0, Math.round((now - Date.parse(startedAt)) / 1000));
    const latest = s.load.latest();
    const figures = principal.operator
      ? { cpuPercent: latest?.cpuPercent ?? null, rssBytes: memoryUsage.rss(), heapUsedBytes: memoryUsage().heapUsed, workerQueues: s.node.runtime.workerStats() }
      : null;
    return {
      at: new Date(now).toISOString(),
      scope: info.scope,
      node: { id: listing.self, version: info.version, startedAt: info.startedAt, uptimeSeconds: uptime(info.startedAt), workers: info.workers, durable: info.durable, actors: info.actors, process: figures },
      cluster: listing.cluster === null ? null : { backend: listing.cluster.backend, stale: listing.stale ?? null },
      nodes: await Promise.all(
        listing.nodes.map(async (n) => {
          const self = n.id === listing.self;
          const http = n.addresses.http ?? null;
          // Node-wide figures are an operator's, on every node alike.
          const peer = !principal.operator || options.peers === false ? undefined : self ? { actors: info.actors, cpuPercent: figures!.cpuPercent, rssBytes: figures!.rssBytes } : http === null ? undefined : await peerFigures(http, options.authorization);
          return { id: n.id, version: n.version, workers: n.workers, startedAt: n.startedAt, uptimeSeconds: uptime(n.startedAt), http, self, figures: peer ?? null };
        }),
      ),
      load: principal.operator ? (options.history === false ? (latest === undefined ? [] : [latest]) : s.load.samples()) : null,
    };
  }

  /** The actors running on this node that `principal` may see, sorted by tenant, namespace and id. */
  async actors(principal: Principal): Promise<ActorRow[]> {
    const node = this.service.node;
    // Asked of the workers now: an actor spawned after the answer is listed with zeros until the next listing.
    const stats = await node.runtime.actorStats();
    const self = this.service.membership.self.id;
    const queues = new Map(node.runtime.workerStats().map((w) => [w.worker, w.queued]));
    const restarts = new Map<string, number>();
    const applications = new Map<string, { modules: readonly string[]; applicationId: string }[]>();
    const rows: ActorRow[] = [];
    const visible = this.visibility(principal);
    for (const placement of node.runtime.placement()) {
      const parsed = parseActorId(placement.actorId);
      if (parsed === undefined || !visible(parsed.tenant, parsed.namespace)) continue;
      let apps = applications.get(parsed.tenant);
      if (apps === undefined) {
        apps = node.applications.list(parsed.tenant);
        applications.set(parsed.tenant, apps);
        for (const app of apps) for (const child of flatten(this.tree(parsed.tenant, app.applicationId))) if (child.kind === 'worker') restarts.set(child.ref, child.restarts);
      }
      rows.push({
        ...parsed,
        application: apps.find((a) => a.modules.includes(placement.module))?.applicationId ?? null,
        module: placement.module,
        worker: placement.worker,
        node: self,
        state: 'running',
        workerQueue: queues.get(placement.worker) ?? 0,
        messages: stats.get(placement.actorId)?.handled ?? 0,
        memoryBytes: stats.get(placement.actorId)?.memoryBytes ?? 0,
        restarts: restarts.get(placement.actorId) ?? 0,
        crashes: this.crashes.get(placement.actorId)?.count ?? 0,
      });
    }
    return rows.sort((a, b) => compare(`${a.tenant}/${a.namespace}/${a.id}`, `${b.tenant}/${b.namespace}/${b.id}`));
  }

  /** One actor's page: its row, its state (get-state), recent crashes and the metrics facet's figures. PLEX_ERR_FORBIDDEN / PLEX_ERR_ACTOR_NOT_FOUND as the other routes. */
  async actor(principal: Principal, tenant: string, namespace: string, id: string) {
    const scope = this.service.scope(principal, tenant, namespace);
    const actorId = `${scope.tenant}/${scope.namespace}/${id}`;
    const row = (await this.actors(principal)).find((r) => r.tenant === scope.tenant && r.namespace === scope.namespace && r.id === id);
    if (row === undefined) throw new ActorNotFoundError(actorId);
    const runtime = this.service.node.runtime;
    let state: { text: string | null; bytes: number } | { error: string } | null = null;
    if (runtime.canSnapshot(row.module)) {
      try {
        const bytes = await runtime.getState(actorId);
        const text = new TextDecoder('utf-8', { fatal: true });
        let shown: string | null;
        try {
          shown = text.decode(bytes);
        } catch {
          shown = null; // binary state: its size alone
        }
        state = { text: shown, bytes: bytes.byteLength };
      } catch (error) {
        state = { error: (error as Error).message };
      }
    }
    const metrics = this.service.node.actors.actorMetrics(actorId);
    return {
      actor: row,
      state,
      crashes: [...(this.crashes.get(actorId)?.recent ?? [])].reverse(),
      facets: { intercepted: runtime.isIntercepted(actorId), metrics: metrics === undefined ? null : { ...metrics } },
    };
  }

  /** Each visible application with its supervision tree (bundles; a module application has none). */
  applications(principal: Principal) {
    const node = this.service.node;
    const tenants = new Set<string>(principal.operator ? node.runtime.placement().flatMap((p) => parseActorId(p.actorId)?.tenant ?? []) : [principal.tenant]);
    if (principal.operator) tenants.add(principal.tenant);
    return [...tenants].sort(compare).flatMap((tenant) =>
      node.applications
        .list(tenant)
        // A module application is its tenant's in every namespace; a bundle runs in one.
        .filter((app) => app.namespace === undefined || this.visible(principal, tenant, app.namespace))
        .map((app) => ({ tenant, applicationId: app.applicationId, name: app.name, version: app.version, kind: app.kind, modules: app.modules, namespace: app.namespace ?? null, supervision: this.tree(tenant, app.applicationId) })),
    );
  }

  private tree(tenant: string, applicationId: string): { status: string; children: SupervisionNode[] } | null {
    const supervisor = this.service.node.applications.supervisor(tenant, applicationId);
    return supervisor === undefined ? null : walk(supervisor);
  }

  /** Open spaces `principal` may see, with their sizes and what remote clients did to them lately. */
  async spaces(principal: Principal) {
    const visible = this.visibility(principal);
    const open = this.service.node.spaces.openSpaces().filter(({ ref }) => visible(ref.tenant, ref.namespace));
    const rows = await Promise.all(
      open.map(async ({ ref, space }) => {
        // A shared space answers from Redis; one that cannot answer now shows no sizes rather than failing the page.
        const stats = await Promise.resolve(space.stats()).catch(() => null);
        return { tenant: ref.tenant, namespace: ref.namespace, space: ref.name, stats, activity: this.service.spaceActivity.summary(ref.tenant, ref.namespace, ref.name) };
      }),
    );
    return rows.sort((a, b) => compare(`${a.tenant}/${a.namespace}/${a.space}`, `${b.tenant}/${b.namespace}/${b.space}`));
  }

  /**
   * The pipelines `principal` may see, with each stage's live figures
   * (src/pipeline/). One this node runs on a shared space carries the
   * cluster's figures too (every node that runs it, merged), or the
   * backend's error when Redis does not answer.
   */
  async pipelines(principal: Principal) {
    const visible = this.visibility(principal);
    const node = this.service.node;
    const rows = node.pipelines
      .entries()
      .map(([key, pipeline]) => {
        const [tenant, namespace] = key.split('/');
        return { tenant, namespace, ...pipeline.figures() };
      })
      .filter((p) => p.namespace !== undefined && visible(p.tenant, p.namespace))
      .sort((a, b) => compare(`${a.tenant}/${a.namespace}/${a.name}`, `${b.tenant}/${b.namespace}/${b.name}`));
    return Promise.all(
      rows.map(async (row) => {
        const scope = { tenant: row.tenant, namespace: row.namespace };
        if (node.pipelineBoard === undefined || !node.pipelines.isShared(scope, row.name)) return row;
        const cluster = await clusterFigures(node, scope, row.name).then(
          ({ state, stages, nodes }) => ({ state, stages, nodes: nodes.map((n) => ({ node: n.node, stale: n.stale, state: n.figures.state, at: n.at })) }),
          (error: unknown) => ({ error: (error as Error).message }),
        );
        return { ...row, cluster };
      }),
    );
  }

  /** Running jobs `principal` may see, with their progress (job-registry.ts). */
  jobs(principal: Principal) {
    return this.service.jobs.list(principal);
  }

  cancelJob(principal: Principal, id: string) {
    return this.service.jobs.cancel(principal, id);
  }

  /** The Coordination page's figures for one scope; PLEX_ERR_FORBIDDEN outside the principal's (dashboard-coordination.ts). */
  coordination(principal: Principal, tenant: string, namespace: string, lock?: string) {
    const scope = this.service.scope(principal, tenant, namespace);
    if (lock !== undefined) checkLockName(lock);
    return coordinationFigures(this.service.node.actors.coordination, scope, lock);
  }

  /** Shard groups `principal` may see, with each shard's actor, worker and node. */
  shardGroups(principal: Principal) {
    const self = this.service.membership.self.id;
    const placement = new Map(this.service.node.runtime.placement().map((p) => [p.actorId, p.worker]));
    return this.service
      .allGroups()
      .filter((g) => this.visible(principal, g.tenant, g.namespace))
      .map(({ tenant, namespace, id, group }) => {
        // In a cluster a group's shards are spread over the nodes (the group's host says which); only this node's have a worker here.
        const nodes = group.shardNodes;
        return {
          tenant,
          namespace,
          id,
          partition: group.partitionKind,
          rebalancing: group.rebalancing,
          shards: group.shardIds.map((actor, shard) => ({
            shard,
            actor,
            worker: placement.get(actor) ?? null,
            node: nodes[shard] ?? (placement.has(actor) ? self : null),
            recent: this.service.gatherLatencies.of(tenant, namespace, id, shard) ?? null,
          })),
        };
      })
      .sort((a, b) => compare(`${a.tenant}/${a.namespace}/${a.id}`, `${b.tenant}/${b.namespace}/${b.id}`));
  }
}

/** `tenant/namespace/id` of an actor a client started; undefined for the runtime's own (pooled tasks, ids of another form). */
function parseActorId(actorId: string): { tenant: string; namespace: string; id: string } | undefined {
  if (actorId.startsWith(TASK_PREFIX)) return undefined;
  const first = actorId.indexOf('/');
  const second = actorId.indexOf('/', first + 1);
  if (first <= 0 || second <= first + 1 || second === actorId.length - 1) return undefined;
  return { tenant: actorId.slice(0, first), namespace: actorId.slice(first + 1, second), id: actorId.slice(second + 1) };
}

function walk(supervisor: Supervisor): { status: string; children: SupervisionNode[] } {
  return {
    status: supervisor.status,
    children: supervisor.childInfo().map((child) => {
      const nested = child.kind === 'supervisor' ? supervisor.childSupervisor(child.id) : undefined;
      return nested === undefined ? { ...child } : { ...child, children: walk(nested).children };
    }),
  };
}

function flatten(tree: { children: SupervisionNode[] } | null): SupervisionNode[] {
  return tree === null ? [] : tree.children.flatMap((c) => [c, ...flatten(c.children === undefined ? null : { children: c.children })]);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
