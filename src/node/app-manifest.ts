import { parse } from 'smol-toml';
import { InvalidManifestError, shown } from '../errors.js';
import type { FacetSpec } from '../actors/facet.js';
import { originOf, type HttpClientPolicy } from '../coord/http-client.js';
import { resolveWorldName, WORLD_NAMES } from '../runtime/capabilities.js';
import type { ChildSpec, RestartPolicy, SupervisionStrategy, SupervisorSpec } from '../actors/supervisor.js';
import { readPipelines, type ManifestPipeline } from './manifest-pipelines.js';

/**
 * An application manifest (`app-config.toml`): the supervision tree of a
 * bundle, in the seed's format, plus what PlexSpaces for TypeScript adds.
 *
 * ```toml
 * [application]                 # optional
 * name = "bank"
 * version = "1.0.0"
 * durable = true                # default: every actor below is durable unless it says otherwise
 *
 * [supervisor]
 * strategy = "one_for_one"      # one_for_all, rest_for_one
 * max_restarts = 10
 * max_restart_window_seconds = 60
 *
 * [[supervisor.children]]
 * id = "account"
 * type = "worker"               # or "supervisor", with its own strategy and children
 * module = "bank_account.wasm"  # a file of the bundle; default "<id>.wasm"
 * world = "simple-actor"        # optional: a platform world (plexspaces-actor, simple-actor,
 *                               #   durable-actor, coordination-actor, event-actor), the printed
 *                               #   "plexspaces:simple-actor@0.1.0", or "plexspaces:core@0.1.0";
 *                               #   the module may reach nothing outside it (docs/actors.md)
 * restart = "permanent"         # transient, temporary
 * shutdown_timeout_seconds = 10
 * durable = true                # = facets ["durability"]; default: [application] durable
 * checkpoint_every = 50
 * facets = ["metrics"]
 * [supervisor.children.args]    # the actor's init config, as a JSON object
 * owner = "ada"
 *
 * [http_client]                 # outbound HTTP for the application's actors (http-client interface)
 * allow = ["https://api.example.com", "http://127.0.0.1:8080"]   # origins; nothing else is reachable
 * timeout_ms = 10000
 * max_response_bytes = 1048576
 *
 * [[virtual]]                   # Orleans-style actors: "<kind>:<key>" ids activate on demand
 * kind = "cart"
 * module = "cart.wasm"
 * idle_timeout_seconds = 300
 * durable = false
 *
 * [[pipeline]]                  # dataflow pipelines (manifest-pipelines.ts, docs/pipelines.md)
 * name = "words"
 * [[pipeline.stage]]
 * name = "split"
 * module = "split.wasm"
 * input = '["line", null, null]'
 * ```
 *
 * Durability (journal + checkpoints, src/actors/facets/durability-facet.ts)
 * is the default, as the articles promise that state survives a restart:
 * an actor whose module cannot snapshot its state (a core module without
 * `plex_get_state` / `plex_set_state`) runs without it unless it asks for it
 * explicitly, which is then a deploy error (see `durabilityFacets`).
 */
export interface AppManifest {
  readonly name?: string;
  readonly version?: string;
  /** `[application] durable`: whether actors are durable when they do not say (default true). */
  readonly durable: boolean;
  readonly supervisor: ManifestSupervisor;
  readonly virtual: readonly ManifestVirtual[];
  /** Every module file the manifest refers to. */
  readonly modules: readonly string[];
  /** The world declared for each module file that has one. */
  readonly worlds: ReadonlyMap<string, ModuleWorld>;
  /** `[http_client]`: the origins the application's actors may call; none when absent. */
  readonly httpClient?: HttpClientPolicy;
  /** `[[pipeline]]`: dataflow pipelines started with the application. */
  readonly pipelines: readonly ManifestPipeline[];
}

/** A world name as the manifest gives it (capabilities.ts, `WORLD_NAMES`): checked against the module at deploy. */
export type ModuleWorld = string;

export interface ManifestWorker {
  readonly id: string;
  readonly module: string;
  /** The world the module declares it implements; checked at deploy when given. */
  readonly world?: ModuleWorld;
  readonly restart: RestartPolicy;
  readonly shutdownTimeoutMs: number;
  /** Facets other than durability (see `durabilityFacets`). */
  readonly facets: readonly FacetSpec[];
  readonly durability: DurabilityRequest;
  readonly args: Record<string, unknown>;
}

/** What an entry says about durability: `durable` / the `durability` facet, or nothing (the application's default). */
export interface DurabilityRequest {
  readonly durable?: boolean;
  readonly checkpointEvery?: number;
}

export interface ManifestSupervisor {
  readonly strategy: SupervisionStrategy;
  readonly maxRestarts: number;
  readonly maxRestartWindowMs: number;
  readonly children: readonly (ManifestWorker | ({ readonly id: string; readonly restart: RestartPolicy } & { readonly supervisor: ManifestSupervisor }))[];
}

export interface ManifestVirtual {
  readonly kind: string;
  readonly module: string;
  readonly world?: ModuleWorld;
  readonly idleTimeoutMs: number;
  /** Facets other than durability and virtual. */
  readonly facets: readonly FacetSpec[];
  readonly durability: DurabilityRequest;
  readonly args: Record<string, unknown>;
}

const STRATEGIES = ['one_for_one', 'one_for_all', 'rest_for_one'];
const RESTARTS = ['permanent', 'transient', 'temporary'];
const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const MODULE_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\.wasm$/;

/** Parses and validates a manifest; every problem is an `InvalidManifestError` naming the entry. */
export function parseManifest(text: string): AppManifest {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new InvalidManifestError('(toml)', (cause as Error).message);
  }
  for (const key of Object.keys(doc)) if (!['application', 'supervisor', 'virtual', 'http_client', 'pipeline'].includes(key)) throw new InvalidManifestError(key, 'unknown section (expected application, supervisor, virtual, http_client, pipeline)');
  const app = (doc.application ?? {}) as Record<string, unknown>;
  const modules = new Set<string>();
  const ids = new Set<string>();
  const worlds = new Map<string, ModuleWorld>();
  // An application of pipelines alone needs no tree of its own.
  if (doc.supervisor === undefined && doc.pipeline === undefined) throw new InvalidManifestError('supervisor', 'a manifest needs a [supervisor] section (or a [[pipeline]])');
  const supervisor = readSupervisor(doc.supervisor ?? {}, 'supervisor', modules, ids, worlds);
  const pipelines = doc.pipeline === undefined ? [] : readPipelines(doc.pipeline, modules);
  const virtual = asArray(doc.virtual ?? [], 'virtual').map((entry, i) => readVirtual(entry, `virtual[${i}]`, modules, worlds));
  allowKeys(asTable(app, 'application'), 'application', ['name', 'version', 'durable']);
  const durable = app.durable ?? true;
  if (typeof durable !== 'boolean') throw new InvalidManifestError('application.durable', `must be true or false, got ${shown(durable)}`);
  return {
    name: optionalString(app.name, 'application.name'),
    version: optionalString(app.version, 'application.version'),
    durable,
    supervisor,
    virtual,
    modules: [...modules],
    worlds,
    pipelines,
    ...(doc.http_client === undefined ? {} : { httpClient: readHttpClient(doc.http_client) }),
  };
}

function readHttpClient(value: unknown): HttpClientPolicy {
  const table = asTable(value, 'http_client');
  allowKeys(table, 'http_client', ['allow', 'timeout_ms', 'max_timeout_ms', 'max_response_bytes', 'max_request_bytes']);
  const allow = asArray(table.allow ?? [], 'http_client.allow').map((origin, i) => {
    if (typeof origin !== 'string') throw new InvalidManifestError(`http_client.allow[${i}]`, `must be an origin such as "https://api.example.com", got ${shown(origin)}`);
    try {
      originOf(origin, `http_client.allow[${i}]`);
    } catch (error) {
      throw new InvalidManifestError(`http_client.allow[${i}]`, (error as Error).message);
    }
    return origin;
  });
  const number = (key: string): number | undefined => {
    const v = table[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new InvalidManifestError(`http_client.${key}`, `must be a positive integer, got ${shown(v)}`);
    return v;
  };
  return { allow, timeoutMs: number('timeout_ms'), maxTimeoutMs: number('max_timeout_ms'), maxResponseBytes: number('max_response_bytes'), maxRequestBytes: number('max_request_bytes') };
}

/**
 * The runtime's `SupervisorSpec` for a manifest tree, with module files
 * mapped to deployed module names and each worker's facets completed by
 * `facetsOf` (durability, which depends on the deployed module).
 */
export function supervisorSpec(tree: ManifestSupervisor, moduleName: (file: string) => string, facetsOf: (worker: ManifestWorker) => FacetSpec[] = (w) => [...w.facets]): SupervisorSpec {
  return {
    strategy: tree.strategy,
    maxRestarts: tree.maxRestarts,
    maxRestartWindowMs: tree.maxRestartWindowMs,
    children: tree.children.map((child): ChildSpec => {
      if ('supervisor' in child) return { id: child.id, restart: child.restart, supervisor: supervisorSpec(child.supervisor, moduleName, facetsOf) };
      return { id: child.id, module: moduleName(child.module), restart: child.restart, shutdownTimeoutMs: child.shutdownTimeoutMs, facets: facetsOf(child), config: JSON.stringify(child.args) };
    }),
  };
}

/**
 * The durability facet an actor gets, if any: what it asked for, else the
 * application's default. A module that cannot snapshot its state gets none
 * by default; asking for it explicitly is an error (`where` names the entry),
 * since its state could never be checkpointed.
 */
export function durabilityFacets(request: DurabilityRequest, applicationDefault: boolean, canSnapshot: boolean, where: string): FacetSpec[] {
  const wanted = request.durable ?? applicationDefault;
  if (!wanted) return [];
  if (!canSnapshot) {
    if (request.durable === true) throw new InvalidManifestError(where, 'durable = true needs a module that snapshots its state (a component, or a core module exporting plex_get_state and plex_set_state)');
    return [];
  }
  return [request.checkpointEvery === undefined ? 'durability' : { name: 'durability', checkpointEvery: request.checkpointEvery }];
}

function readSupervisor(value: unknown, path: string, modules: Set<string>, ids: Set<string>, worlds: Map<string, ModuleWorld>): ManifestSupervisor {
  const table = asTable(value, path);
  allowKeys(table, path, ['strategy', 'max_restarts', 'max_restart_window_seconds', 'children', 'id', 'type', 'restart']);
  const strategy = table.strategy ?? 'one_for_one';
  if (typeof strategy !== 'string' || !STRATEGIES.includes(strategy)) throw new InvalidManifestError(`${path}.strategy`, `must be one of ${STRATEGIES.join(', ')}, got ${shown(strategy)}`);
  const maxRestarts = integer(table.max_restarts ?? 3, `${path}.max_restarts`, 0);
  const window = number(table.max_restart_window_seconds ?? 5, `${path}.max_restart_window_seconds`);
  const children = asArray(table.children ?? [], `${path}.children`).map((entry, i) => {
    const at = `${path}.children[${i}]`;
    const child = asTable(entry, at);
    const id = child.id;
    if (typeof id !== 'string' || !ID.test(id)) throw new InvalidManifestError(`${at}.id`, `must be 1–64 of A–Z a–z 0–9 _ . - , got ${shown(id)}`);
    if (ids.has(id)) throw new InvalidManifestError(`${at}.id`, `${shown(id)} is used twice`);
    ids.add(id);
    const restart = child.restart ?? 'permanent';
    if (typeof restart !== 'string' || !RESTARTS.includes(restart)) throw new InvalidManifestError(`${at}.restart`, `must be one of ${RESTARTS.join(', ')}, got ${shown(restart)}`);
    const type = child.type ?? 'worker';
    if (type === 'supervisor') return { id, restart: restart as RestartPolicy, supervisor: readSupervisor(child, at, modules, ids, worlds) };
    if (type !== 'worker') throw new InvalidManifestError(`${at}.type`, `must be worker or supervisor, got ${shown(type)}`);
    allowKeys(child, at, ['id', 'type', 'module', 'world', 'restart', 'shutdown_timeout_seconds', 'durable', 'checkpoint_every', 'facets', 'args']);
    const module = moduleFile(child.module ?? `${id}.wasm`, `${at}.module`, modules);
    return {
      id,
      module,
      world: declaredWorld(child.world, `${at}.world`, module, worlds),
      restart: restart as RestartPolicy,
      shutdownTimeoutMs: number(child.shutdown_timeout_seconds ?? 5, `${at}.shutdown_timeout_seconds`) * 1000,
      ...facets(child, at),
      args: child.args === undefined ? {} : asTable(child.args, `${at}.args`),
    };
  });
  return { strategy: strategy as SupervisionStrategy, maxRestarts, maxRestartWindowMs: window * 1000, children };
}

function readVirtual(value: unknown, path: string, modules: Set<string>, worlds: Map<string, ModuleWorld>): ManifestVirtual {
  const table = asTable(value, path);
  allowKeys(table, path, ['kind', 'module', 'world', 'idle_timeout_seconds', 'durable', 'checkpoint_every', 'facets', 'args']);
  const kind = table.kind;
  if (typeof kind !== 'string' || !ID.test(kind)) throw new InvalidManifestError(`${path}.kind`, `must be 1–64 of A–Z a–z 0–9 _ . - , got ${shown(kind)}`);
  const module = moduleFile(table.module ?? `${kind}.wasm`, `${path}.module`, modules);
  return {
    kind,
    module,
    world: declaredWorld(table.world, `${path}.world`, module, worlds),
    idleTimeoutMs: number(table.idle_timeout_seconds ?? 300, `${path}.idle_timeout_seconds`) * 1000,
    ...facets(table, path),
    args: table.args === undefined ? {} : asTable(table.args, `${path}.args`),
  };
}

function declaredWorld(value: unknown, path: string, module: string, worlds: Map<string, ModuleWorld>): ModuleWorld | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || resolveWorldName(value) === undefined) throw new InvalidManifestError(path, `must be one of ${WORLD_NAMES.join(', ')}, got ${shown(value)}`);
  const before = worlds.get(module);
  if (before !== undefined && before !== value) throw new InvalidManifestError(path, `${module} is declared as ${before} elsewhere`);
  worlds.set(module, value as ModuleWorld);
  return value as ModuleWorld;
}

function facets(table: Record<string, unknown>, path: string): { facets: FacetSpec[]; durability: DurabilityRequest } {
  const names = asArray(table.facets ?? [], `${path}.facets`).map((f, i) => {
    if (typeof f !== 'string') throw new InvalidManifestError(`${path}.facets[${i}]`, 'must be a facet name');
    return f;
  });
  const durable = table.durable;
  if (durable !== undefined && typeof durable !== 'boolean') throw new InvalidManifestError(`${path}.durable`, `must be true or false, got ${shown(durable)}`);
  if (durable === false && names.includes('durability')) throw new InvalidManifestError(`${path}.durable`, 'is false, but facets lists "durability"');
  const checkpointEvery = table.checkpoint_every === undefined ? undefined : integer(table.checkpoint_every, `${path}.checkpoint_every`, 1);
  return {
    facets: names.filter((n) => n !== 'durability'),
    durability: { durable: durable ?? (names.includes('durability') ? true : undefined), checkpointEvery },
  };
}

export function moduleFile(value: unknown, path: string, modules: Set<string>): string {
  if (typeof value !== 'string' || !MODULE_FILE.test(value)) throw new InvalidManifestError(path, `must be a .wasm file name of the bundle (no directories), got ${shown(value)}`);
  modules.add(value);
  return value;
}

export function asTable(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidManifestError(path, 'must be a table');
  return value as Record<string, unknown>;
}

export function asArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new InvalidManifestError(path, 'must be an array');
  return value;
}

export function allowKeys(table: Record<string, unknown>, path: string, allowed: string[]): void {
  for (const key of Object.keys(table)) if (!allowed.includes(key)) throw new InvalidManifestError(`${path}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
}

export function integer(value: unknown, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new InvalidManifestError(path, `must be an integer ≥ ${min}, got ${shown(value)}`);
  return value;
}

function number(value: unknown, path: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new InvalidManifestError(path, `must be a positive number, got ${shown(value)}`);
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new InvalidManifestError(path, 'must be a string of 1–64 characters');
  return value;
}
