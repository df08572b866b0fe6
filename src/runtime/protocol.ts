import type { ModuleGrants } from './capabilities.js';
import { Packr } from 'msgpackr';
import type { MessagePort } from 'node:worker_threads';

/**
 * Control messages between the main thread and the workers. Each direction
 * batches: operations queued during one turn of the event loop travel as one
 * msgpackr-encoded array in one `postMessage`. Compiled modules and shared
 * memories, which msgpack cannot carry, go by structured clone as
 * `WorkerSetup` messages, in order with the batches.
 */
export const ToWorker = {
  Spawn: 1,
  Message: 2,
  Stop: 3,
  GetState: 4,
  Placement: 5,
  SetState: 6,
  Stats: 7,
} as const;

export const ToMain = {
  Spawned: 1,
  Reply: 2,
  Crashed: 3,
  Stopped: 4,
  Route: 5,
  State: 6,
  Stats: 7,
} as const;

/** Spawn flags: messages to the actor go through the main thread (facets, journal); its own sends and clock do too (journal). */
export const SpawnFlag = { Intercepted: 1, Journaled: 2 } as const;

/** [Spawn, requestId, actorId, moduleName, config, memoryId, slot base in the shared memory (-1 = none), SpawnFlag bits] */
export type SpawnOp = [typeof ToWorker.Spawn, number, string, string, Uint8Array, string | null, number, number];
/** [Message, actorId, type, payload, replyId (0 = tell), fromActor] */
export type MessageOp = [typeof ToWorker.Message, string, string, Uint8Array, number, string];
export type StopOp = [typeof ToWorker.Stop, number, string];
export type GetStateOp = [typeof ToWorker.GetState, number, string];
/** [SetState, requestId, actorId, state]: answered with a State op (empty payload on success). */
export type SetStateOp = [typeof ToWorker.SetState, number, string, Uint8Array];
/** [Placement, actorId, worker index, or -1 when the actor is gone] */
export type PlacementOp = [typeof ToWorker.Placement, string, number];
/** [Stats, requestId]: answered with a Stats op listing the worker's actors. */
export type StatsOp = [typeof ToWorker.Stats, number];
export type WorkerOp = SpawnOp | MessageOp | StopOp | GetStateOp | PlacementOp | SetStateOp | StatsOp;

/** [Spawned, requestId, errorCode | null, errorMessage] */
export type SpawnedOp = [typeof ToMain.Spawned, number, string | null, string];
/** [Reply, replyId, errorCode | null, payload or error message] */
export type ReplyOp = [typeof ToMain.Reply, number, string | null, Uint8Array | string];
/** [Crashed, actorId, errorCode, message] */
export type CrashedOp = [typeof ToMain.Crashed, string, string, string];
export type StoppedOp = [typeof ToMain.Stopped, number];
/** [Route, toActor, type, payload, fromActor]: a send to an actor this worker does not host. */
export type RouteOp = [typeof ToMain.Route, string, string, Uint8Array, string];
/** [State, requestId, errorCode | null, state or message] */
export type StateOp = [typeof ToMain.State, number, string | null, Uint8Array | string];
/** One actor's figures in a worker: [actorId, messages handled since it started, bytes of linear memory]. */
export type ActorFigures = [string, number, number];
/** [Stats, requestId, null, the worker's actors' figures] */
export type StatsReplyOp = [typeof ToMain.Stats, number, null, ActorFigures[]];
export type MainOp = SpawnedOp | ReplyOp | CrashedOp | StoppedOp | RouteOp | StateOp | StatsReplyOp;

export type WorkerSetup =
  | { readonly setup: 'module'; readonly name: string; readonly module: WebAssembly.Module; readonly watchdog: boolean; readonly maxMemoryPages: number; readonly importedMemory?: { initial: number; maximum: number | undefined; shared: boolean }; readonly has: Record<string, boolean> }
  | { readonly setup: 'component'; readonly name: string; readonly source: string; readonly coreModules: Readonly<Record<string, WebAssembly.Module>>; readonly maxMemoryPages: number; readonly grants: ModuleGrants; readonly actorInterface: string }
  | { readonly setup: 'memory'; readonly id: string; readonly memory: WebAssembly.Memory };

export interface WorkerInit {
  readonly index: number;
  /**
   * Host-call channels, one per nesting level: a handler waiting on a host
   * call lets the worker run its other actors (see actor-worker.ts), and
   * their host calls must not share the waiting call's slot.
   */
  readonly channels: SharedArrayBuffer[];
  readonly watchdogMs: number;
  /**
   * One Int32 doorbell per worker. Whoever posts to worker i (the main
   * thread or a peer) bumps word i and notifies it; an idle worker sleeps in
   * `Atomics.wait` on its word instead of in its event loop, which wakes it
   * several times faster.
   */
  readonly doorbells: SharedArrayBuffer;
  /** Ports to the other workers, by index (`null` at this worker's own index), for direct actor-to-actor batches. */
  readonly peers: (MessagePort | null)[];
  /** Where batches for the main thread go; the main thread can poll it (see WorkerLink). */
  readonly toMain: MessagePort;
}

/** Bumps worker `index`'s doorbell after posting to it. */
export function ring(doorbells: Int32Array, index: number): void {
  Atomics.add(doorbells, index, 1);
  Atomics.notify(doorbells, index);
}

const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * The batch in a buffer of its own, exactly its size, for `postMessage` to
 * transfer. Why the copy: msgpackr packs into one reused buffer and returns
 * a view of it, and posting a view clones the whole underlying buffer — 8 KiB
 * per batch normally, and after one large batch (say 4 MB of task chunks)
 * that many megabytes for every later batch, however small.
 */
export function encodeBatch(ops: readonly (WorkerOp | MainOp)[]): Uint8Array<ArrayBuffer> {
  return packr.pack(ops).slice();
}

export function decodeBatch<T>(bytes: Uint8Array): T[] {
  return packr.unpack(bytes) as T[];
}

export const utf8 = new TextEncoder();
export const fromUtf8 = new TextDecoder();

/**
 * UTF-8 bytes of a short, recurring string (a message type, an actor id),
 * remembered: the same few names cross on every message. Bounded, so ids
 * that keep changing cannot grow it without limit.
 */
const utf8Cache = new Map<string, Uint8Array>();
export function utf8Of(text: string): Uint8Array {
  let bytes = utf8Cache.get(text);
  if (bytes === undefined) {
    bytes = utf8.encode(text);
    if (utf8Cache.size >= 4096) utf8Cache.clear();
    utf8Cache.set(text, bytes);
  }
  return bytes;
}

/** Payloads are bytes; strings travel as UTF-8. */
export function toBytes(payload: Uint8Array | string | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  if (typeof payload === 'string') return utf8.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  throw new TypeError('a payload must be a Uint8Array or a string');
}
