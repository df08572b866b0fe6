import { ErrorCode } from '../errors.js';
import { PLATFORM_PACKAGE, type Capability, type ModuleGrants } from './capabilities.js';
import { HostOp } from './core-abi.js';
import type { ComponentServices } from './component-actor.js';
import { utf8 } from './protocol.js';

/** What the host functions of one component actor close over. */
export interface ImportContext {
  readonly id: string;
  /** A host call served by the main thread: its result, or `ERROR…` text. */
  readonly viaMain: (op: number, text: string) => string;
  readonly services: ComponentServices;
  /** A journaled (durable) actor's sends and clock go through the main thread, which records them and serves them again on replay. */
  readonly journaled: boolean;
}

/**
 * The host interfaces a component's world imports, keyed as jco's glue
 * asks for them (with and without the `@version` suffix). Every function
 * maps to a `plex.call` operation (core-abi.ts) served on the main thread,
 * where the caller's grants are checked again (capabilities.ts) — the
 * binding here is what keeps a component from even linking an interface
 * outside its world.
 */
export function worldImports(grants: ModuleGrants, context: ImportContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const bind = (name: string, impl: unknown) => {
    out[name] = impl;
    out[`${name}@0.1.0`] = impl;
  };
  if (grants.world === 'actor-world' || grants.world === 'full-actor-world') {
    bind('plexspaces:simple-actor/host', legacyHost(context));
    if (grants.world === 'full-actor-world') bind('plexspaces:simple-actor/coordination', legacyCoordination(context));
    return out;
  }
  const platform = platformInterfaces(context);
  for (const capability of grants.capabilities) bind(`${PLATFORM_PACKAGE}/${capability}`, platform[capability]);
  return out;
}

function send({ id, viaMain, services, journaled }: ImportContext, to: string, type: string, payload: string): string {
  if (journaled) {
    const result = viaMain(HostOp.Send, `${to}\n${type}\n${payload}`);
    return result.startsWith('ERROR') ? result : 'ok';
  }
  return services.send(id, to, type, utf8.encode(payload)) < 0
    ? `ERROR ${ErrorCode.Forbidden}: ${JSON.stringify(id)} cannot send to ${JSON.stringify(to)} (another tenant's actor, or an invalid id)`
    : 'ok';
}

/** The messaging functions, shared by the printed `host` interface and the platform's `messaging`. */
function messaging(context: ImportContext) {
  const { id, viaMain } = context;
  return {
    send: (to: string, type: string, payload: string) => send(context, to, type, payload),
    ask: (to: string, type: string, payload: string, timeoutMs: bigint) => viaMain(HostOp.Ask, `${to}\n${type}\n${timeoutMs}\n${payload}`),
    spawn: (moduleRef: string, actorId: string, initConfig: string) => viaMain(HostOp.Spawn, `${moduleRef}\n${actorId}\n${initConfig}`),
    stop: (actorId: string) => stop(viaMain, actorId),
    selfId: () => id,
    link: (actorId: string) => viaMain(HostOp.Link, actorId),
    unlink: (actorId: string) => viaMain(HostOp.Unlink, actorId),
    monitor: (actorId: string) => viaMain(HostOp.Monitor, actorId),
    demonitor: (ref: string) => viaMain(HostOp.Demonitor, ref),
  };
}

function nowMs({ viaMain, journaled }: ImportContext): bigint {
  return journaled ? BigInt(viaMain(HostOp.NowMs, '')) : BigInt(Date.now());
}

function log({ id, services }: ImportContext, level: string, message: string): void {
  services.log(id, level === 'error' ? 3 : level === 'warn' ? 2 : 1, message);
}

function stop(viaMain: ImportContext['viaMain'], actorId: string): string {
  const result = viaMain(HostOp.Stop, actorId);
  return result === '' ? 'ok' : result;
}

/** The printed world's one `host` interface (wit/simple-actor.wit). */
function legacyHost(context: ImportContext) {
  const { viaMain } = context;
  const { send, ask, spawn, stop, selfId, link, monitor } = messaging(context);
  return {
    send,
    ask,
    spawn,
    stop,
    selfId,
    link,
    monitor,
    sendAfter: (delayMs: bigint, type: string, payload: string) => viaMain(HostOp.SendAfter, `${delayMs}\n${type}\n${payload}`),
    pgJoin: (group: string) => viaMain(HostOp.PgJoin, group),
    pgBroadcast: (group: string, type: string, payload: string) => viaMain(HostOp.PgBroadcast, `${group}\n${type}\n${payload}`),
    kvGet: (key: string) => viaMain(HostOp.KvGet, key),
    kvPut: (key: string, value: string) => viaMain(HostOp.KvPut, `${key}\n\n${value}`),
    kvDelete: (key: string) => viaMain(HostOp.KvDelete, key),
    kvList: (prefix: string) => viaMain(HostOp.KvList, prefix),
    tsWrite: (tuple: string) => viaMain(HostOp.TsWrite, tuple),
    tsRead: (pattern: string) => viaMain(HostOp.TsRead, pattern),
    tsTake: (pattern: string) => viaMain(HostOp.TsTake, pattern),
    tsReadAll: (pattern: string) => viaMain(HostOp.TsReadAll, pattern),
    lockAcquire: (tenant: string, namespace: string, holder: string, name: string, leaseSecs: number, timeoutMs: bigint) =>
      viaMain(HostOp.LockAcquire, `${tenant}\n${namespace}\n${holder}\n${name}\n${leaseSecs}\n${timeoutMs}`),
    lockRelease: (lockId: string, tenant: string, namespace: string, holder: string, version: string) =>
      viaMain(HostOp.LockRelease, `${lockId}\n${tenant}\n${namespace}\n${holder}\n${version}`),
    blobUpload: (blobId: string, data: string, contentType: string) => viaMain(HostOp.BlobUpload, `${blobId}\n${contentType}\n${data}`),
    blobDownload: (blobId: string) => viaMain(HostOp.BlobDownload, blobId),
    log: (level: string, message: string) => log(context, level, message),
    nowMs: () => nowMs(context),
  };
}

/** The simple-actor package's `coordination` interface (wit/coordination.wit). */
function legacyCoordination({ viaMain }: ImportContext) {
  return {
    channelSend: (channel: string, message: string, timeoutMs: bigint) => viaMain(HostOp.ChannelSend, `${channel}\n${timeoutMs}\n${message}`),
    channelReceive: (channel: string, timeoutMs: bigint) => viaMain(HostOp.ChannelReceive, `${channel}\n${timeoutMs}`),
    channelAck: (channel: string, id: bigint) => viaMain(HostOp.ChannelAck, `${channel}\n${id}`),
    channelNack: (channel: string, id: bigint, requeue: boolean) => viaMain(HostOp.ChannelNack, `${channel}\n${id}\n${requeue ? 1 : 0}`),
    pgJoinTopics: (group: string, topicsJson: string) => viaMain(HostOp.PgJoin, `${group}\n${topicsOf(topicsJson)}`),
    pgPublish: (group: string, topic: string, type: string, payload: string) => viaMain(HostOp.PgPublish, `${group}\n${topic}\n${type}\n${payload}`),
    pgLeave: (group: string) => viaMain(HostOp.PgLeave, group),
    pgMembers: (group: string) => viaMain(HostOp.PgMembers, group),
    sendInterval: (everyMs: bigint, type: string, payload: string) => viaMain(HostOp.SendInterval, `${everyMs}\n${type}\n${payload}`),
    cancelTimer: (timerId: string) => viaMain(HostOp.CancelTimer, timerId),
    unlink: (actorId: string) => viaMain(HostOp.Unlink, actorId),
    demonitor: (ref: string) => viaMain(HostOp.Demonitor, ref),
    kvPutTtl: (key: string, value: string, ttlMs: bigint) => viaMain(HostOp.KvPut, `${key}\n${ttlMs}\n${value}`),
  };
}

/** The thirteen interfaces of wit/platform, by capability. */
function platformInterfaces(context: ImportContext): Record<Capability, Record<string, unknown>> {
  const { viaMain } = context;
  return {
    messaging: messaging(context),
    logging: {
      log: (level: string, message: string) => log(context, level, message),
      nowMs: () => nowMs(context),
    },
    'tuple-space': {
      write: (tuple: string) => viaMain(HostOp.TsWrite, tuple),
      read: (template: string) => viaMain(HostOp.TsRead, template),
      take: (template: string) => viaMain(HostOp.TsTake, template),
      readAll: (template: string) => viaMain(HostOp.TsReadAll, template),
      takeWait: (template: string, timeoutMs: bigint) => viaMain(HostOp.TsTakeWait, `${template}\n${timeoutMs}`),
      evalTuple: (tuple: string, onError: string, timeoutMs: bigint) => viaMain(HostOp.TsEval, `${onError}\n${timeoutMs}\n${tuple}`),
    },
    channels: {
      send: (channel: string, message: string, timeoutMs: bigint) => viaMain(HostOp.ChannelSend, `${channel}\n${timeoutMs}\n${message}`),
      receive: (channel: string, timeoutMs: bigint) => viaMain(HostOp.ChannelReceive, `${channel}\n${timeoutMs}`),
      ack: (channel: string, deliveryId: bigint) => viaMain(HostOp.ChannelAck, `${channel}\n${deliveryId}`),
      nack: (channel: string, deliveryId: bigint, requeue: boolean) => viaMain(HostOp.ChannelNack, `${channel}\n${deliveryId}\n${requeue ? 1 : 0}`),
      subscribe: (topic: string) => viaMain(HostOp.TopicSubscribe, topic),
      unsubscribe: (topic: string) => viaMain(HostOp.TopicUnsubscribe, topic),
      publish: (topic: string, type: string, payload: string) => viaMain(HostOp.TopicPublish, `${topic}\n${type}\n${payload}`),
    },
    durability: {
      checkpoint: () => viaMain(HostOp.DurableCheckpoint, ''),
      isReplaying: () => viaMain(HostOp.DurableReplaying, '') === '1',
      messageSeq: () => {
        const seq = viaMain(HostOp.DurableSeq, '');
        return BigInt(/^\d+$/.test(seq) ? seq : 0);
      },
      nowMs: () => nowMs(context),
    },
    workflow: {
      signal: (workflowId: string, name: string, payload: string) => send(context, workflowId, `signal:${name}`, payload),
      query: (workflowId: string, name: string, payload: string, timeoutMs: bigint) => viaMain(HostOp.Ask, `${workflowId}\nquery:${name}\n${timeoutMs}\n${payload}`),
      startTimer: (delayMs: bigint, type: string, payload: string) => viaMain(HostOp.SendAfter, `${delayMs}\n${type}\n${payload}`),
      startInterval: (everyMs: bigint, type: string, payload: string) => viaMain(HostOp.SendInterval, `${everyMs}\n${type}\n${payload}`),
      cancelTimer: (timerId: string) => viaMain(HostOp.CancelTimer, timerId),
    },
    'key-value': {
      get: (key: string) => viaMain(HostOp.KvGet, key),
      put: (key: string, value: string) => viaMain(HostOp.KvPut, `${key}\n\n${value}`),
      putTtl: (key: string, value: string, ttlMs: bigint) => viaMain(HostOp.KvPut, `${key}\n${ttlMs}\n${value}`),
      remove: (key: string) => viaMain(HostOp.KvDelete, key),
      keys: (prefix: string) => viaMain(HostOp.KvList, prefix),
    },
    blobs: {
      upload: (blobId: string, data: string, contentType: string) => viaMain(HostOp.BlobUpload, `${blobId}\n${contentType}\n${data}`),
      download: (blobId: string) => viaMain(HostOp.BlobDownload, blobId),
    },
    locks: {
      acquire: (name: string, holder: string, leaseSecs: number, timeoutMs: bigint) => viaMain(HostOp.LockAcquire, `\n\n${holder}\n${name}\n${leaseSecs}\n${timeoutMs}`),
      release: (name: string, holder: string, version: string) => viaMain(HostOp.LockRelease, `${name}\n\n\n${holder}\n${version}`),
    },
    'process-groups': {
      join: (group: string, topicsJson: string) => viaMain(HostOp.PgJoin, `${group}\n${topicsOf(topicsJson)}`),
      leave: (group: string) => viaMain(HostOp.PgLeave, group),
      broadcast: (group: string, type: string, payload: string) => viaMain(HostOp.PgBroadcast, `${group}\n${type}\n${payload}`),
      publish: (group: string, topic: string, type: string, payload: string) => viaMain(HostOp.PgPublish, `${group}\n${topic}\n${type}\n${payload}`),
      members: (group: string) => viaMain(HostOp.PgMembers, group),
    },
    registry: {
      register: (service: string, metadata: string, ttlMs: bigint) => viaMain(HostOp.RegistryRegister, `${service}\n${ttlMs}\n${metadata}`),
      unregister: (service: string) => viaMain(HostOp.RegistryUnregister, service),
      lookup: (service: string) => viaMain(HostOp.RegistryLookup, service),
      services: (prefix: string) => viaMain(HostOp.RegistryServices, prefix),
    },
    'http-client': {
      request: (method: string, url: string, headers: string, body: string, timeoutMs: bigint) => viaMain(HostOp.HttpRequest, `${method}\n${url}\n${timeoutMs}\n${headers.replace(/\n/g, ' ')}\n${body}`),
    },
    cron: {
      schedule: (name: string, expr: string, type: string, payload: string) => viaMain(HostOp.CronSchedule, `${name}\n${expr}\n${type}\n${payload}`),
      cancel: (name: string) => viaMain(HostOp.CronCancel, name),
      schedules: () => viaMain(HostOp.CronSchedules, ''),
    },
  };
}

/** `["a","b"]` → `a,b` (the host call's topic list); anything else → no topics. */
function topicsOf(json: string): string {
  try {
    const topics = JSON.parse(json) as unknown;
    return Array.isArray(topics) ? topics.filter((t): t is string => typeof t === 'string').join(',') : '';
  } catch {
    return '';
  }
}
