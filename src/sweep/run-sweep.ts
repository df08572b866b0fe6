/**
 * Runs a sweep: for each grid point, setup → warm-up runs → timed runs →
 * teardown, every run's result checked by the user's check. A point whose
 * run throws, times out or fails its check is marked failed with the
 * reason and the sweep goes on to the next point: one bad size should not
 * cost the other measurements, and the report says which point failed and
 * why. Nothing here knows where the kernel runs — the context (a client of
 * an embedded node, of a remote one, or anything the caller passes) is the
 * caller's.
 */
import { cpus } from 'node:os';
import { AbortError, PlexError, SweepFailedError } from '../errors.js';
import { resolveSweepSpec, type SweepParams, type SweepSpec } from './sweep-spec.js';
import { summarize, type Summary } from './sweep-statistics.js';

export interface SweepPointResult {
  readonly params: SweepParams;
  readonly status: 'passed' | 'failed';
  /** Why the point failed: which run, and the check's reason or the error. */
  readonly failure?: string;
  /** Seconds of each timed run that completed and passed its check, in order (as the kernel reported them when the spec has `seconds`). */
  readonly seconds: readonly number[];
  /** With a spec's `seconds`: the wall-clock time of the same runs, start of `run` to its settling. */
  readonly wallSeconds?: readonly number[];
  readonly wallTime?: Summary;
  readonly warmupSeconds: readonly number[];
  readonly time?: Summary;
  /** The metric of each timed run, and their summary. */
  readonly metricValues?: readonly number[];
  readonly metric?: Summary;
}

export interface SweepReport {
  readonly name: string;
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  /** Where the kernel ran, as the caller describes it (e.g. "embedded node, 2 workers"). */
  readonly where?: string;
  readonly warmup: number;
  readonly repetitions: number;
  readonly grid: Readonly<Record<string, readonly (number | string | boolean)[]>>;
  readonly metricUnit?: string;
  readonly higherIsBetter?: boolean;
  readonly chartX?: string;
  /** `wall`: the time from calling `run` to its settling; `reported`: the kernel's own figure (the spec's `seconds`). */
  readonly timeSource: 'wall' | 'reported';
  readonly points: readonly SweepPointResult[];
  /** Every point passed. */
  readonly passed: boolean;
  readonly elapsedSeconds: number;
  /**
   * A figure the caller measured that is inside every run's time and not the
   * kernel's, e.g. one round trip to a remote node; reported so a reader can
   * tell it from the kernel (the runner subtracts nothing).
   */
  readonly overhead?: { readonly what: string; readonly seconds: number };
}

export interface SweepProgress {
  /** Runs done (warm-up and timed) over the whole sweep, and how many there are. */
  readonly done: number;
  readonly total: number;
  readonly point: number;
  readonly points: number;
  readonly params: SweepParams;
  /** The run just finished: its seconds, whether it was a warm-up. */
  readonly seconds?: number;
  readonly warmup?: boolean;
  /** Set when the point just failed. */
  readonly failure?: string;
}

export interface RunSweepOptions<C> {
  /** What `setup`, `run` and `teardown` get as their second argument. */
  readonly context: C;
  readonly onProgress?: (progress: SweepProgress) => void;
  /** Each point's result as soon as the point is done (a line of output per point). */
  readonly onPoint?: (result: SweepPointResult, index: number, points: number) => void;
  /** Stops between runs (teardown of the current point still runs); the sweep then rejects with AbortError. */
  readonly signal?: AbortSignal;
  readonly where?: string;
  readonly overhead?: SweepReport['overhead'];
}

/** A point's run failed; caught per point, never escapes the sweep. */
class RunFailure extends Error {}

function reasonOf(error: unknown): string {
  if (error instanceof PlexError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function settleWithin<T>(work: Promise<T> | T, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(work),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RunFailure(`${what} did not settle within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runSweep<R, C>(spec: SweepSpec<R, C>, options: RunSweepOptions<C>): Promise<SweepReport> {
  const sweep = resolveSweepSpec(spec);
  const started = performance.now();
  const perPoint = sweep.warmup + sweep.repetitions;
  const total = sweep.points.length * perPoint;
  let done = 0;
  const results: SweepPointResult[] = [];
  const throwIfAborted = () => {
    if (options.signal?.aborted) throw new AbortError(options.signal.reason);
  };

  for (const [index, params] of sweep.points.entries()) {
    throwIfAborted();
    const seconds: number[] = [];
    const warmupSeconds: number[] = [];
    const metricValues: number[] = [];
    let failure: string | undefined;
    const progress = (extra: Partial<SweepProgress>) => options.onProgress?.({ done, total, point: index + 1, points: sweep.points.length, params, ...extra });

    const wallSeconds: number[] = [];
    const oneRun = async (label: string): Promise<{ seconds: number; wall: number; result: R }> => {
      const t0 = performance.now();
      let result: R;
      try {
        result = await settleWithin(sweep.run(params, options.context), sweep.timeoutMs, label);
      } catch (error) {
        throw error instanceof RunFailure ? error : new RunFailure(`${label} threw ${reasonOf(error)}`);
      }
      const elapsed = (performance.now() - t0) / 1000;
      if (sweep.check !== undefined) {
        let verdict;
        try {
          verdict = await sweep.check(result, params);
        } catch (error) {
          throw new RunFailure(`${label}: the check threw ${reasonOf(error)}`);
        }
        if (verdict === false) throw new RunFailure(`${label}: the check failed`);
        if (typeof verdict === 'string') throw new RunFailure(`${label}: the check failed: ${verdict}`);
      }
      if (sweep.seconds === undefined) return { seconds: elapsed, wall: elapsed, result };
      const reported = sweep.seconds(result, params);
      if (typeof reported !== 'number' || !(reported >= 0) || !Number.isFinite(reported)) throw new RunFailure(`${label}: seconds() gave ${String(reported)}, not a time`);
      return { seconds: reported, wall: elapsed, result };
    };

    let setUp = false;
    try {
      if (sweep.setup !== undefined) {
        try {
          await settleWithin(sweep.setup(params, options.context), sweep.timeoutMs, 'setup');
        } catch (error) {
          throw error instanceof RunFailure ? error : new RunFailure(`setup threw ${reasonOf(error)}`);
        }
      }
      setUp = true;
      for (let w = 0; w < sweep.warmup; w++) {
        throwIfAborted();
        const run = await oneRun(`warm-up ${w + 1}`);
        warmupSeconds.push(run.seconds);
        done++;
        progress({ seconds: run.seconds, warmup: true });
      }
      for (let r = 0; r < sweep.repetitions; r++) {
        throwIfAborted();
        const run = await oneRun(`run ${r + 1}`);
        seconds.push(run.seconds);
        wallSeconds.push(run.wall);
        if (sweep.metric !== undefined) {
          const value = sweep.metric.value(params, run.seconds, run.result);
          if (typeof value !== 'number' || Number.isNaN(value)) throw new RunFailure(`run ${r + 1}: the metric gave ${String(value)}, not a number`);
          metricValues.push(value);
        }
        done++;
        progress({ seconds: run.seconds, warmup: false });
      }
    } catch (error) {
      if (!(error instanceof RunFailure)) {
        // An abort, or a bug in the runner: tear down what was set up, then let it through.
        if (setUp) await Promise.resolve(sweep.teardown?.(params, options.context)).catch(() => undefined);
        throw error;
      }
      failure = error.message;
    }
    if (sweep.teardown !== undefined && setUp) {
      try {
        await settleWithin(sweep.teardown(params, options.context), sweep.timeoutMs, 'teardown');
      } catch (error) {
        failure ??= `teardown threw ${reasonOf(error)}`;
      }
    }
    if (failure !== undefined) {
      // The runs this point will not make still count, so the progress reaches its total.
      done = (index + 1) * perPoint;
      progress({ failure });
    }
    const result: SweepPointResult = {
      params,
      status: failure === undefined ? 'passed' : 'failed',
      ...(failure !== undefined ? { failure } : {}),
      seconds,
      warmupSeconds,
      ...(seconds.length > 0 ? { time: summarize(seconds) } : {}),
      ...(sweep.seconds !== undefined ? { wallSeconds, ...(wallSeconds.length > 0 ? { wallTime: summarize(wallSeconds) } : {}) } : {}),
      ...(sweep.metric !== undefined ? { metricValues, ...(metricValues.length > 0 ? { metric: summarize(metricValues) } : {}) } : {}),
    };
    results.push(result);
    options.onPoint?.(result, index, sweep.points.length);
  }

  return {
    name: sweep.name,
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} ×${cpus().length}`,
    ...(options.where !== undefined ? { where: options.where } : {}),
    warmup: sweep.warmup,
    repetitions: sweep.repetitions,
    grid: sweep.grid,
    ...(sweep.metric !== undefined ? { metricUnit: sweep.metric.unit, higherIsBetter: sweep.metric.higherIsBetter ?? true } : {}),
    ...(sweep.chartX !== undefined ? { chartX: sweep.chartX } : {}),
    timeSource: sweep.seconds === undefined ? 'wall' : 'reported',
    points: results,
    passed: results.every((p) => p.status === 'passed'),
    elapsedSeconds: (performance.now() - started) / 1000,
    ...(options.overhead !== undefined ? { overhead: options.overhead } : {}),
  };
}

/** Throws SweepFailedError naming every failed point, or returns the report when all passed. */
export function assertSweepPassed(report: SweepReport): SweepReport {
  const failed = report.points.filter((p) => p.status === 'failed');
  if (failed.length === 0) return report;
  throw new SweepFailedError(report.name, failed.map((p) => `${describeParams(p.params)}: ${p.failure}`));
}

export function describeParams(params: SweepParams): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
