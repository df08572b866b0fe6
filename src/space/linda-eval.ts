import { ErrorCode, EvalFailedError, InvalidArgumentError, InvalidTupleError, shown } from '../errors.js';
import { fromJsonValue } from '../tuple/json.js';
import type { Field, Tuple } from '../tuple/types.js';
import type { Space } from './space.js';

/**
 * Linda's fourth operation: `eval` writes an *active* tuple. Some of its
 * fields are computations — a task of a deployed module, or a message to
 * an actor — that run in parallel on the worker pool; when every one has
 * finished, the tuple, with each computation replaced by its result, is
 * written to the space as one ordinary write. Readers and takers never see
 * it before that, so nothing half done is ever visible.
 *
 * A result is the computation's reply: its JSON value when the reply is
 * JSON (in the JSON form of tuple/json.ts, so `{"$bytes"}` and `{"$int"}`
 * come back as bytes and int64), else the reply's bytes. A computation that
 * fails becomes the field `{"error": "<PLEX_ERR_…>", "message": "…"}`
 * (`onError: 'value'`, the default), or makes the whole eval reject and
 * write nothing (`onError: 'reject'`).
 */
export class Computation {
  constructor(
    /** A pooled task of a module (`runTask`, stateless), or an ask of a running (or virtual) actor. */
    readonly kind: 'task' | 'ask',
    /** The module (task) or the actor (ask). */
    readonly target: string,
    /** The message type the task or actor handles. */
    readonly message: string,
    /** Its payload, as JSON. */
    readonly args: unknown = {},
  ) {
    if (typeof target !== 'string' || target.length === 0) throw new InvalidArgumentError(`an eval ${kind} needs a ${kind === 'task' ? 'module' : 'actor'} name`);
    if (typeof message !== 'string' || message.length === 0) throw new InvalidArgumentError(`an eval ${kind} needs a message type`);
  }
}

/** Computations for `eval`'s active fields. */
export const compute = {
  /** `type` run with `args` on a pooled instance of `module` (any worker). */
  task: (module: string, type: string, args: unknown = {}) => new Computation('task', module, type, args),
  /** `type` asked of the actor `actorId` with `args`. */
  ask: (actorId: string, type: string, args: unknown = {}) => new Computation('ask', actorId, type, args),
};

export type ActiveField = Field | Computation;
export type ActiveTuple = readonly ActiveField[];

/** What runs the computations: a node's runtime and actor system. */
export interface EvalExecutor {
  runTask(module: string, type: string, payload: Uint8Array, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array>;
  ask(actorId: string, type: string, payload: Uint8Array, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array>;
  /**
   * Every computation goes through this before any runs: it names the
   * module or actor as the caller's tenant sees it (or refuses it, which
   * refuses the whole eval).
   */
  resolve?(computation: Computation): Computation;
}

export interface EvalOptions {
  /** `value` (default): a failed computation becomes an error field. `reject`: the eval rejects and writes nothing. */
  readonly onError?: 'value' | 'reject';
  /** Longest each computation may run, ms (default 60 000). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Passed to the write (a lease on the finished tuple). */
  readonly ttlMs?: number;
}

/** Most computations one eval may hold. */
export const MAX_EVAL_COMPUTATIONS = 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Runs `tuple`'s computations in parallel and writes the finished tuple to
 * `space`; resolves with what was written. Everything is checked before
 * anything runs: the tuple's shape, each computation's target (`check`),
 * its arguments' JSON. With `onError: 'reject'` the first failure (after
 * all have settled, so none is left running) rejects it, naming the field.
 */
export async function evalTuple(space: Space, tuple: ActiveTuple, executor: EvalExecutor, options: EvalOptions = {}): Promise<Tuple> {
  if (!Array.isArray(tuple) || tuple.length === 0) throw new InvalidTupleError('[]', 'an eval needs a non-empty tuple');
  const onError = options.onError ?? 'value';
  if (onError !== 'value' && onError !== 'reject') throw new InvalidArgumentError(`onError must be "value" or "reject", got ${shown(onError)}`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!(Number.isSafeInteger(timeoutMs) && timeoutMs > 0)) throw new InvalidArgumentError(`timeoutMs must be a positive whole number of ms, got ${shown(timeoutMs)}`);
  const computations: { index: number; computation: Computation; payload: Uint8Array }[] = [];
  tuple.forEach((field, index) => {
    if (!(field instanceof Computation)) return;
    let json: string | undefined;
    try {
      json = JSON.stringify(field.args ?? {});
    } catch (cause) {
      throw new InvalidArgumentError(`eval field ${index}: its arguments are not JSON: ${(cause as Error).message}`);
    }
    computations.push({ index, computation: executor.resolve?.(field) ?? field, payload: encoder.encode(json ?? 'null') });
  });
  if (computations.length > MAX_EVAL_COMPUTATIONS) throw new InvalidArgumentError(`an eval holds at most ${MAX_EVAL_COMPUTATIONS} computations, got ${computations.length}`);
  const run = ({ computation, payload }: (typeof computations)[number]) =>
    computation.kind === 'task'
      ? executor.runTask(computation.target, computation.message, payload, { timeoutMs, signal: options.signal })
      : executor.ask(computation.target, computation.message, payload, { timeoutMs, signal: options.signal });
  const settled = await Promise.allSettled(computations.map(run));
  const finished: Field[] = tuple.map((field) => (field instanceof Computation ? null : field));
  settled.forEach((outcome, i) => {
    const { index } = computations[i];
    if (outcome.status === 'fulfilled') {
      finished[index] = resultField(outcome.value);
      return;
    }
    const error = outcome.reason as { code?: string; message?: string };
    if (onError === 'reject') {
      const { kind, target, message } = computations[i].computation;
      throw new EvalFailedError(index, error.code ?? ErrorCode.EvalFailed, `eval field ${index} (${kind} ${target} ${message}) failed, nothing was written: ${error.code ?? ''} ${error.message ?? String(error)}`.replace('  ', ' '), { cause: outcome.reason });
    }
    finished[index] = { error: error.code ?? ErrorCode.EvalFailed, message: error.message ?? String(error) };
  });
  await space.write(finished, options.ttlMs === undefined ? undefined : { ttlMs: options.ttlMs });
  return finished;
}

/** A reply as a field: its JSON value (JSON form), else its bytes. */
function resultField(reply: Uint8Array): Field {
  let text: string;
  try {
    text = decoder.decode(reply);
  } catch {
    return reply;
  }
  try {
    return fromJsonValue(JSON.parse(text)) as Field;
  } catch {
    return reply;
  }
}

/**
 * The JSON form of an active tuple, as HTTP, the websocket, gRPC and host
 * calls carry it: a top-level field `{"$eval": {"module", "task", "args"}}`
 * is a task, `{"$eval": {"actor", "message", "args"}}` an ask; every other
 * field is the ordinary JSON form.
 */
export function activeTupleFromJson(value: unknown): ActiveTuple {
  if (!Array.isArray(value)) throw new InvalidTupleError('[]', 'an eval tuple must be a JSON array');
  return value.map((field, index) => {
    if (field === null || typeof field !== 'object' || Array.isArray(field) || !('$eval' in field)) return (fromJsonValue([field]) as Field[])[0];
    const keys = Object.keys(field);
    if (keys.length !== 1) throw new InvalidTupleError(`[${index}]`, 'an $eval field has only the key $eval');
    const spec = (field as { $eval: unknown }).$eval;
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new InvalidTupleError(`[${index}].$eval`, 'must be {"module", "task", "args"} or {"actor", "message", "args"}');
    const s = spec as Record<string, unknown>;
    const extra = Object.keys(s).filter((k) => !['module', 'task', 'actor', 'message', 'args'].includes(k));
    if (extra.length > 0) throw new InvalidTupleError(`[${index}].$eval`, `unknown key ${shown(extra[0])}`);
    if (typeof s.module === 'string' && typeof s.task === 'string' && s.actor === undefined && s.message === undefined) return new Computation('task', s.module, s.task, s.args ?? {});
    if (typeof s.actor === 'string' && typeof s.message === 'string' && s.module === undefined && s.task === undefined) return new Computation('ask', s.actor, s.message, s.args ?? {});
    throw new InvalidTupleError(`[${index}].$eval`, 'must be {"module", "task", "args"} or {"actor", "message", "args"}');
  });
}
