// Options, reports and hooks of an `ActorRuntime` (actor-runtime.ts): the shapes its callers pass in and get back.
import type { ActorCrashedError } from '../errors.js';
import type { ActiveTuple, EvalOptions } from '../space/linda-eval.js';
import type { Space } from '../space/space.js';
import type { Tuple } from '../tuple/types.js';
import type { NodeTracing } from '../tracing/node-tracing.js';
import type { HostCallHandler } from './host-call-channel.js';

export interface ActorRuntimeOptions {
  /** Worker threads. Default: `os.availableParallelism()`. */
  workers?: number;
  /** The space host calls (`ts-*`) reach. Default: a new in-memory space, closed with the runtime. */
  space?: Space;
  /** Per actor, another space for its `ts-*` calls (a node gives each tenant's actors their own); undefined: `space`. */
  spaceFor?: (actorId: string) => Space | undefined;
  /**
   * Linda's eval for an actor's `ts-eval` host call: runs the computations and writes the finished
   * tuple to the actor's space (a node's PlexNode.eval). Undefined: the call answers PLEX_ERR_USAGE.
   */
  evalFor?: (caller: string, tuple: ActiveTuple, options: EvalOptions) => Promise<Tuple>;
  /** Time budget of one message (and of `plex_init`); the watchdog stops a handler past it. Default 1000 ms. */
  watchdogMs?: number;
  /** Default ask timeout. Default 5000 ms. */
  askTimeoutMs?: number;
  /** Asked before every spawn and told of every actor that stops (a node's tenant quotas). Default: none. */
  admission?: SpawnAdmission;
  /** Spans for asks and the host calls made while handling them (docs/tracing.md). Default: none, and no tracing cost. */
  tracing?: NodeTracing;
}

/**
 * Admission control of spawns. `admit` runs synchronously before anything
 * starts, so throwing (a quota error) refuses the spawn with nothing changed;
 * every admitted id is `release`d exactly once, when it stops for any reason
 * (stop, kill, crash, failed init).
 */
export interface SpawnAdmission {
  /** `reservedBytes`: what the actor's memory and tables can grow to (core-module.ts). */
  admit(actorId: string, reservedBytes: number): void;
  release(actorId: string): void;
}

export interface SpawnOptions {
  /** Actor id; default `<module>-<n>`. */
  id?: string;
  /** Bytes (or UTF-8 text) handed to `plex_init`. */
  config?: Uint8Array | string;
  /** Pin to this worker index instead of the placement policy. */
  worker?: number;
  /** A shared memory registered with `shareMemory`, for modules that import `env.memory`. */
  memory?: string;
  /** Every message to the actor, even from a neighbour on its worker, goes through `route` on the main thread (facets, journal). */
  intercepted?: boolean;
  /** The actor's sends and clock go through the main thread as host calls, which a journal can record and replay. */
  journaled?: boolean;
}

export interface AskOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Told the message's id before it is sent: host calls the actor makes while handling it carry this id as their context. */
  onContext?: (context: number) => void;
  /** The sender the handler sees. Default `''`. */
  from?: string;
}

/** Where messages from inside actors that the workers cannot deliver themselves go on the main thread (the actor layer: facets, virtual activation). */
export interface MessageRouter {
  send(to: string, type: string, payload: Uint8Array, from: string): void;
  ask(to: string, type: string, payload: Uint8Array, options: AskOptions): Promise<Uint8Array>;
}

/** Wraps every host call served on the main thread; `next` serves it as usual. */
export type HostCallFilter = (op: number, request: Uint8Array, caller: string, context: number, next: () => ReturnType<HostCallHandler>) => ReturnType<HostCallHandler>;

/** Where an actor lives; `placement()` returns one per actor. */
export interface ActorPlacement {
  readonly actorId: string;
  readonly module: string;
  readonly worker: number;
}

export interface WorkerStats {
  readonly worker: number;
  readonly actors: number;
  /** Operations queued for the worker and not yet flushed. */
  readonly queued: number;
  /** Asks, spawns and stops sent and not yet answered. */
  readonly inFlight: number;
}

export interface CrashReport {
  readonly actorId: string;
  readonly module: string;
  /** The worker it lived on; -1 for an actor spawned from a host call whose init failed. */
  readonly worker: number;
  readonly error: ActorCrashedError;
}

/** Why an actor stopped running. `normal` exits (a stop) restart only `permanent` children and do not kill linked actors. */
export interface ExitReport {
  readonly actorId: string;
  readonly module: string;
  readonly normal: boolean;
  /** `normal`, `killed: …` or the crash's `PLEX_ERR_*` code and message. */
  readonly reason: string;
  /** For a crash: the error its pending asks were rejected with. */
  readonly error?: ActorCrashedError;
}

/** One log line of an actor; `level` as `plex.log` takes it (0 debug, 1 info, 2 warn, 3 error). */
export interface ActorLogEntry {
  readonly actorId: string;
  readonly level: number;
  readonly message: string;
}

/** Where a cluster node's runtime records the actors that actors spawn (src/cluster/cluster-spawns.ts). */
export interface SpawnRegistry {
  /** Appended to generated ids: unique to this node's incarnation. */
  readonly idTag: string;
  /** Makes `actorId` this node's in the cluster's directory; rejects (PLEX_ERR_ACTOR_EXISTS) when another node's actor has it. */
  claim(actorId: string): Promise<void>;
  /** Gives a claim back when the spawn failed before the actor started. */
  unclaim(actorId: string): void;
}

/** Ids of the runtime's pooled task instances (runTask); no actor may take one. */
export const TASK_PREFIX = '$task:';
