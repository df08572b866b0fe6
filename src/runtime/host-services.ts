import { InvalidArgumentError } from '../errors.js';
import { activeTupleFromJson, type ActiveTuple, type EvalOptions } from '../space/linda-eval.js';
import type { Space } from '../space/space.js';
import { parseTupleJson, tupleToJson } from '../tuple/json.js';
import type { Template, Tuple } from '../tuple/types.js';
import { resolveActorRef } from './actor-address.js';
import { HostOp, HostStatus } from './core-abi.js';
import type { HostCallHandler } from './host-call-channel.js';
import { fromUtf8, utf8 } from './protocol.js';

/** Serves more host operations; returns undefined synchronously for an operation it does not know. */
export type HostCallExtension = (op: number, request: Uint8Array, caller: string, context: number) => ReturnType<HostCallHandler> | undefined;

/** What host calls reach on the main thread. */
export interface HostServiceTargets {
  /** The space of actors that `spaceFor` does not place elsewhere. */
  readonly space: Space;
  /** The space an actor's `ts-*` calls reach (e.g. its tenant's); undefined: `space`. */
  spaceFor?(actorId: string): Space | undefined;
  /** Linda's eval into the caller's space (ActorRuntimeOptions.evalFor); undefined: ts-eval is refused. */
  evalFor?(caller: string, tuple: ActiveTuple, options: EvalOptions): Promise<Tuple>;
  ask(to: string, type: string, payload: Uint8Array, timeoutMs: number, from: string): Promise<Uint8Array>;
  /**
   * Starts an actor without waiting for it (the caller's worker may be the
   * one that must run it); returns its id. `module` and `actorId` are as the
   * caller wrote them: the target resolves them in the caller's tenant
   * (actor-address.ts) and refuses another tenant's.
   */
  /** Resolves once the id is the new actor's (in a cluster, claimed in the directory first: src/cluster/cluster-spawns.ts). */
  spawnDetached(module: string, actorId: string, config: Uint8Array, caller: string): string | Promise<string>;
  /** Stops an actor without waiting. */
  stopDetached(actorId: string): void;
  /** Operations this file does not serve. */
  extension?: HostCallExtension;
  /** Where a journaled actor's sends (HostOp.Send through the main thread) go. */
  route?(to: string, type: string, payload: Uint8Array, from: string): void;
}

const EMPTY = new Uint8Array(0);
/** Longest each computation of an actor's eval may run: the actor waits for all of them. */
const MAX_EVAL_WAIT_MS = 5 * 60_000;

/**
 * Serves `plex.call` operations that need the main thread's state. Inputs
 * and results of tuple-space calls are the JSON forms of `tuple/json.ts`
 * (the WIT world's convention); an empty result means "no match". Failures
 * return `HostStatus.Error` with the message as the result, so an actor can
 * log it.
 */
export function hostServices(targets: HostServiceTargets): HostCallHandler {
  return (op, request, caller, context) => {
    const space = (caller !== '' ? targets.spaceFor?.(caller) : undefined) ?? targets.space;
    switch (op) {
      case HostOp.TsWrite:
        return space.write(parseTupleJson(fromUtf8.decode(request)) as Tuple).then(ok, failed);
      case HostOp.TsRead:
        return space.tryRead(parseTupleJson(fromUtf8.decode(request)) as Template).then(tupleResult, failed);
      case HostOp.TsTake:
        return space.tryTake(parseTupleJson(fromUtf8.decode(request)) as Template).then(tupleResult, failed);
      case HostOp.TsReadAll:
        return space
          .readAll(parseTupleJson(fromUtf8.decode(request)) as Template)
          .then((tuples) => ({ status: 0, data: utf8.encode(`[${tuples.map(tupleToJson).join(',')}]`) }), failed);
      case HostOp.TsTakeWait: {
        const text = fromUtf8.decode(request);
        const newline = text.lastIndexOf('\n');
        const timeoutMs = newline < 0 ? undefined : Number(text.slice(newline + 1));
        const pattern = newline < 0 ? text : text.slice(0, newline);
        return space.take(parseTupleJson(pattern) as Template, { timeoutMs }).then(tupleResult, failed);
      }
      case HostOp.TsEval: {
        if (targets.evalFor === undefined) return { status: HostStatus.Error, data: utf8.encode('ERROR PLEX_ERR_USAGE: ts-eval needs a node (its worker pool and actors run the computations)') };
        try {
          const [onError, timeout, tupleJson] = requestFields(op, request, 2);
          if (onError !== '' && onError !== 'value' && onError !== 'reject') throw new InvalidArgumentError(`on-error must be "value" or "reject", got ${JSON.stringify(onError)}`);
          const active = activeTupleFromJson(JSON.parse(tupleJson));
          const options: EvalOptions = { onError: onError === '' ? undefined : onError, timeoutMs: Number(timeout) > 0 ? Math.min(Number(timeout), MAX_EVAL_WAIT_MS) : undefined };
          return targets.evalFor(caller, active, options).then((written) => ({ status: 0, data: utf8.encode(tupleToJson(written)) }), failed);
        } catch (error) {
          return failed(error instanceof SyntaxError ? new InvalidArgumentError(`ts-eval: the tuple is not JSON: ${error.message}`) : error);
        }
      }
      case HostOp.Ask: {
        // to\ntype\ntimeout-ms\npayload
        const parts = splitLines(request, 3);
        if (parts === undefined) return { status: HostStatus.Error, data: utf8.encode('ask needs to\\ntype\\ntimeout\\npayload') };
        const [to, type, timeout, payload] = parts;
        let target: string;
        try {
          target = resolveActorRef(caller, fromUtf8.decode(to));
        } catch (error) {
          return failed(error);
        }
        return targets.ask(target, fromUtf8.decode(type), payload, askTimeout(fromUtf8.decode(timeout)), caller).then((data) => ({ status: 0, data }), failed);
      }
      case HostOp.Spawn: {
        const parts = splitLines(request, 2);
        if (parts === undefined) return { status: HostStatus.Error, data: utf8.encode('spawn needs module\\nactor-id\\nconfig') };
        try {
          const id = targets.spawnDetached(fromUtf8.decode(parts[0]), fromUtf8.decode(parts[1]), parts[2], caller);
          if (typeof id === 'string') return { status: 0, data: utf8.encode(id) };
          return id.then((spawned) => ({ status: 0, data: utf8.encode(spawned) }), failed);
        } catch (error) {
          return failed(error);
        }
      }
      case HostOp.Send: {
        // A journaled actor's send (others send from their worker directly): to\ntype\npayload
        const parts = splitLines(request, 2);
        if (parts === undefined || targets.route === undefined) return { status: HostStatus.Error, data: utf8.encode('send needs to\ntype\npayload') };
        try {
          targets.route(resolveActorRef(caller, fromUtf8.decode(parts[0])), fromUtf8.decode(parts[1]), parts[2], caller);
          return ok();
        } catch (error) {
          return failed(error);
        }
      }
      case HostOp.NowMs:
        return { status: 0, data: utf8.encode(String(Date.now())) };
      case HostOp.Stop:
        try {
          targets.stopDetached(resolveActorRef(caller, fromUtf8.decode(request)));
          return { status: 0, data: EMPTY };
        } catch (error) {
          return failed(error);
        }
      default:
        return (
          targets.extension?.(op, request, caller, context) ?? {
            status: HostStatus.UnknownOp,
            data: utf8.encode(
              op >= HostOp.Link && op <= HostOp.SendInterval
                ? `ERROR PLEX_ERR_USAGE: host operation ${op} (links, timers, groups, kv, locks, blobs, channels) needs the coordination layer: run the actor in an ActorSystem or a node`
                : `unknown host operation ${op}`,
            ),
          }
        );
    }
  };
}

/** Longest an actor may wait on one ask from a host call; its watchdog does not count the wait, so the bound is here. */
const MAX_ASK_TIMEOUT_MS = 5 * 60_000;

/** The ask host call's timeout field: a positive number of ms (default 5 s), at most MAX_ASK_TIMEOUT_MS. */
function askTimeout(text: string): number {
  const ms = Number(text);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_ASK_TIMEOUT_MS) : 5000;
}

function ok(): { status: number; data: Uint8Array } {
  return { status: 0, data: EMPTY };
}

function tupleResult(tuple: Tuple | null): { status: number; data: Uint8Array } {
  return { status: 0, data: tuple === null ? EMPTY : utf8.encode(tupleToJson(tuple)) };
}

/** The answer of a failed host call: `ERROR <code>: <message>`, as the world's conventions ask. */
export function failed(error: unknown): { status: number; data: Uint8Array } {
  const e = error as { code?: string; message?: string };
  return { status: HostStatus.Error, data: utf8.encode(`ERROR ${e.code ?? 'PLEX_ERR'}: ${e.message ?? String(error)}`) };
}

/** Splits off the first `count` newline-terminated fields; the rest is the last part. */
export function splitLines(bytes: Uint8Array, count: number): Uint8Array[] | undefined {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = bytes.indexOf(10, start);
    if (end < 0) return undefined;
    parts.push(bytes.subarray(start, end));
    start = end + 1;
  }
  parts.push(bytes.slice(start));
  return parts;
}

/** A host call's request as `count + 1` newline-separated text fields (the last may hold newlines); InvalidArgumentError when it has fewer. */
export function requestFields(op: number, request: Uint8Array, count: number): string[] {
  const parts = splitLines(request, count);
  if (parts === undefined) throw new InvalidArgumentError(`host call ${op} needs ${count + 1} newline-separated fields`);
  return parts.map((p) => fromUtf8.decode(p));
}
