import type { ActorSystem } from '../actors/actor-system.js';
import { ModuleNotFoundError, PipelineExistsError, PipelineNotFoundError } from '../errors.js';
import { resolveModuleRef } from '../runtime/actor-address.js';
import type { Scope } from '../coord/scope.js';
import type { SpaceRegistry } from '../space/space-registry.js';
import type { Space } from '../space/space.js';
import { Pipeline, type PipelineFigures } from './pipeline.js';
import type { PipelineSpec } from './pipeline-spec.js';
import { ActorInstanceFactory } from './stage-instances.js';

/** Where a pipeline runs: a tenant's space by name (the surfaces, manifests), or a space object (the TS API). */
export type PipelinePlacement =
  | { readonly scope: Scope; readonly space?: string; /** A module of the application whose bare module names resolve first. */ readonly application?: string }
  | { readonly space: Space; readonly scope?: undefined };

/**
 * A node's pipelines, by `tenant/namespace/name` (or by name for pipelines
 * started on a space object). A finished, stopped or failed pipeline stays
 * listed with its last figures until it is removed or a new one takes its
 * name.
 */
export class PipelineRegistry {
  private readonly pipelines = new Map<string, Pipeline>();
  /** Pipelines of a tenant's scope on a space the cluster shares: their figures are the cluster's too (src/cluster/pipeline-board.ts). */
  private readonly shared = new Map<string, Scope>();

  constructor(
    private readonly system: ActorSystem,
    private readonly spaces: SpaceRegistry,
  ) {}

  /** Resolves the stages' modules in the tenant (another tenant's is refused, an unknown one is `PLEX_ERR_MODULE_NOT_FOUND`), then starts it. */
  async start(spec: PipelineSpec, placement: PipelinePlacement): Promise<Pipeline> {
    const key = placement.scope === undefined ? spec?.name : `${placement.scope.tenant}/${placement.scope.namespace}/${spec?.name}`;
    const existing = this.pipelines.get(key);
    if (existing !== undefined && (existing.status === 'running' || existing.status === 'draining')) throw new PipelineExistsError(spec.name);
    const caller = placement.scope === undefined ? '' : `${placement.scope.tenant}/${placement.scope.namespace}/pipeline.${spec?.name}`;
    const exists = (name: string) => this.system.runtime.hasModule(name);
    const stages = Array.isArray(spec?.stages)
      ? spec.stages.map((stage) => {
          if (stage?.module === undefined || typeof stage.module !== 'string') return stage;
          const module = placement.scope === undefined ? stage.module : resolveModuleRef(caller, placement.scope === undefined ? undefined : placement.application, stage.module, exists);
          if (!exists(module)) throw new ModuleNotFoundError(module);
          return { ...stage, module };
        })
      : spec?.stages;
    const space = placement.scope === undefined ? placement.space : this.spaces.open({ tenant: placement.scope.tenant, namespace: placement.scope.namespace, name: placement.space ?? 'default' });
    const prefix = placement.scope === undefined ? '' : `${placement.scope.tenant}/${placement.scope.namespace}/`;
    const pipeline = await Pipeline.start({ ...spec, stages }, space, { modules: new ActorInstanceFactory(this.system, prefix, spec.name), holderScope: prefix });
    this.pipelines.set(key, pipeline);
    if (placement.scope !== undefined && this.spaces.placementOf(`${prefix}${placement.space ?? 'default'}`) === 'shared') this.shared.set(key, placement.scope);
    else this.shared.delete(key);
    return pipeline;
  }

  get(scope: Scope | undefined, name: string): Pipeline {
    const pipeline = this.pipelines.get(scope === undefined ? name : `${scope.tenant}/${scope.namespace}/${name}`);
    if (pipeline === undefined) throw new PipelineNotFoundError(name);
    return pipeline;
  }

  /** The figures of every pipeline of a tenant's namespace (or all of them). */
  list(scope?: Scope): PipelineFigures[] {
    const prefix = scope === undefined ? '' : `${scope.tenant}/${scope.namespace}/`;
    return [...this.pipelines.entries()].filter(([key]) => key.startsWith(prefix)).map(([, p]) => p.figures());
  }

  /** Every pipeline with its key (`tenant/namespace/name`), for /metrics and the dashboard. */
  entries(): [string, Pipeline][] {
    return [...this.pipelines.entries()];
  }

  /** Stops it (if running) and forgets it. */
  async remove(scope: Scope | undefined, name: string): Promise<void> {
    const pipeline = this.get(scope, name);
    await pipeline.stop();
    const key = scope === undefined ? name : `${scope.tenant}/${scope.namespace}/${name}`;
    this.pipelines.delete(key);
    this.shared.delete(key);
  }

  /** Whether this node runs `name` of `scope` on a space the cluster shares. */
  isShared(scope: Scope, name: string): boolean {
    return this.shared.has(`${scope.tenant}/${scope.namespace}/${name}`);
  }

  /** The pipelines on shared spaces with their scopes and figures, for the cluster's board. */
  sharedFigures(): { scope: Scope; figures: PipelineFigures }[] {
    return [...this.shared.entries()].map(([key, scope]) => ({ scope, figures: this.pipelines.get(key)!.figures() }));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.pipelines.values()].map((p) => p.stop().catch(() => undefined)));
  }
}
