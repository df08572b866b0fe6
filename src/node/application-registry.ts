import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, InvalidManifestError, ModuleNotFoundError, shown } from '../errors.js';
import type { ActorSystem } from '../actors/actor-system.js';
import { Supervisor, type SupervisorOptions, type SupervisorSpec } from '../actors/supervisor.js';
import type { SpawnRegistry } from '../runtime/actor-runtime-types.js';
import { durabilityFacets, parseManifest, supervisorSpec, type AppManifest, type DurabilityRequest } from './app-manifest.js';
import type { FacetSpec } from '../actors/facet.js';
import type { TenantQuotas } from './tenant-quotas.js';
import type { PipelineRegistry } from '../pipeline/pipeline-registry.js';
import { snapshotsState, type PreparedModule } from '../runtime/module-table.js';
import { checkPlacement, type Placement } from '../cluster/placement.js';

/** A deployed application: one WebAssembly module, or a bundle of modules started as a supervision tree from its manifest. */
export interface ApplicationInfo {
  readonly tenant: string;
  readonly applicationId: string;
  readonly name: string;
  readonly version: string;
  readonly kind: 'module' | 'bundle';
  /** The module's name in the actor runtime (tenant-qualified); for a bundle, its first module. */
  readonly module: string;
  /** Every module name in the runtime. */
  readonly modules: readonly string[];
  readonly bytes: number;
  readonly deployedAt: string;
  /**
   * A module: whether the actors activated from it are durable (journal +
   * checkpoints; state survives crashes and restarts). A bundle: its
   * `[application] durable` default. True unless the deploy opted out or the
   * module cannot snapshot its state.
   */
  readonly durable: boolean;
  /** Bundles: the namespace its actors run in and their ids (`tenant/namespace/child-id`). */
  readonly namespace?: string;
  /** A module in a cluster: which nodes its actors may run on (src/cluster/placement.ts); none: the node the first message reaches. */
  readonly placement?: Placement;
  readonly actors?: readonly string[];
  /**
   * A bundle installed from the cluster (deployed through another node):
   * its modules and virtual kinds are here, its supervision tree runs on
   * the node that deployed it.
   */
  readonly treeElsewhere?: boolean;
}

/** How a bundle is deployed here: the way a user does (tree started, copy kept), or installed from the cluster. */
export interface BundleDeployOptions {
  /** Start its supervision tree here. Default true. */
  readonly tree?: boolean;
  /** Keep a copy in the data directory for the next start. Default true (one from the cluster comes from the cluster again). */
  readonly keep?: boolean;
}

const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function checkId(what: string, value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value)) throw new InvalidArgumentError(`${what} must be 1–64 of A–Z a–z 0–9 _ . - (not starting with . or -), got ${shown(value)}`);
  return value;
}

interface Deployed {
  info: ApplicationInfo;
  supervisor?: Supervisor;
  virtualKinds?: string[];
  /** A bundle: its supervision tree, to start here (at deploy, or when this node takes it over from a dead one). */
  tree?: { readonly name: string; readonly spec: SupervisorSpec; readonly prefix: string };
  /** Deployed through this node (a copy kept for its next start), not only installed from the cluster. */
  kept?: boolean;
  /** A bundle's pipelines, started with its tree: their scope and names. */
  pipelines?: { readonly scope: { tenant: string; namespace: string }; readonly names: readonly string[] };
  /** A bundle: what it was deployed from (the cluster compares it with its own copy before reinstalling). */
  source?: { readonly manifest: string; readonly files: ReadonlyMap<string, Uint8Array> };
}

/**
 * Applications per tenant. A single module is validated and compiled; a
 * bundle's manifest is validated, then every module it names is validated
 * against its world (a core module's ABI or the simple-actor component
 * world), and only then is its supervision tree started, root first — a
 * bad bundle changes nothing.
 *
 * With a data directory, every deployment is kept under
 * `<dataDir>/apps/<tenant>/<application>/` and `restore()` deploys them
 * again when the node starts, so a node restart brings its applications
 * (and their durable actors' state) back.
 */
export class ApplicationRegistry {
  private readonly apps = new Map<string, Deployed>();
  /** Bytes of deploys under way, by `tenant:application` (see withModuleBytes). */
  private readonly deploying = new Map<string, number>();
  /** Set on a node of a cluster with a secret: bundles' workers are claimed in the actor directory. */
  private childClaims: SpawnRegistry | undefined;

  constructor(
    private readonly system: ActorSystem,
    private readonly dataDir: string | null = null,
    /** Module bytes per tenant are checked, and modules deployed under the per-actor memory and table caps. */
    private readonly quotas?: TenantQuotas,
    /** Where a bundle's `[[pipeline]]`s run (they start with its tree and stop with it). */
    private readonly pipelines?: PipelineRegistry,
  ) {}

  /**
   * Deploys one module. Its actors are activated by id when first addressed,
   * durable unless `options.durable` is false (a module that cannot snapshot
   * its state is not durable by default, and `durable: true` for it is an
   * error).
   */
  deploy(tenant: string, applicationId: string, name: string, version: string, wasm: Uint8Array, options: { durable?: boolean; placement?: unknown } = {}): Promise<ApplicationInfo> {
    return this.withModuleBytes(tenant, applicationId, wasm.byteLength, () => this.deployModule(tenant, applicationId, name, version, wasm, options.durable, options.placement));
  }

  private async deployModule(tenant: string, applicationId: string, name: string, version: string, wasm: Uint8Array, durableRequest: boolean | undefined, placementRequest: unknown): Promise<ApplicationInfo> {
    checkId('tenant', tenant);
    checkId('application_id', applicationId);
    checkId('name', name);
    checkVersion(version);
    if (durableRequest !== undefined && typeof durableRequest !== 'boolean') throw new InvalidArgumentError(`durable must be true or false, got ${shown(durableRequest)}`);
    const placement = checkPlacement(placementRequest);
    const module = `${tenant}:${applicationId}`;
    // Prepared, then checked, then installed: a module that fails (invalid, or durable=true without state) leaves the deployed one in place.
    const prepared = await this.prepare(module, wasm);
    const canSnapshot = snapshotsState(prepared);
    if (durableRequest === true && !canSnapshot) throw new InvalidArgumentError('durable=true needs a module that snapshots its state (a component, or a core module exporting plex_get_state and plex_set_state); deploy it with durable=false');
    const durable = durableRequest ?? canSnapshot;
    this.system.runtime.install(prepared);
    const info: ApplicationInfo = { tenant, applicationId, name, version, kind: 'module', module, modules: [module], bytes: wasm.byteLength, deployedAt: new Date().toISOString(), durable, ...(placement === undefined ? {} : { placement }) };
    await this.forget(tenant, applicationId, module);
    this.apps.set(key(tenant, applicationId), { info });
    this.persist(info, { 'module.wasm': wasm });
    return info;
  }

  /**
   * Deploys a bundle: `manifest` (app-config.toml) and the module files it
   * names, by file name. Its actors run in `namespace` as
   * `tenant/namespace/<child id>`.
   */
  deployBundle(
    tenant: string,
    namespace: string,
    applicationId: string,
    manifestText: string,
    files: ReadonlyMap<string, Uint8Array>,
    meta: { name?: string; version?: string } = {},
    options: BundleDeployOptions = {},
  ): Promise<ApplicationInfo> {
    // Every file sent counts (those the manifest does not name too): a bound known before anything is parsed.
    const bytes = [...files.values()].reduce((sum, file) => sum + file.byteLength, 0);
    return this.withModuleBytes(tenant, applicationId, bytes, () => this.deployBundleNow(tenant, namespace, applicationId, manifestText, files, meta, options));
  }

  /**
   * From now on the workers of bundles' trees are the cluster's (a node of
   * a cluster with a secret: src/cluster/cluster-spawns.ts): each is
   * claimed in the actor directory before it starts and released when it
   * exits, so any node reaches it. The trees already running claim theirs now.
   */
  async claimChildrenWith(claims: SpawnRegistry): Promise<void> {
    this.childClaims = claims;
    const refs = (supervisor: Supervisor): string[] =>
      supervisor.childInfo().flatMap((child) => (child.kind === 'worker' ? (child.running ? [child.ref] : []) : refs(supervisor.childSupervisor(child.id)!)));
    for (const { supervisor } of this.apps.values()) {
      if (supervisor === undefined) continue;
      for (const ref of refs(supervisor)) await claims.claim(ref).catch((error: unknown) => process.stderr.write(`plexspaces: cannot make ${ref} the cluster's: ${(error as Error).message}\n`));
    }
  }

  /** How a bundle's worker starts: claimed first when its actors are the cluster's. */
  private startWorker(): SupervisorOptions['startWorker'] {
    const claims = this.childClaims;
    if (claims === undefined) return undefined;
    return async (spec, actorId) => {
      await claims.claim(actorId);
      try {
        await this.system.spawn(spec.module, { id: actorId, config: spec.config, trapExits: spec.trapExits, worker: spec.worker, facets: spec.facets });
      } catch (error) {
        claims.unclaim(actorId);
        throw error;
      }
    };
  }

  /**
   * Starts a bundle's tree here that ran elsewhere (this node takes it over
   * from a dead node: src/cluster/cluster-trees.ts). False when it already
   * runs here or the application is not a bundle here.
   */
  async startTree(tenant: string, applicationId: string): Promise<boolean> {
    const deployed = this.apps.get(key(tenant, applicationId));
    if (deployed?.tree === undefined || deployed.supervisor !== undefined) return false;
    deployed.supervisor = await this.startSupervisor(tenant, applicationId, deployed.tree);
    const { treeElsewhere: _elsewhere, ...info } = deployed.info;
    deployed.info = { ...info, actors: deployed.supervisor.childInfo().filter((c) => c.kind === 'worker').map((c) => c.ref) };
    return true;
  }

  /** Stops a bundle's tree here (another node runs it: this one restarted after it took over); its modules stay. */
  async stopTree(tenant: string, applicationId: string): Promise<boolean> {
    const deployed = this.apps.get(key(tenant, applicationId));
    if (deployed?.supervisor === undefined) return false;
    const supervisor = deployed.supervisor;
    deployed.supervisor = undefined;
    await supervisor.stop().catch(() => undefined);
    // Marked once its workers are gone: the listing then says what is true.
    deployed.info = { ...deployed.info, actors: [], treeElsewhere: true };
    return true;
  }

  /** The bundles of every tenant: whether their tree runs here, and whether they were deployed through this node (`kept`). */
  bundles(): { tenant: string; applicationId: string; treeHere: boolean; kept: boolean }[] {
    return [...this.apps.values()]
      .filter((d) => d.tree !== undefined)
      .map((d) => ({ tenant: d.info.tenant, applicationId: d.info.applicationId, treeHere: d.supervisor !== undefined, kept: d.kept === true }));
  }

  /** What a bundle here was deployed from (its manifest and files), if it is a bundle here. */
  bundleSource(tenant: string, applicationId: string): { info: ApplicationInfo; manifest: string; files: ReadonlyMap<string, Uint8Array> } | undefined {
    const deployed = this.apps.get(key(tenant, applicationId));
    return deployed?.source === undefined ? undefined : { info: deployed.info, ...deployed.source };
  }

  /** Whether the application was deployed through this node (its copy is kept here), not only installed from the cluster. */
  keptHere(tenant: string, applicationId: string): boolean {
    return this.apps.get(key(tenant, applicationId))?.kept === true;
  }

  private async startSupervisor(tenant: string, applicationId: string, tree: NonNullable<Deployed['tree']>): Promise<Supervisor> {
    const supervisor = await Supervisor.start(this.system, tree.name, tree.spec, { idPrefix: tree.prefix, startWorker: this.startWorker() });
    supervisor.onEvent((event) => {
      if (event.type === 'escalate') process.stderr.write(`plexspaces: application ${tenant}/${applicationId} gave up: ${event.error.message}\n`);
    });
    return supervisor;
  }

  /** Whether this node runs the bundle's supervision tree (it deployed it, rather than installed it from the cluster). */
  runsTree(tenant: string, applicationId: string): boolean {
    return this.apps.get(key(tenant, applicationId))?.supervisor !== undefined;
  }

  private async deployBundleNow(
    tenant: string,
    namespace: string,
    applicationId: string,
    manifestText: string,
    files: ReadonlyMap<string, Uint8Array>,
    meta: { name?: string; version?: string },
    options: BundleDeployOptions,
  ): Promise<ApplicationInfo> {
    checkId('tenant', tenant);
    checkId('namespace', namespace);
    checkId('application_id', applicationId);
    const manifest = parseManifest(manifestText);
    for (const file of manifest.modules) if (!files.has(file)) throw new InvalidManifestError(file, `the manifest names module ${file}, which is not in the bundle (got: ${[...files.keys()].join(', ') || 'none'})`);
    const name = meta.name ?? manifest.name ?? applicationId;
    const version = meta.version ?? manifest.version ?? '0.0.0';
    checkId('name', name);
    checkVersion(version);
    const moduleName = (file: string) => `${tenant}:${applicationId}:${file}`;
    // Validate every module, and what the manifest says of it, before anything changes.
    const prepared = new Map<string, PreparedModule>();
    for (const file of manifest.modules) {
      // The declared world is checked by the preparation: a component importing outside it, or a module of the other kind, is refused.
      const declared = manifest.worlds.get(file);
      const module = await this.prepare(moduleName(file), files.get(file)!, declared).catch(async (error: unknown) => {
        // A module that prepares without the declaration is valid but not of the declared world: the manifest is wrong.
        if (declared === undefined || !(await this.prepare(moduleName(file), files.get(file)!).then(() => true, () => false))) throw error;
        throw new InvalidManifestError(file, `declared as world ${declared}: ${(error as Error).message}`);
      });
      prepared.set(file, module);
    }
    const durableFacets = (entry: { module: string; durability: DurabilityRequest }, where: string) => durabilityFacets(entry.durability, manifest.durable, snapshotsState(prepared.get(entry.module)!), where);
    const spec = supervisorSpec(manifest.supervisor, moduleName, (worker) => [...worker.facets, ...durableFacets(worker, `supervisor child ${worker.id}`)]);
    const virtualFacets = manifest.virtual.map((v) => [...v.facets, ...durableFacets(v, `virtual ${v.kind}`), { name: 'virtual', idleMs: v.idleTimeoutMs }]);
    await this.forget(tenant, applicationId, undefined);
    const runtime = this.system.runtime;
    for (const module of prepared.values()) runtime.install(module);
    if (manifest.httpClient !== undefined) this.system.httpClient.setPolicy(`${tenant}:${applicationId}:`, manifest.httpClient);
    const deployedNow = [...prepared.values()].map((m) => m.name);
    const prefix = `${tenant}/${namespace}/`;
    const virtualKinds = this.defineVirtual(manifest, prefix, moduleName, virtualFacets);
    const tree = { name: `${prefix}${applicationId}`, spec, prefix };
    let supervisor: Supervisor | undefined;
    if (options.tree !== false) {
      try {
        supervisor = await this.startSupervisor(tenant, applicationId, tree);
      } catch (error) {
        for (const kind of virtualKinds) this.system.undefineVirtual(kind);
        for (const m of deployedNow) runtime.undeploy(m);
        throw error;
      }
    }
    let pipelines: Deployed['pipelines'];
    if (supervisor !== undefined && manifest.pipelines.length > 0) {
      const scope = { tenant, namespace };
      const started: string[] = [];
      try {
        if (this.pipelines === undefined) throw new InvalidManifestError('pipeline', 'this registry runs no pipelines');
        for (const p of manifest.pipelines) {
          await this.pipelines.start({ name: p.name, stages: p.stages.map((stage) => ({ ...stage, module: moduleName(stage.module!) })) }, { scope, space: p.space });
          started.push(p.name);
        }
      } catch (error) {
        for (const name of started) await this.pipelines?.remove(scope, name).catch(() => undefined);
        await supervisor.stop().catch(() => undefined);
        for (const kind of virtualKinds) this.system.undefineVirtual(kind);
        for (const m of deployedNow) runtime.undeploy(m);
        throw error;
      }
      pipelines = { scope, names: started };
    }
    const bytes = manifest.modules.reduce((sum, file) => sum + files.get(file)!.byteLength, 0);
    const info: ApplicationInfo = {
      tenant,
      applicationId,
      name,
      version,
      kind: 'bundle',
      module: deployedNow[0] ?? '',
      modules: deployedNow,
      bytes,
      deployedAt: new Date().toISOString(),
      durable: manifest.durable,
      namespace,
      actors: supervisor === undefined ? [] : supervisor.childInfo().filter((c) => c.kind === 'worker').map((c) => c.ref),
      ...(supervisor === undefined ? { treeElsewhere: true } : {}),
    };
    this.apps.set(key(tenant, applicationId), { info, supervisor, virtualKinds, tree, pipelines, kept: options.keep !== false, source: { manifest: manifestText, files: new Map(manifest.modules.map((file) => [file, files.get(file)!] as const)) } });
    if (options.keep === false) {
      // What the next start restores is this node's own deploys; an older copy of its own would start the tree here again.
      if (this.dataDir !== null) rmSync(join(this.dataDir, 'apps', tenant, applicationId), { recursive: true, force: true });
      return info;
    }
    const stored: Record<string, Uint8Array | string> = { 'app-config.toml': manifestText };
    for (const file of manifest.modules) stored[file] = files.get(file)!;
    this.persist(info, stored);
    return info;
  }

  /**
   * Deploys what a previous run of the node kept; returns what came back and
   * what failed (and why). `trees: false` (a node of a cluster): bundles'
   * trees are not started yet — the cluster says which node runs each
   * (src/cluster/cluster-trees.ts), so a node back from a crash never runs
   * one a survivor took over.
   */
  async restore(options: { trees?: boolean } = {}): Promise<{ restored: string[]; failed: { app: string; error: string }[] }> {
    const restored: string[] = [];
    const failed: { app: string; error: string }[] = [];
    if (this.dataDir === null) return { restored, failed };
    const root = join(this.dataDir, 'apps');
    for (const tenant of safeList(root)) {
      for (const appId of safeList(join(root, tenant))) {
        const dir = join(root, tenant, appId);
        try {
          const info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8')) as ApplicationInfo;
          if (info.kind === 'bundle') {
            const manifestText = readFileSync(join(dir, 'app-config.toml'), 'utf8');
            const files = new Map(parseManifest(manifestText).modules.map((file) => [file, new Uint8Array(readFileSync(join(dir, file)))] as const));
            await this.deployBundle(tenant, info.namespace ?? 'default', appId, manifestText, files, { name: info.name, version: info.version }, { tree: options.trees !== false });
          } else {
            await this.deploy(tenant, appId, info.name, info.version, new Uint8Array(readFileSync(join(dir, 'module.wasm'))), { durable: info.durable, placement: info.placement });
          }
          restored.push(`${tenant}/${appId}`);
        } catch (error) {
          failed.push({ app: `${tenant}/${appId}`, error: (error as Error).message });
        }
      }
    }
    return { restored, failed };
  }

  /** By application id, or else by name (`actor_type` on the FaaS routes). */
  find(tenant: string, idOrName: string): ApplicationInfo | undefined {
    const byId = this.apps.get(key(tenant, idOrName));
    if (byId !== undefined) return byId.info;
    for (const { info } of this.apps.values()) if (info.tenant === tenant && info.name === idOrName) return info;
    return undefined;
  }

  get(tenant: string, idOrName: string): ApplicationInfo {
    const app = this.find(tenant, idOrName);
    if (app === undefined) throw new ModuleNotFoundError(`${tenant}/${idOrName}`);
    return app;
  }

  list(tenant: string): ApplicationInfo[] {
    return [...this.apps.values()].map((d) => d.info).filter((info) => info.tenant === tenant);
  }

  /** The supervision tree of a bundle. */
  supervisor(tenant: string, applicationId: string): Supervisor | undefined {
    return this.apps.get(key(tenant, applicationId))?.supervisor;
  }

  /** Stops a bundle's tree and forgets the application (and its kept copy). */
  async undeploy(tenant: string, applicationId: string): Promise<boolean> {
    const existed = await this.forget(tenant, applicationId, undefined);
    if (existed && this.dataDir !== null) rmSync(join(this.dataDir, 'apps', tenant, applicationId), { recursive: true, force: true });
    return existed;
  }

  /** Stops every bundle's tree (node shutdown); the kept copies stay for the next start. */
  async stopAll(): Promise<void> {
    for (const deployed of this.apps.values()) await deployed.supervisor?.stop().catch(() => undefined);
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** Validates a module under the tenant's per-actor memory and table caps, without deploying it. */
  private prepare(module: string, wasm: Uint8Array, world?: string): Promise<PreparedModule> {
    const limits = this.quotas?.limits;
    return this.system.runtime.prepare(module, wasm, { ...(limits === undefined ? {} : { maxMemoryMb: limits.memoryMbPerActor, maxTableElements: limits.tableElementsPerActor }), ...(world === undefined ? {} : { world }) });
  }

  /**
   * Runs a deploy of `adding` bytes if it keeps the tenant within
   * `moduleBytesPerTenant` (a redeploy replaces the id's old bytes). The
   * bytes stay reserved while it runs, so two concurrent deploys cannot
   * both pass a check only one of them fits.
   */
  private async withModuleBytes<T>(tenant: string, applicationId: string, adding: number, deploy: () => Promise<T>): Promise<T> {
    if (this.quotas === undefined) return deploy();
    const reservation = key(tenant, applicationId);
    let kept = 0;
    for (const info of this.list(tenant)) if (info.applicationId !== applicationId) kept += info.bytes;
    for (const [k, bytes] of this.deploying) if (k !== reservation && k.startsWith(`${tenant}:`)) kept += bytes;
    this.quotas.checkModuleBytes(tenant, kept, adding);
    this.deploying.set(reservation, Math.max(adding, this.deploying.get(reservation) ?? 0));
    try {
      return await deploy();
    } finally {
      this.deploying.delete(reservation);
    }
  }

  /** Stops and forgets a running deployment of the id, if any (a redeploy replaces it). */
  private async forget(tenant: string, applicationId: string, keepModule: string | undefined): Promise<boolean> {
    const deployed = this.apps.get(key(tenant, applicationId));
    if (deployed === undefined) return false;
    this.apps.delete(key(tenant, applicationId));
    this.system.httpClient.removePolicy(`${tenant}:${applicationId}:`);
    // Pipelines first: the tuples their stages hold go back to the space before the modules go.
    for (const name of deployed.pipelines?.names ?? []) await this.pipelines?.remove(deployed.pipelines!.scope, name).catch(() => undefined);
    await deployed.supervisor?.stop().catch(() => undefined);
    for (const kind of deployed.virtualKinds ?? []) this.system.undefineVirtual(kind);
    for (const module of deployed.info.modules) if (module !== keepModule && deployed.info.kind === 'bundle') this.system.runtime.undeploy(module);
    return true;
  }

  private defineVirtual(manifest: AppManifest, prefix: string, moduleName: (file: string) => string, facets: readonly FacetSpec[][]): string[] {
    const kinds: string[] = [];
    for (const [i, v] of manifest.virtual.entries()) {
      const kind = `${prefix}${v.kind}`;
      this.system.defineVirtual(kind, { module: moduleName(v.module), config: JSON.stringify(v.args), facets: facets[i] });
      kinds.push(kind);
    }
    return kinds;
  }

  private persist(info: ApplicationInfo, files: Record<string, Uint8Array | string>): void {
    if (this.dataDir === null) return;
    const dir = join(this.dataDir, 'apps', info.tenant, info.applicationId);
    const staging = `${dir}.staging`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const [file, content] of Object.entries(files)) writeFileSync(join(staging, file), content);
    writeFileSync(join(staging, 'info.json'), JSON.stringify(info, null, 2));
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  }
}

function key(tenant: string, applicationId: string): string {
  return `${tenant}:${applicationId}`;
}

function checkVersion(version: string): void {
  if (typeof version !== 'string' || version.length === 0 || version.length > 64) throw new InvalidArgumentError(`version must be 1–64 characters, got ${shown(version)}`);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.endsWith('.staging'))
      .map((d) => d.name);
  } catch {
    return [];
  }
}
