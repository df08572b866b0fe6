import { InvalidModuleError } from '../errors.js';
import { HostOp } from './core-abi.js';

/**
 * Capabilities and the worlds that grant them (wit/platform/*.wit).
 *
 * A WASM actor starts with nothing; what it may reach is its module's
 * world. A component's world is checked at deploy against the interfaces it
 * imports (`checkComponentWorld`) and only those interfaces are bound when
 * it is instantiated (component-actor.ts). Every host call is checked again
 * on the main thread against the caller's grants (`opAllowed`), so a core
 * module deployed for a narrow world — which calls `plex.call` by number
 * and has no imports to inspect — is held to it too.
 */
export const CAPABILITIES = [
  'messaging',
  'logging',
  'tuple-space',
  'channels',
  'durability',
  'workflow',
  'key-value',
  'blobs',
  'locks',
  'process-groups',
  'registry',
  'http-client',
  'cron',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** The package of the per-capability interfaces. */
export const PLATFORM_PACKAGE = 'plexspaces:platform';
export const PLATFORM_VERSION = '0.1.0';
/** The actor interface a platform-world component exports. */
export const PLATFORM_ACTOR_INTERFACE = `${PLATFORM_PACKAGE}/actor@${PLATFORM_VERSION}`;

/** The five worlds of the articles, narrowest first after the full one. */
export const PLATFORM_WORLDS = {
  'plexspaces-actor': CAPABILITIES,
  'simple-actor': ['messaging', 'logging'],
  'durable-actor': ['messaging', 'durability'],
  'coordination-actor': ['messaging', 'tuple-space'],
  'event-actor': ['messaging', 'channels'],
} as const satisfies Record<string, readonly Capability[]>;
export type PlatformWorld = keyof typeof PLATFORM_WORLDS;

/**
 * What the printed `plexspaces:simple-actor@0.1.0` worlds grant: its one
 * `host` interface carries messaging, logging, the tuple space, KV, locks,
 * blobs, groups and one-shot timers; `full-actor-world` adds the
 * coordination interface (channels, topics, repeating timers). Neither
 * reaches the capabilities that came later (durability, registry, HTTP,
 * cron): those need a platform world.
 */
const LEGACY_HOST: readonly Capability[] = ['messaging', 'logging', 'tuple-space', 'key-value', 'locks', 'blobs', 'process-groups', 'workflow'];
export const LEGACY_WORLDS = {
  'actor-world': LEGACY_HOST,
  'full-actor-world': [...LEGACY_HOST, 'channels'],
} as const satisfies Record<string, readonly Capability[]>;

/** The custom section in which a core module built by `plexspaces build` names its world (src/polyglot/native-worlds.ts). */
export const WORLD_SECTION = 'plexspaces:world';

/** A core module deployed without a world keeps the whole `plex.call` ABI it always had. */
export const CORE_ABI_WORLD = 'plexspaces:core@0.1.0';
const CORE_ABI: readonly Capability[] = CAPABILITIES;

/** Every world name a deploy or a manifest may give, short or qualified (`plexspaces:platform/simple-actor@0.1.0`). */
export type WorldName = PlatformWorld | keyof typeof LEGACY_WORLDS | typeof CORE_ABI_WORLD;

/** What a deployed module's actors may reach. */
export interface ModuleGrants {
  /** The world's short name (`simple-actor`, `actor-world`, `plexspaces:core@0.1.0`). */
  readonly world: WorldName;
  readonly capabilities: ReadonlySet<Capability>;
}

export const LEGACY_HOST_INTERFACE: string = 'plexspaces:simple-actor/host';
export const LEGACY_COORDINATION_INTERFACE: string = 'plexspaces:simple-actor/coordination';

/** `plexspaces:platform/key-value` (as jco lists imports, without the version) → `key-value`. */
export function capabilityOfInterface(name: string): Capability | undefined {
  const match = /^plexspaces:platform\/([a-z-]+)(@[\d.]+)?$/.exec(name);
  return match !== null && (CAPABILITIES as readonly string[]).includes(match[1]) ? (match[1] as Capability) : undefined;
}

/**
 * Resolves a world name as users write it: the short names above, the
 * qualified platform form, or the simple-actor package (`plexspaces:simple-actor@0.1.0`,
 * which means its worlds). Undefined when it names no world.
 */
export function resolveWorldName(name: string): WorldName | 'plexspaces:simple-actor@0.1.0' | undefined {
  if (name === 'plexspaces:simple-actor@0.1.0' || name === CORE_ABI_WORLD) return name;
  const qualified = /^plexspaces:platform\/([a-z-]+)(@0\.1\.0)?$/.exec(name);
  const short = qualified !== null ? qualified[1] : name;
  if (short in PLATFORM_WORLDS || short in LEGACY_WORLDS) return short as WorldName;
  return undefined;
}

/** Every name `resolveWorldName` accepts, for error messages. */
export const WORLD_NAMES: readonly string[] = [...Object.keys(PLATFORM_WORLDS), ...Object.keys(LEGACY_WORLDS), 'plexspaces:simple-actor@0.1.0', CORE_ABI_WORLD];

export function grantsOf(world: WorldName): ModuleGrants {
  const capabilities = world === CORE_ABI_WORLD ? CORE_ABI : world in PLATFORM_WORLDS ? PLATFORM_WORLDS[world as PlatformWorld] : LEGACY_WORLDS[world as keyof typeof LEGACY_WORLDS];
  return { world, capabilities: new Set(capabilities) };
}

/**
 * The world of a component, from the interfaces it imports (WASI aside),
 * checked against the one its deploy or manifest declares. A component
 * that imports the printed `host` interface is a simple-actor-package
 * component (`actor-world`, or `full-actor-world` with `coordination`);
 * one that imports platform interfaces gets the declared world, or the
 * narrowest of the five that covers them. Mixing the two packages, an
 * unknown interface, or an import outside the declared world is refused,
 * naming the interface.
 */
export function checkComponentWorld(name: string, imports: readonly string[], declared: string | undefined): ModuleGrants {
  const foreign = imports.filter((i) => !i.startsWith('wasi:'));
  const legacy = foreign.filter((i) => i === LEGACY_HOST_INTERFACE || i === LEGACY_COORDINATION_INTERFACE) as string[];
  const platform = foreign.filter((i) => capabilityOfInterface(i) !== undefined);
  const unknown = foreign.filter((i) => !legacy.includes(i) && !platform.includes(i));
  if (unknown.length > 0) throw new InvalidModuleError(`${name}: imports interfaces the host does not provide: ${unknown.join(', ')}`);
  if (legacy.length > 0 && platform.length > 0) {
    throw new InvalidModuleError(`${name}: imports both the simple-actor package (${legacy.join(', ')}) and platform interfaces (${platform.join(', ')}); a component targets one world`);
  }
  const resolved = declared === undefined ? undefined : resolveWorldName(declared);
  if (declared !== undefined && resolved === undefined) throw new InvalidModuleError(`${name}: unknown world ${JSON.stringify(declared)} (expected one of ${WORLD_NAMES.join(', ')})`);
  if (resolved === CORE_ABI_WORLD) throw new InvalidModuleError(`${name}: declared as ${CORE_ABI_WORLD}, but it is a component`);
  if (legacy.length > 0 || resolved === 'plexspaces:simple-actor@0.1.0' || (resolved !== undefined && resolved in LEGACY_WORLDS)) {
    const needs: keyof typeof LEGACY_WORLDS = legacy.includes(LEGACY_COORDINATION_INTERFACE) ? 'full-actor-world' : 'actor-world';
    if (resolved === 'actor-world' && needs === 'full-actor-world') throw new InvalidModuleError(`${name}: imports ${LEGACY_COORDINATION_INTERFACE}, which world actor-world does not include (it is in full-actor-world)`);
    if (resolved !== undefined && resolved in PLATFORM_WORLDS) {
      throw new InvalidModuleError(`${name}: imports ${legacy.join(', ')}, which world ${resolved} does not include (it imports ${describe(resolved as PlatformWorld)})`);
    }
    if (platform.length > 0) throw new InvalidModuleError(`${name}: declared as ${declared}, but imports ${platform.join(', ')}`);
    return grantsOf(resolved === 'full-actor-world' ? 'full-actor-world' : needs);
  }
  const used = new Set(platform.map((i) => capabilityOfInterface(i)!));
  if (resolved !== undefined) {
    const world = resolved as PlatformWorld;
    const allowed = new Set<Capability>(PLATFORM_WORLDS[world]);
    const outside = platform.filter((i) => !allowed.has(capabilityOfInterface(i)!));
    if (outside.length > 0) throw new InvalidModuleError(`${name}: imports ${outside.join(', ')}, which world ${world} does not include (it imports ${describe(world)})`);
    return grantsOf(world);
  }
  return grantsOf(narrowestWorld(used));
}

/** The narrowest of the five worlds whose imports cover `used` (plexspaces-actor covers everything). */
export function narrowestWorld(used: ReadonlySet<Capability>): PlatformWorld {
  let best: PlatformWorld = 'plexspaces-actor';
  for (const [world, capabilities] of Object.entries(PLATFORM_WORLDS) as [PlatformWorld, readonly Capability[]][]) {
    if ([...used].every((c) => capabilities.includes(c)) && capabilities.length < PLATFORM_WORLDS[best].length) best = world;
  }
  return best;
}

/** The grants of a core module: the whole ABI, or a declared platform world's part of it. */
export function coreModuleGrants(name: string, declared: string | undefined, importsLog: boolean): ModuleGrants {
  if (declared === undefined) return grantsOf(CORE_ABI_WORLD);
  const resolved = resolveWorldName(declared);
  if (resolved === undefined) throw new InvalidModuleError(`${name}: unknown world ${JSON.stringify(declared)} (expected one of ${WORLD_NAMES.join(', ')})`);
  if (resolved === CORE_ABI_WORLD) return grantsOf(CORE_ABI_WORLD);
  if (!(resolved in PLATFORM_WORLDS)) throw new InvalidModuleError(`${name}: declared as ${declared}, but it is a core module (a core module declares ${CORE_ABI_WORLD} or one of ${Object.keys(PLATFORM_WORLDS).join(', ')})`);
  const grants = grantsOf(resolved as PlatformWorld);
  if (importsLog && !grants.capabilities.has('logging')) throw new InvalidModuleError(`${name}: imports plex.log, but world ${resolved} does not include logging (it imports ${describe(resolved as PlatformWorld)})`);
  return grants;
}

function describe(world: PlatformWorld): string {
  return PLATFORM_WORLDS[world].join(' + ');
}

/**
 * The capability each host operation belongs to. Some belong to two: the
 * journaled clock is logging's `now-ms` and durability's; topics are
 * channels' (and process groups', whose topics they are).
 */
const OP_CAPABILITIES: Record<number, readonly Capability[]> = {
  [HostOp.Send]: ['messaging'],
  [HostOp.Ask]: ['messaging'],
  [HostOp.SelfId]: ['messaging'],
  [HostOp.Sender]: ['messaging'],
  [HostOp.Spawn]: ['messaging'],
  [HostOp.Stop]: ['messaging'],
  [HostOp.Link]: ['messaging'],
  [HostOp.Unlink]: ['messaging'],
  [HostOp.Monitor]: ['messaging'],
  [HostOp.Demonitor]: ['messaging'],
  [HostOp.NowMs]: ['logging', 'durability'],
  [HostOp.TsWrite]: ['tuple-space'],
  [HostOp.TsRead]: ['tuple-space'],
  [HostOp.TsTake]: ['tuple-space'],
  [HostOp.TsReadAll]: ['tuple-space'],
  [HostOp.TsTakeWait]: ['tuple-space'],
  [HostOp.TsEval]: ['tuple-space'],
  [HostOp.SendAfter]: ['workflow'],
  [HostOp.SendInterval]: ['workflow'],
  [HostOp.CancelTimer]: ['workflow'],
  [HostOp.PgJoin]: ['process-groups'],
  [HostOp.PgLeave]: ['process-groups'],
  [HostOp.PgBroadcast]: ['process-groups'],
  [HostOp.PgPublish]: ['process-groups'],
  [HostOp.PgMembers]: ['process-groups'],
  [HostOp.KvGet]: ['key-value'],
  [HostOp.KvPut]: ['key-value'],
  [HostOp.KvDelete]: ['key-value'],
  [HostOp.KvList]: ['key-value'],
  [HostOp.LockAcquire]: ['locks'],
  [HostOp.LockRelease]: ['locks'],
  [HostOp.BlobUpload]: ['blobs'],
  [HostOp.BlobDownload]: ['blobs'],
  [HostOp.ChannelSend]: ['channels'],
  [HostOp.ChannelReceive]: ['channels'],
  [HostOp.ChannelAck]: ['channels'],
  [HostOp.ChannelNack]: ['channels'],
  [HostOp.TopicSubscribe]: ['channels'],
  [HostOp.TopicUnsubscribe]: ['channels'],
  [HostOp.TopicPublish]: ['channels'],
  [HostOp.DurableCheckpoint]: ['durability'],
  [HostOp.DurableReplaying]: ['durability'],
  [HostOp.DurableSeq]: ['durability'],
  [HostOp.RegistryRegister]: ['registry'],
  [HostOp.RegistryUnregister]: ['registry'],
  [HostOp.RegistryLookup]: ['registry'],
  [HostOp.RegistryServices]: ['registry'],
  [HostOp.HttpRequest]: ['http-client'],
  [HostOp.CronSchedule]: ['cron'],
  [HostOp.CronCancel]: ['cron'],
  [HostOp.CronSchedules]: ['cron'],
};

/** The capabilities that allow `op` (undefined for an unknown op, which the services refuse on their own). */
export function capabilitiesOfOp(op: number): readonly Capability[] | undefined {
  return OP_CAPABILITIES[op];
}

/** Undefined when `grants` allow `op`; otherwise the refusal's text. */
export function refusalOf(op: number, grants: ModuleGrants, caller: string): string | undefined {
  const needs = OP_CAPABILITIES[op];
  if (needs === undefined || needs.some((c) => grants.capabilities.has(c))) return undefined;
  return `${JSON.stringify(caller)} runs in world ${grants.world}, which does not import ${needs.join(' or ')} (host operation ${op})`;
}
