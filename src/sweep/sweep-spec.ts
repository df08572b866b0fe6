/**
 * What a sweep is: the user's kernel run over every point of a grid of
 * parameters, each point `warmup` times untimed and `repetitions` times
 * timed, every run's result put through the user's own check. The same
 * spec runs from `plexspaces sweep FILE`, from the TS client and from a
 * notebook (src/sweep/run-sweep.ts).
 */
import { InvalidArgumentError, shown } from '../errors.js';

/** A grid value: what a parameter can take (JSON scalars, so a report can be written and read back). */
export type SweepValue = number | string | boolean;
export type SweepParams = Readonly<Record<string, SweepValue>>;

/**
 * A check's verdict on one run: `true`/`undefined` passes; `false` or a
 * string (the reason) fails; throwing fails with the error's message.
 */
export type CheckVerdict = boolean | string | void | undefined;

export interface SweepMetric<R = unknown> {
  /** e.g. `GFLOP/s`, `G interactions/s`. */
  readonly unit: string;
  /** The figure one run achieved, from its parameters, its time and its result. */
  readonly value: (params: SweepParams, seconds: number, result: R) => number;
  /** Whether a larger value is better (default true: a throughput); shown in the report. */
  readonly higherIsBetter?: boolean;
}

export interface SweepSpec<R = unknown, C = unknown> {
  /** Names the report's files: `<name>.json`, `.csv`, `.svg`, `.md`. */
  readonly name: string;
  /** Parameter → the values it takes; the sweep runs the cartesian product, in declaration order. */
  readonly grid: Readonly<Record<string, readonly SweepValue[]>>;
  /** Untimed runs before the timed ones at each point (JIT, caches, lazy spawns). Default 1. */
  readonly warmup?: number;
  /** Timed runs at each point. Default 5. */
  readonly repetitions?: number;
  /** Once per point, untimed, before its warm-up: prepare inputs, spawn actors. */
  readonly setup?: (params: SweepParams, context: C) => unknown;
  /** One run of the kernel at a point; what it answers goes to `check` and `metric`. Timed from call to settle. */
  readonly run: (params: SweepParams, context: C) => R | Promise<R>;
  /** The user's correctness check of every run (warm-ups included). */
  readonly check?: (result: R, params: SweepParams) => CheckVerdict | Promise<CheckVerdict>;
  /** Once per point after its last run, untimed (stop actors, free memory). */
  readonly teardown?: (params: SweepParams, context: C) => unknown;
  /**
   * The run's time as the kernel itself measured it (a job that reports its
   * compute seconds), when the wall-clock time around `run` would mostly be
   * start-up or transport. The report then summarizes these, keeps the
   * wall-clock times beside them, and says which it shows.
   */
  readonly seconds?: (result: R, params: SweepParams) => number;
  /** A derived figure per run (throughput); the report shows its median and spread next to the time's. */
  readonly metric?: SweepMetric<R>;
  /** A run that has not settled after this long fails its point. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** The chart's x axis: a numeric grid parameter (default: the first numeric one). */
  readonly chartX?: string;
}

/** The spec's fields with defaults applied, validated. */
export interface ResolvedSweep<R = unknown, C = unknown> extends SweepSpec<R, C> {
  readonly warmup: number;
  readonly repetitions: number;
  readonly timeoutMs: number;
  readonly points: readonly SweepParams[];
}

/** A sweep over more points than this is almost surely a mistake in the grid (a typo'd range); refused. */
export const MAX_SWEEP_POINTS = 10_000;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SPEC_KEYS = new Set(['name', 'grid', 'warmup', 'repetitions', 'setup', 'run', 'check', 'teardown', 'metric', 'seconds', 'timeoutMs', 'chartX']);

function count(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`sweep ${field} must be an integer from ${min} to ${max}, got ${shown(value)}`);
  }
  return value;
}

/** The grid's points: the cartesian product, the first parameter varying slowest. */
export function gridPoints(grid: Readonly<Record<string, readonly SweepValue[]>>): SweepParams[] {
  let points: Record<string, SweepValue>[] = [{}];
  for (const [name, values] of Object.entries(grid)) {
    points = points.flatMap((point) => values.map((value) => ({ ...point, [name]: value })));
  }
  return points;
}

/** Checks a spec from user code (a sweep file, a notebook cell) and fills its defaults. */
export function resolveSweepSpec<R, C>(spec: SweepSpec<R, C>): ResolvedSweep<R, C> {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError(`a sweep spec must be an object, got ${shown(spec)}`);
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw new InvalidArgumentError(`unknown sweep field ${shown(key)} (known: ${[...SPEC_KEYS].join(', ')})`);
  }
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) {
    throw new InvalidArgumentError(`sweep name must be 1-64 letters, digits, '.', '_' or '-' (it names the report's files), got ${shown(spec.name)}`);
  }
  if (typeof spec.run !== 'function') throw new InvalidArgumentError(`sweep ${spec.name}: run must be a function (params, context) => result`);
  for (const hook of ['setup', 'check', 'teardown', 'seconds'] as const) {
    if (spec[hook] !== undefined && typeof spec[hook] !== 'function') throw new InvalidArgumentError(`sweep ${spec.name}: ${hook} must be a function, got ${shown(spec[hook])}`);
  }
  if (spec.metric !== undefined) {
    if (typeof spec.metric !== 'object' || typeof spec.metric.unit !== 'string' || spec.metric.unit === '' || typeof spec.metric.value !== 'function') {
      throw new InvalidArgumentError(`sweep ${spec.name}: metric must be { unit: string, value: (params, seconds, result) => number }`);
    }
  }
  if (spec.grid === null || typeof spec.grid !== 'object' || Array.isArray(spec.grid) || Object.keys(spec.grid).length === 0) {
    throw new InvalidArgumentError(`sweep ${spec.name}: grid must be an object of parameter → values, with at least one parameter`);
  }
  let size = 1;
  for (const [param, values] of Object.entries(spec.grid)) {
    if (!Array.isArray(values) || values.length === 0) throw new InvalidArgumentError(`sweep ${spec.name}: grid.${param} must be a non-empty array of values, got ${shown(values)}`);
    for (const value of values) {
      const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
      if (!ok) throw new InvalidArgumentError(`sweep ${spec.name}: grid.${param} holds ${shown(value)}: values are finite numbers, strings or booleans`);
    }
    if (new Set(values).size !== values.length) throw new InvalidArgumentError(`sweep ${spec.name}: grid.${param} repeats a value (${shown(values)})`);
    size *= values.length;
    if (size > MAX_SWEEP_POINTS) throw new InvalidArgumentError(`sweep ${spec.name}: the grid has over ${MAX_SWEEP_POINTS} points; split it into several sweeps`);
  }
  if (spec.chartX !== undefined && !(spec.chartX in spec.grid)) {
    throw new InvalidArgumentError(`sweep ${spec.name}: chartX ${shown(spec.chartX)} is not a grid parameter (${Object.keys(spec.grid).join(', ')})`);
  }
  return {
    ...spec,
    warmup: count('warmup', spec.warmup, 1, 0, 1000),
    repetitions: count('repetitions', spec.repetitions, 5, 1, 100_000),
    timeoutMs: count('timeoutMs', spec.timeoutMs, 600_000, 1, 86_400_000),
    points: gridPoints(spec.grid),
  };
}
