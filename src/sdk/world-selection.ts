import { InvalidModuleError } from '../errors.js';
import { CAPABILITIES, LEGACY_WORLDS, narrowestWorld, PLATFORM_WORLDS, resolveWorldName, type Capability, type PlatformWorld } from '../runtime/capabilities.js';

/**
 * Which world `plexspaces build` targets for a TypeScript actor.
 *
 * The SDK's `host` object and `plexspaces/sdk/coordination` are written
 * against the printed world's interfaces; `plexspaces/sdk/platform`
 * against the platform's. The build reads the actor's own sources (not the
 * SDK's) for what it uses — the `host` members it names, what it imports
 * from `sdk/coordination` and `sdk/platform`, the WorkflowActor behaviour,
 * which sets timers — and picks the narrowest of the five worlds that
 * covers it. A name it finds by text is counted even when it is not a call
 * (a comment, a string): that can only widen the world, never leave out a
 * capability the actor calls. A member reached by a computed name
 * (`host[name]`) is invisible to it; such a call answers
 * `ERROR PLEX_ERR_FORBIDDEN` when its capability is outside the world, and
 * `--world` chooses a wider one.
 */

/** `host` members (sdk/actor.ts) whose names say which capability they use; messaging's are in every world. */
const HOST_MEMBERS: Readonly<Record<string, Capability>> = {
  tsWrite: 'tuple-space',
  tsRead: 'tuple-space',
  tsTake: 'tuple-space',
  tsReadAll: 'tuple-space',
  kvGet: 'key-value',
  kvPut: 'key-value',
  kvDelete: 'key-value',
  kvList: 'key-value',
  lockAcquire: 'locks',
  lockRelease: 'locks',
  blobUpload: 'blobs',
  blobDownload: 'blobs',
  pgJoin: 'process-groups',
  pgBroadcast: 'process-groups',
  sendAfter: 'workflow',
  nowMs: 'logging',
  WorkflowActor: 'workflow',
};

/** Exports of the SDK's capability modules. */
const MODULE_EXPORTS: Readonly<Record<string, Readonly<Record<string, Capability>>>> = {
  coordination: { channels: 'channels', groups: 'process-groups', timers: 'workflow', links: 'messaging', kv: 'key-value' },
  platform: { registry: 'registry', http: 'http-client', cron: 'cron', durability: 'durability', topics: 'channels', tuples: 'tuple-space' },
};

/** The capabilities an actor's own source files use. */
export function capabilitiesUsed(sources: readonly string[]): Set<Capability> {
  const used = new Set<Capability>(['messaging']);
  for (const text of sources) {
    for (const [name, capability] of Object.entries(HOST_MEMBERS)) if (new RegExp(`\\b${name}\\b`).test(text)) used.add(capability);
    // `host.log(…)` / `this.host.log(…)`, not console.log.
    if (/\bhost\s*\.\s*log\b/.test(text) || /\{[^}]*\blog\b[^}]*\}\s*=\s*(this\.)?host\b/.test(text)) used.add('logging');
    for (const [module, exports] of Object.entries(MODULE_EXPORTS)) {
      const pattern = new RegExp(`import\\s*(?:type\\s*)?\\{([^}]*)\\}\\s*from\\s*['"](?:@plexspaces|plexspaces)/sdk/${module}['"]`, 'g');
      for (const match of text.matchAll(pattern)) {
        for (const spec of match[1].split(',')) {
          const name = spec.trim().split(/\s+as\s+/)[0];
          if (name in exports) used.add(exports[name]);
        }
      }
      // A namespace import takes the whole module.
      if (new RegExp(`import\\s*\\*\\s*as\\s+\\w+\\s+from\\s*['"](?:@plexspaces|plexspaces)/sdk/${module}['"]`).test(text)) for (const c of Object.values(exports)) used.add(c);
    }
  }
  return used;
}

export type BuildWorld = { readonly kind: 'platform'; readonly world: PlatformWorld; readonly capabilities: ReadonlySet<Capability> } | { readonly kind: 'legacy'; readonly world: 'actor-world' | 'full-actor-world' };

/**
 * The world to build for: `requested` when given (checked to cover what the
 * actor uses), else the narrowest platform world that does. The printed
 * worlds (`actor-world`, `full-actor-world`) are there for components that
 * must also run on PlexSpaces elsewhere; they cannot reach the platform's
 * own capabilities.
 */
export function chooseWorld(entry: string, used: ReadonlySet<Capability>, requested: string | undefined, usesPlatformModule: boolean): BuildWorld {
  if (requested === undefined || requested === 'auto') {
    const world = narrowestWorld(used);
    return { kind: 'platform', world, capabilities: new Set(PLATFORM_WORLDS[world]) };
  }
  const resolved = resolveWorldName(requested);
  if (resolved === undefined || resolved === 'plexspaces:core@0.1.0') throw new InvalidModuleError(`${entry}: unknown world ${JSON.stringify(requested)} (expected auto, ${Object.keys(PLATFORM_WORLDS).join(', ')}, actor-world or full-actor-world)`);
  if (resolved === 'plexspaces:simple-actor@0.1.0' || resolved in LEGACY_WORLDS) {
    if (usesPlatformModule) throw new InvalidModuleError(`${entry}: imports plexspaces/sdk/platform, which the simple-actor package's worlds do not have; build for a platform world`);
    const world = resolved === 'full-actor-world' || used.has('channels') ? 'full-actor-world' : 'actor-world';
    if (resolved === 'actor-world' && world === 'full-actor-world') throw new InvalidModuleError(`${entry}: uses plexspaces/sdk/coordination, which world actor-world does not include (build for full-actor-world)`);
    const covered = new Set<Capability>(LEGACY_WORLDS[world]);
    const missing = [...used].filter((c) => !covered.has(c));
    if (missing.length > 0) throw new InvalidModuleError(`${entry}: uses ${missing.join(', ')}, which world ${world} does not include`);
    return { kind: 'legacy', world };
  }
  const world = resolved as PlatformWorld;
  const capabilities = new Set<Capability>(PLATFORM_WORLDS[world]);
  const missing = [...used].filter((c) => !capabilities.has(c));
  if (missing.length > 0) throw new InvalidModuleError(`${entry}: uses ${missing.join(', ')}, which world ${world} does not import (it imports ${PLATFORM_WORLDS[world].join(' + ')}; the narrowest that covers the actor is ${narrowestWorld(used)})`);
  return { kind: 'platform', world, capabilities };
}

/**
 * The module the SDK's `plexspaces:simple-actor/host` and `/coordination`
 * imports resolve to in a platform build: each function forwards to the
 * platform interface of its capability when the world imports it, and
 * otherwise answers the refusal a host call outside the world gets.
 */
export function shimModule(which: 'host' | 'coordination', world: PlatformWorld, capabilities: ReadonlySet<Capability>): string {
  const lines: string[] = [];
  const ns = (c: Capability) => `cap_${c.replace(/-/g, '_')}`;
  for (const c of CAPABILITIES) if (capabilities.has(c)) lines.push(`import * as ${ns(c)} from 'plexspaces:platform/${c}@0.1.0';`);
  const refuse = (c: Capability) => `() => ${JSON.stringify(`ERROR PLEX_ERR_FORBIDDEN: this actor was built for world ${world}, which does not import ${c}`)}`;
  const forward = (name: string, c: Capability, body: string, fallback?: string) =>
    lines.push(`export const ${name} = ${capabilities.has(c) ? body.replace(/\$/g, ns(c)) : (fallback ?? refuse(c))};`);
  if (which === 'host') {
    for (const f of ['send', 'ask', 'spawn', 'stop', 'selfId', 'link', 'monitor']) forward(f, 'messaging', `$.${f}`);
    forward('sendAfter', 'workflow', '$.startTimer');
    forward('pgJoin', 'process-groups', "(group) => $.join(group, '[]')");
    forward('pgBroadcast', 'process-groups', '$.broadcast');
    forward('kvGet', 'key-value', '$.get');
    forward('kvPut', 'key-value', '$.put');
    forward('kvDelete', 'key-value', '$.remove');
    forward('kvList', 'key-value', '$.keys');
    forward('tsWrite', 'tuple-space', '$.write');
    forward('tsRead', 'tuple-space', '$.read');
    forward('tsTake', 'tuple-space', '$.take');
    forward('tsReadAll', 'tuple-space', '$.readAll');
    forward('lockAcquire', 'locks', '(_tenant, _namespace, holder, name, lease, timeout) => $.acquire(name, holder, lease, timeout)');
    forward('lockRelease', 'locks', '(lockId, _tenant, _namespace, holder, version) => $.release(lockId, holder, version)');
    forward('blobUpload', 'blobs', '$.upload');
    forward('blobDownload', 'blobs', '$.download');
    // Without logging a log line goes nowhere, and the clock is the journal's when the world has durability.
    forward('log', 'logging', '$.log', '() => undefined');
    if (capabilities.has('logging')) forward('nowMs', 'logging', '$.nowMs');
    else if (capabilities.has('durability')) forward('nowMs', 'durability', '$.nowMs');
    else lines.push(`export const nowMs = () => { throw new Error(${JSON.stringify(`this actor was built for world ${world}, which has no clock (logging or durability)`)}); };`);
  } else {
    forward('channelSend', 'channels', '$.send');
    forward('channelReceive', 'channels', '$.receive');
    forward('channelAck', 'channels', '$.ack');
    forward('channelNack', 'channels', '$.nack');
    forward('pgJoinTopics', 'process-groups', '$.join');
    forward('pgPublish', 'process-groups', '$.publish');
    forward('pgLeave', 'process-groups', '$.leave');
    forward('pgMembers', 'process-groups', '$.members');
    forward('sendInterval', 'workflow', '$.startInterval');
    forward('cancelTimer', 'workflow', '$.cancelTimer');
    forward('unlink', 'messaging', '$.unlink');
    forward('demonitor', 'messaging', '$.demonitor');
    forward('kvPutTtl', 'key-value', '$.putTtl');
  }
  return `${lines.join('\n')}\n`;
}

/** The functions of each platform interface as the JS bindings name them (wit/platform/*.wit, camelCase). */
const PLATFORM_FUNCTIONS: Readonly<Record<Capability, readonly string[]>> = {
  messaging: ['send', 'ask', 'spawn', 'stop', 'selfId', 'link', 'unlink', 'monitor', 'demonitor'],
  logging: ['log', 'nowMs'],
  'tuple-space': ['write', 'read', 'take', 'readAll', 'takeWait', 'evalTuple'],
  channels: ['send', 'receive', 'ack', 'nack', 'subscribe', 'unsubscribe', 'publish'],
  durability: ['checkpoint', 'isReplaying', 'messageSeq', 'nowMs'],
  workflow: ['signal', 'query', 'startTimer', 'startInterval', 'cancelTimer'],
  'key-value': ['get', 'put', 'putTtl', 'remove', 'keys'],
  blobs: ['upload', 'download'],
  locks: ['acquire', 'release'],
  'process-groups': ['join', 'leave', 'broadcast', 'publish', 'members'],
  registry: ['register', 'unregister', 'lookup', 'services'],
  'http-client': ['request'],
  cron: ['schedule', 'cancel', 'schedules'],
};

/**
 * What an import of a platform interface outside the world resolves to in
 * the bundle (the SDK's `sdk/platform` imports all of its interfaces; the
 * component must not): functions that answer the refusal.
 */
export function refusedInterfaceModule(capability: Capability, world: PlatformWorld): string {
  const refusal = JSON.stringify(`ERROR PLEX_ERR_FORBIDDEN: this actor was built for world ${world}, which does not import ${capability}`);
  return PLATFORM_FUNCTIONS[capability]
    .map((f) => {
      if (f === 'isReplaying') return 'export const isReplaying = () => false;';
      if (f === 'messageSeq') return 'export const messageSeq = () => 0;';
      if (f === 'nowMs') return `export const nowMs = () => { throw new Error(${refusal}); };`;
      if (f === 'log') return 'export const log = () => undefined;';
      return `export const ${f} = () => ${refusal};`;
    })
    .join('\n');
}
