import { InvalidArgumentError, shown } from '../errors.js';
import { compileTemplate, type CompiledTemplate } from '../tuple/template.js';
import { DEFAULT_TUPLE_LIMITS } from '../tuple/limits.js';
import type { Template, Tuple } from '../tuple/types.js';

/**
 * A dataflow pipeline as a user declares it (docs/pipelines.md): stages in
 * order, each taking tuples that match its `input` template from one space,
 * handling them, and writing what it returns back to that space, where the
 * next stage's template picks them up.
 */
export interface PipelineSpec {
  /** Unique in its tenant and namespace: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}`. */
  readonly name: string;
  readonly stages: readonly StageSpec[];
}

/**
 * What a stage does with one tuple: the tuples to write in its place (none
 * is fine: the input is consumed). A throw is a failure of this attempt.
 */
export type StageFunction = (tuple: Tuple, context: StageCallContext) => readonly Tuple[] | Promise<readonly Tuple[]>;

export interface StageCallContext {
  /** 1 on the tuple's first delivery, 2 once it came back to the space and was taken again, … */
  readonly deliveries: number;
  /** 1 on the first attempt at this delivery; a failed attempt is retried in place up to maxAttempts. */
  readonly attempt: number;
  /** Which of the stage's instances handles it (0, 1, …; a scaled-up instance gets the next number). */
  readonly instance: number;
}

export interface StageSpec {
  /** Unique in the pipeline, same alphabet as the pipeline's name. */
  readonly name: string;
  /** The tuples this stage consumes. */
  readonly input: Template;
  /**
   * A deployed module (any language the platform runs). Each instance is an
   * actor of it under its own supervisor, asked `message` with
   * `{"tuple": […], "deliveries": n, "attempt": k}` (JSON form of tuples,
   * tuple/json.ts) and answering `{"out": [tuple, …]}` (or `null`: nothing).
   */
  readonly module?: string;
  /** In-process TypeScript instead of a module (the TS API only). */
  readonly handler?: StageFunction;
  /** The message type a module stage's instances are asked. Default `process`. */
  readonly message?: string;
  /** Instances running at once. Default 1; at most 256. */
  readonly instances?: number;
  /** Most tuples waiting for or held by this stage before its upstream waits. Default 1024. */
  readonly maxBacklog?: number;
  /** Field position whose value keys per-key ordering: every tuple of a key goes to one instance, in order. */
  readonly key?: number;
  /** Lease of each crash-safe take, ms. Default 60 000. */
  readonly leaseMs?: number;
  /** Longest one handling may take, ms (a module's ask timeout). Default 30 000. */
  readonly timeoutMs?: number;
  /** Attempts on one delivery before it goes back to the space (which dead-letters it after its maxDeliveries). Default 3. */
  readonly maxAttempts?: number;
  /** Restart intensity of each instance's supervisor: more than `maxRestarts` in `restartWindowMs` fails the pipeline. Defaults 10 in 10 000 ms. */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
}

/** A stage with every default filled in and its template compiled. */
export interface ResolvedStage {
  readonly name: string;
  readonly index: number;
  readonly input: Template;
  readonly template: CompiledTemplate;
  readonly module: string | undefined;
  readonly handler: StageFunction | undefined;
  readonly message: string;
  instances: number;
  readonly maxBacklog: number;
  readonly key: number | undefined;
  readonly leaseMs: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
}

export const MAX_STAGES = 64;
export const MAX_INSTANCES = 256;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** Every field of a `StageSpec`. */
export const STAGE_KEYS: readonly string[] = ['name', 'input', 'module', 'handler', 'message', 'instances', 'maxBacklog', 'key', 'leaseMs', 'timeoutMs', 'maxAttempts', 'maxRestarts', 'restartWindowMs'];

/** Checks a whole spec before anything starts; every problem is an `InvalidArgumentError` naming the stage and field. */
export function resolvePipelineSpec(spec: PipelineSpec): { name: string; stages: ResolvedStage[] } {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError(`a pipeline spec must be an object, got ${shown(spec)}`);
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) throw new InvalidArgumentError(`pipeline name must match ${NAME.source}, got ${shown(spec.name)}`);
  if (!Array.isArray(spec.stages) || spec.stages.length === 0) throw new InvalidArgumentError(`pipeline ${spec.name}: stages must be a non-empty array`);
  if (spec.stages.length > MAX_STAGES) throw new InvalidArgumentError(`pipeline ${spec.name}: at most ${MAX_STAGES} stages, got ${spec.stages.length}`);
  const names = new Set<string>();
  const stages = spec.stages.map((stage, index) => {
    const at = `pipeline ${spec.name}, stage ${index}`;
    if (stage === null || typeof stage !== 'object') throw new InvalidArgumentError(`${at}: must be an object`);
    const extra = Object.keys(stage).find((k) => !STAGE_KEYS.includes(k));
    if (extra !== undefined) throw new InvalidArgumentError(`${at}: unknown field ${shown(extra)}`);
    if (typeof stage.name !== 'string' || !NAME.test(stage.name)) throw new InvalidArgumentError(`${at}: name must match ${NAME.source}, got ${shown(stage.name)}`);
    if (names.has(stage.name)) throw new InvalidArgumentError(`${at}: a second stage named ${shown(stage.name)}`);
    names.add(stage.name);
    const where = `pipeline ${spec.name}, stage ${stage.name}`;
    let template: CompiledTemplate;
    try {
      template = compileTemplate(stage.input, DEFAULT_TUPLE_LIMITS);
    } catch (error) {
      throw new InvalidArgumentError(`${where}: input: ${(error as Error).message}`, { cause: error });
    }
    const hasModule = stage.module !== undefined;
    const hasHandler = stage.handler !== undefined;
    if (hasModule === hasHandler) throw new InvalidArgumentError(`${where}: give exactly one of module (a deployed module) and handler (a function)`);
    if (hasModule && (typeof stage.module !== 'string' || stage.module.length === 0)) throw new InvalidArgumentError(`${where}: module must be a module name, got ${shown(stage.module)}`);
    if (hasHandler && typeof stage.handler !== 'function') throw new InvalidArgumentError(`${where}: handler must be a function`);
    if (stage.message !== undefined && (typeof stage.message !== 'string' || stage.message.length === 0)) throw new InvalidArgumentError(`${where}: message must be a non-empty string`);
    const key = stage.key;
    if (key !== undefined && !(Number.isSafeInteger(key) && key >= 0 && key < template.arity)) throw new InvalidArgumentError(`${where}: key must be a field position of the input (0…${template.arity - 1}), got ${shown(key)}`);
    return {
      name: stage.name,
      index,
      input: stage.input,
      template,
      module: stage.module,
      handler: stage.handler,
      message: stage.message ?? 'process',
      instances: whole(where, 'instances', stage.instances, 1, 1, MAX_INSTANCES),
      maxBacklog: whole(where, 'maxBacklog', stage.maxBacklog, 1024, 1, 1 << 24),
      key,
      leaseMs: whole(where, 'leaseMs', stage.leaseMs, 60_000, 1, 86_400_000),
      timeoutMs: whole(where, 'timeoutMs', stage.timeoutMs, 30_000, 1, 86_400_000),
      maxAttempts: whole(where, 'maxAttempts', stage.maxAttempts, 3, 1, 1000),
      maxRestarts: whole(where, 'maxRestarts', stage.maxRestarts, 10, 0, 1_000_000),
      restartWindowMs: whole(where, 'restartWindowMs', stage.restartWindowMs, 10_000, 1, 86_400_000),
    };
  });
  return { name: spec.name, stages };
}

/** A whole number option in [min, max], or its default. */
export function whole(where: string, field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max)) throw new InvalidArgumentError(`${where}: ${field} must be a whole number in ${min}…${max}, got ${shown(value)}`);
  return value;
}
