import { resolve } from 'node:path';
import { ActorSystem } from '../actors/actor-system.js';
import { newIncarnation, nodeId, type NodeIdentity } from '../cluster/node-registry.js';
import type { RedisClient } from '../cluster/redis-client.js';
import { PipelineBoard } from '../cluster/pipeline-board.js';
import { tenantScopeOf } from '../coord/scope.js';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { ShardGroupRegistry } from '../shard/shard-group-registry.js';
import { localShardHost } from '../shard/shard-host.js';
import { SpaceRegistry, type SharedSpaceBackend } from '../space/space-registry.js';
import { compilePlacement, type SpacePlacementRules } from '../space/space-placement.js';
import type { Space } from '../space/space.js';
import { Computation, evalTuple, type ActiveTuple, type EvalExecutor, type EvalOptions } from '../space/linda-eval.js';
import type { Tuple } from '../tuple/types.js';
import { InvalidArgumentError, ModuleNotFoundError } from '../errors.js';
import { resolveActorRef, resolveModuleRef } from '../runtime/actor-address.js';
import type { NodeTracing } from '../tracing/node-tracing.js';
import { ApplicationRegistry } from './application-registry.js';
import { PipelineRegistry } from '../pipeline/pipeline-registry.js';
import { ShardGroupStore } from './shard-group-store.js';
import { TenantQuotas, type TenantQuotaOptions } from './tenant-quotas.js';

export interface PlexNodeOptions {
  /** Where durable state lives. Default `./.plexspaces`; `null` keeps everything in memory. */
  dataDir?: string | null;
  /** Worker threads of the actor runtime. Default: the machine's cores. */
  workers?: number;
  /** What each tenant may hold (tenant-quotas.ts has every default). */
  quotas?: TenantQuotaOptions;
  /** The cluster's Redis (connectRedis): KV and locks are shared by every node there. Default: a node alone. */
  cluster?: RedisClient;
  /** This node's id in the platform (`--node-id`). Default: the host name and a random suffix. */
  nodeId?: string;
  /** This start's incarnation (when the caller needed it before the node existed). Default: a new one. */
  incarnation?: string;
  /** The cluster's tuple spaces (RedisSpaceCatalog); without it every space is the node's own. */
  sharedSpaces?: SharedSpaceBackend;
  /** Which spaces are shared, given `sharedSpaces` (`[cluster] spaces`, `node_spaces`, `shared_spaces`). Default: every one. */
  spacePlacement?: SpacePlacementRules;
  /** Where the node's spans go (`[tracing]`, docs/tracing.md); the node shuts it down when it stops. Default: no tracing. */
  tracing?: NodeTracing;
}

export const DEFAULT_DATA_DIR = './.plexspaces';

/**
 * A PlexSpaces node: the named tuple spaces, the actor runtime and its
 * actor system (supervision, facets, coordination services), the deployed
 * applications and the shard groups, with one lifecycle. Embedded
 * defaults: in-memory spaces made durable in SQLite under `dataDir`, where
 * the node database (KV, locks, reminders, journals) and blobs live too.
 */
export class PlexNode {
  readonly dataDir: string | null;
  readonly spaces: SpaceRegistry;
  readonly runtime: ActorRuntime;
  /** Links, supervision, facets, timers and the coordination services over `runtime`. */
  readonly actors: ActorSystem;
  readonly applications: ApplicationRegistry;
  readonly shardGroups: ShardGroupRegistry;
  /** Tenants' shard-group definitions kept under the data directory, restored at start (NodeService). */
  readonly shardGroupStore: ShardGroupStore;
  /** Dataflow pipelines (docs/pipelines.md) running on this node's spaces and worker pool. */
  readonly pipelines: PipelineRegistry;
  /** What each tenant holds against its quotas; the runtime asks it before every spawn. */
  readonly quotas: TenantQuotas;
  readonly startedAt = new Date();
  /** This node's id and incarnation (random per start): what the cluster registry knows it by and its group members record. */
  readonly identity: NodeIdentity;
  /** The cluster's Redis, when the node is one of a cluster's. */
  readonly cluster: RedisClient | undefined;
  /** Where the figures of its pipelines on shared spaces meet the other nodes' (a cluster only). */
  readonly pipelineBoard: PipelineBoard | undefined;
  /** The node's tracer when tracing is on; every span hook checks it first. */
  readonly tracing: NodeTracing | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: PlexNodeOptions = {}) {
    this.dataDir = options.dataDir === null ? null : resolve(options.dataDir ?? DEFAULT_DATA_DIR);
    this.identity = { id: nodeId(options.nodeId), incarnation: options.incarnation ?? newIncarnation() };
    this.cluster = options.cluster;
    this.tracing = options.tracing;
    this.quotas = new TenantQuotas(options.quotas);
    const q = this.quotas.limits;
    // Every space of the registry is a tenant's (tenant/namespace/name), so every one gets the per-space bounds.
    this.spaces = new SpaceRegistry({
      ...(this.dataDir === null ? {} : { dataDir: this.dataDir }),
      space: { maxTuples: q.tuplesPerSpace, maxBytes: q.bytesPerSpace, maxWaiters: q.waitersPerSpace },
      maxSpacesPerTenant: q.spacesPerTenant,
      shared: options.sharedSpaces,
      placement: options.spacePlacement === undefined ? undefined : compilePlacement(options.spacePlacement),
    });
    this.runtime = new ActorRuntime({ workers: options.workers, spaceFor: (actorId) => this.actorSpace(actorId),
      evalFor: (caller, tuple, options) => {
        const space = this.actorSpace(caller);
        if (space === undefined) throw new InvalidArgumentError(`ts-eval: ${caller} has no tenant space`);
        return this.eval(space, tuple, { ...options, caller });
      },
      admission: this.quotas.admission, tracing: this.tracing });
    this.actors = new ActorSystem({ runtime: this.runtime, dataDir: this.dataDir, cluster: options.cluster, node: this.identity });
    this.pipelines = new PipelineRegistry(this.actors, this.spaces);
    this.pipelineBoard = options.cluster === undefined ? undefined : new PipelineBoard(options.cluster, this.identity.id, () => this.pipelines.sharedFigures());
    this.pipelineBoard?.start();
    this.applications = new ApplicationRegistry(this.actors, this.dataDir, this.quotas, this.pipelines);
    this.shardGroupStore = new ShardGroupStore(this.dataDir);
    this.shardGroups = new ShardGroupRegistry(this.runtime, localShardHost(this.runtime, this.identity.id));
  }

  /**
   * The space an actor's tuple-space host calls reach: for an actor of a
   * tenant (id `tenant/namespace/…`, as NodeService names them), the
   * space named `default` of that tenant and namespace — the one remote
   * clients reach as `{tenant}/{namespace}/default`. Other actors share the
   * runtime's own space.
   */
  private actorSpace(actorId: string): Space | undefined {
    const scope = tenantScopeOf(actorId);
    return scope === undefined ? undefined : this.spaces.open({ tenant: scope.tenant, namespace: scope.namespace, name: 'default' });
  }

  /**
   * Linda's `eval` on one of the node's spaces (src/space/linda-eval.ts):
   * the computations run in parallel on the worker pool, and the finished
   * tuple is written once they all have. `caller` (a tenant-scoped actor id
   * or `tenant/namespace/…`) resolves module and actor names in its tenant
   * and refuses another tenant's, as a host call would; without it names
   * are taken as they are.
   */
  eval(space: Space, tuple: ActiveTuple, options: EvalOptions & { caller?: string } = {}): Promise<Tuple> {
    const { caller } = options;
    const executor: EvalExecutor = {
      runTask: (module, type, payload, o) => this.runtime.runTask(module, type, payload, o),
      ask: (actor, type, payload, o) => this.actors.ask(actor, type, payload, o),
      resolve: (c) => {
        if (c.kind === 'task') {
          const module = caller === undefined ? c.target : resolveModuleRef(caller, undefined, c.target, (name) => this.runtime.hasModule(name));
          if (!this.runtime.hasModule(module)) throw new ModuleNotFoundError(module);
          return new Computation('task', module, c.message, c.args);
        }
        return caller === undefined ? c : new Computation('ask', resolveActorRef(caller, c.target), c.message, c.args);
      },
    };
    return evalTuple(space, tuple, executor, options);
  }

  /** Deploys again the applications a previous run kept in the data directory (their durable actors recover their state). */
  restoreApplications(options: Parameters<ApplicationRegistry['restore']>[0] = {}): ReturnType<ApplicationRegistry['restore']> {
    return this.applications.restore(options);
  }

  /** Drains and flushes: pending operations are rejected, durable state is on disk when this resolves. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.shardGroups.deleteAll().catch(() => undefined);
      // Before the applications: a stage's instances are actors, and the tuples it holds go back to the space first.
      await this.pipelines.stopAll();
      // Their last figures, stopped: what this node did still counts in the cluster's totals.
      await this.pipelineBoard?.close().catch(() => undefined);
      await this.applications.stopAll();
      await this.actors.close();
      await this.runtime.close();
      await this.spaces.close();
      // Last: the spans of everything above are exported before the node reports it stopped.
      await this.tracing?.shutdown().catch((error: unknown) => process.stderr.write(`plexspaces: could not export the last spans: ${(error as Error).message}\n`));
    })();
    return this.stopping;
  }
}
