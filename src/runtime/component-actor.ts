import * as wasi from '@bytecodealliance/preview2-shim';
import { ErrorCode } from '../errors.js';
import { ActorFault, classifyFault, WatchdogExpired } from './actor-fault.js';
import { HostOp } from './core-abi.js';
import { FUEL_PER_TICK, OOM_EXPORT } from './instrument.js';
import { fromUtf8, utf8, type WorkerSetup } from './protocol.js';
import { deniedSocketImports } from './wasi-sockets-denied.js';

export type ComponentSetup = Extract<WorkerSetup, { setup: 'component' }>;

/** What a component's host functions reach inside the worker. */
export interface ComponentServices {
  /** A host call served by the main thread; `status < 0` is a failure whose text is in `result`. */
  call(op: number, request: Uint8Array, caller: string): { status: number; result: string };
  /** Queues a send; a negative status means it was refused (another tenant's actor). */
  send(from: string, to: string, type: string, payload: Uint8Array): number;
  log(actorId: string, level: number, message: string): void;
}

interface ActorExports {
  init(configJson: string): string;
  handle(fromActor: string, msgType: string, payloadJson: string): string;
  getState(): string;
  setState(stateJson: string): string;
}

type Instantiate = (
  getCoreModule: (file: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, ActorExports>;

/**
 * The `WebAssembly` the glue sees. jco's glue probes for JSPI with
 * `try { WebAssembly.promising(f) } catch {}` for every export; on Node 20
 * that is a call of undefined, and V8 re-parses the whole 10k-line glue to
 * word each "is not a function" message — ≈14 of the ≈16 ms an instance
 * took. A `promising` that throws a plain error keeps the fallback and costs
 * nothing.
 */
const WASM_WITHOUT_JSPI = Object.create(WebAssembly, {
  promising: {
    value: () => {
      throw new TypeError('JSPI is not available');
    },
  },
});

/**
 * Evaluated once per component setup per worker. Keyed by the setup itself,
 * not the module name: a redeploy under the same name sends a new setup, and
 * its actors must get the new code.
 */
const instantiators = new WeakMap<ComponentSetup, Instantiate>();

/**
 * A component actor for the `plexspaces:simple-actor@0.1.0` world inside a
 * worker. Its host functions follow the world's conventions: JSON strings in
 * and out, failures as strings starting with `ERROR`, `ts-read`/`ts-take`
 * never block and return "" when nothing matches.
 *
 * Its core modules were instrumented at deploy like core-module actors, so
 * the watchdog stops a runaway handler (the tick import is added to every
 * core instance here) and a refused memory growth is reported as the memory
 * cap; either way only this actor dies.
 */
export class ComponentActor {
  private readonly actor: ActorExports;
  private readonly cores: WebAssembly.Instance[] = [];
  private deadline = Infinity;

  /** Messages handled, counted by its worker (see ActorInstance.handled). */
  handled = 0;

  /** Bytes of linear memory its core instances have now (CPython's and SpiderMonkey's heaps live there). */
  get memoryBytes(): number {
    let bytes = 0;
    for (const core of this.cores) {
      for (const value of Object.values(core.exports)) if (value instanceof WebAssembly.Memory) bytes += value.buffer.byteLength;
    }
    return bytes;
  }

  constructor(
    readonly id: string,
    private readonly spec: ComponentSetup,
    services: ComponentServices,
    private readonly budgetMs: number,
    /** A journaled (durable) actor's sends and clock go through the main thread, which records them and serves them again on replay. */
    journaled = false,
  ) {
    let instantiate = instantiators.get(spec);
    if (instantiate === undefined) {
      instantiate = new Function('WebAssembly', spec.source)(WASM_WITHOUT_JSPI) as Instantiate;
      instantiators.set(spec, instantiate);
    }
    const viaMain = (op: number, text: string): string => {
      // Time spent waiting on the main thread (an ask, a lock, a blocking take) is not the handler's computing: the watchdog does not count it.
      const started = performance.now();
      const { status, result } = services.call(op, utf8.encode(text), id);
      this.deadline += performance.now() - started;
      return status < 0 ? (result.startsWith('ERROR') ? result : `ERROR: ${result}`) : result;
    };
    const host = {
      send: (to: string, type: string, payload: string) => {
        if (journaled) {
          const result = viaMain(HostOp.Send, `${to}\n${type}\n${payload}`);
          return result.startsWith('ERROR') ? result : 'ok';
        }
        return services.send(id, to, type, utf8.encode(payload)) < 0
          ? `ERROR ${ErrorCode.Forbidden}: ${JSON.stringify(id)} cannot send to ${JSON.stringify(to)} (another tenant's actor, or an invalid id)`
          : 'ok';
      },
      ask: (to: string, type: string, payload: string, timeoutMs: bigint) => viaMain(HostOp.Ask, `${to}\n${type}\n${timeoutMs}\n${payload}`),
      spawn: (moduleRef: string, actorId: string, initConfig: string) => viaMain(HostOp.Spawn, `${moduleRef}\n${actorId}\n${initConfig}`),
      stop: (actorId: string) => {
        const result = viaMain(HostOp.Stop, actorId);
        return result === '' ? 'ok' : result;
      },
      selfId: () => id,
      link: (actorId: string) => viaMain(HostOp.Link, actorId),
      monitor: (actorId: string) => viaMain(HostOp.Monitor, actorId),
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
      log: (level: string, message: string) => services.log(id, level === 'error' ? 3 : level === 'warn' ? 2 : 1, message),
      nowMs: () => (journaled ? BigInt(viaMain(HostOp.NowMs, '')) : BigInt(Date.now())),
    };
    const coordination = {
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
    const imports: Record<string, unknown> = {
      // jco reads the key without the @version suffix; pass both.
      'plexspaces:simple-actor/host': host,
      'plexspaces:simple-actor/host@0.1.0': host,
      'plexspaces:simple-actor/coordination': coordination,
      'plexspaces:simple-actor/coordination@0.1.0': coordination,
      ...wasiImports(),
    };
    const tick = {
      tick: () => {
        if (performance.now() > this.deadline) throw new WatchdogExpired();
        return FUEL_PER_TICK;
      },
    };
    this.actor = this.guard(() => {
      const exports = instantiate(
        (file) => spec.coreModules[file],
        imports,
        (module, moduleImports) => {
          const instance = new WebAssembly.Instance(module, { ...moduleImports, plex_rt: tick });
          this.cores.push(instance);
          return instance;
        },
      );
      return exports['plexspaces:simple-actor/actor@0.1.0'] ?? exports.actor;
    });
  }

  /** Calls `init`; a reply starting with ERROR fails the spawn. */
  init(config: Uint8Array): void {
    const reply = this.guard(() => this.actor.init(config.byteLength === 0 ? '{}' : fromUtf8.decode(config)));
    if (reply.startsWith('ERROR')) throw new ActorFault(ErrorCode.ActorFailed, `init returned ${reply}`);
  }

  handle(type: string, payload: Uint8Array, wantReply: boolean, from: string): Uint8Array | null {
    const reply = this.guard(() => this.actor.handle(from, type, payload.byteLength === 0 ? '{}' : fromUtf8.decode(payload)));
    return wantReply ? utf8.encode(reply) : EMPTY;
  }

  getState(): Uint8Array | null {
    return utf8.encode(this.guard(() => this.actor.getState()));
  }

  setState(state: Uint8Array): boolean {
    const result = this.guard(() => this.actor.setState(fromUtf8.decode(state)));
    return !result.startsWith('ERROR');
  }

  /** Runs a call into the component under the watchdog's deadline and turns failures into faults. */
  private guard<T>(call: () => T): T {
    this.deadline = performance.now() + this.budgetMs;
    try {
      return call();
    } catch (error) {
      const growRefused = this.cores.some((core) => (core.exports[OOM_EXPORT] as WebAssembly.Global | undefined)?.value === 1);
      throw classifyFault(error, { budgetMs: this.budgetMs, growRefused, atMemoryCap: false, maxMemoryPages: this.spec.maxMemoryPages });
    } finally {
      this.deadline = Infinity;
    }
  }
}

const EMPTY = new Uint8Array(0);

/** `["a","b"]` → `a,b` (the host call's topic list); anything else → no topics. */
function topicsOf(json: string): string {
  try {
    const topics = JSON.parse(json) as unknown;
    return Array.isArray(topics) ? topics.filter((t): t is string => typeof t === 'string').join(',') : '';
  } catch {
    return '';
  }
}

/**
 * WASI from preview2-shim, keyed as jco asks (`wasi:cli/stdout` →
 * `cli.stdout`), except the file system: an actor gets no preopened
 * directories, so it cannot touch the host's files — and sockets, which
 * are present but refuse every use (wasi-sockets-denied.ts). preview2-shim's
 * environment is the node's own (its variables — secrets among them — its
 * arguments and working directory) and its exit ends the thread every actor
 * of the worker runs on: an actor gets an empty environment instead, and
 * `exit` crashes only that actor (PLEX_ERR_ACTOR_EXITED), as a core
 * module's proc_exit does (wasi-preview1.ts). CPython reads the environment
 * at start (`os.environ`) and `os._exit` calls exit.
 */
function wasiImports(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const packages = wasi as unknown as Record<string, Record<string, unknown>>;
  for (const pkg of ['cli', 'clocks', 'filesystem', 'io', 'random']) {
    for (const [iface, impl] of Object.entries(packages[pkg] ?? {})) {
      if (iface.startsWith('_')) continue;
      const kebab = iface.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      out[`wasi:${pkg}/${kebab}`] = impl;
    }
  }
  out['wasi:filesystem/preopens'] = { getDirectories: () => [] };
  out['wasi:cli/environment'] = { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined };
  out['wasi:cli/exit'] = {
    exit: (status: { tag: 'ok' | 'err' }) => {
      throw new ActorFault(ErrorCode.ActorExited, `the actor called exit (${status?.tag === 'err' ? 'failure' : 'success'})`);
    },
    exitWithCode: (code: number) => {
      throw new ActorFault(ErrorCode.ActorExited, `the actor called exit(${code})`);
    },
  };
  return { ...out, ...deniedSocketImports() };
}
