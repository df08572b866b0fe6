import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { assertSweepPassed, runSweep, type SweepProgress } from '../../src/sweep/run-sweep.js';
import { sweepChart, sweepCsv, sweepMarkdown, sweepRows } from '../../src/sweep/sweep-output.js';
import { gridPoints, resolveSweepSpec, type SweepParams } from '../../src/sweep/sweep-spec.js';
import { quantile, summarize } from '../../src/sweep/sweep-statistics.js';

/**
 * The sweep runner on kernels that are plain functions here, so every call
 * it makes can be counted: the grid's order, warm-up and timed runs, the
 * user's check on every run, failures kept to their point, teardown after
 * setup whatever happens, abort, and what the report, CSV and chart say.
 * (test/cli/sweep-command.test.ts runs real kernels on a real node.)
 */
describe('sweep specs', () => {
  it('expands the grid as a cartesian product, the first parameter varying slowest', () => {
    expect(gridPoints({ n: [1, 2], mode: ['a', 'b', 'c'] })).toEqual([
      { n: 1, mode: 'a' },
      { n: 1, mode: 'b' },
      { n: 1, mode: 'c' },
      { n: 2, mode: 'a' },
      { n: 2, mode: 'b' },
      { n: 2, mode: 'c' },
    ]);
  });

  it('fills defaults and refuses bad specs with a clear error naming the field', () => {
    const resolved = resolveSweepSpec({ name: 'ok', grid: { n: [1] }, run: () => 0 });
    expect([resolved.warmup, resolved.repetitions, resolved.points]).toEqual([1, 5, [{ n: 1 }]]);
    const bad: [unknown, RegExp][] = [
      [null, /must be an object/],
      [{ name: 'x', grid: { n: [1] }, run: () => 0, repetitons: 3 }, /unknown sweep field "repetitons"/],
      [{ name: 'has space', grid: { n: [1] }, run: () => 0 }, /sweep name/],
      [{ name: 'x', grid: { n: [1] } }, /run must be a function/],
      [{ name: 'x', grid: {}, run: () => 0 }, /at least one parameter/],
      [{ name: 'x', grid: { n: [] }, run: () => 0 }, /grid.n must be a non-empty array/],
      [{ name: 'x', grid: { n: [1, 1] }, run: () => 0 }, /repeats a value/],
      [{ name: 'x', grid: { n: [Number.NaN] }, run: () => 0 }, /finite numbers, strings or booleans/],
      [{ name: 'x', grid: { n: [{}] }, run: () => 0 }, /finite numbers, strings or booleans/],
      [{ name: 'x', grid: { a: Array.from({ length: 200 }, (_, i) => i), b: Array.from({ length: 200 }, (_, i) => i) }, run: () => 0 }, /over 10000 points/],
      [{ name: 'x', grid: { n: [1] }, run: () => 0, repetitions: 0 }, /repetitions must be an integer from 1/],
      [{ name: 'x', grid: { n: [1] }, run: () => 0, warmup: 1.5 }, /warmup must be an integer/],
      [{ name: 'x', grid: { n: [1] }, run: () => 0, check: 'yes' }, /check must be a function/],
      [{ name: 'x', grid: { n: [1] }, run: () => 0, metric: { unit: 'x' } }, /metric must be/],
      [{ name: 'x', grid: { n: [1] }, run: () => 0, chartX: 'm' }, /chartX "m" is not a grid parameter/],
    ];
    for (const [spec, message] of bad) {
      expect(() => resolveSweepSpec(spec as never), JSON.stringify(spec)).toThrow(message);
      try {
        resolveSweepSpec(spec as never);
      } catch (error) {
        expect((error as { code: string }).code).toBe(ErrorCode.InvalidArgument);
      }
    }
  });
});

describe('sweep statistics', () => {
  it('interpolates quantiles and reports the interquartile spread over the median', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.25)).toBe(10);
    const s = summarize([5, 1, 3, 2, 4])!;
    expect(s).toMatchObject({ median: 3, min: 1, max: 5, p25: 2, p75: 4, mean: 3, samples: 5 });
    expect(s.relativeSpread).toBeCloseTo(2 / 3);
    expect(summarize([])).toBeUndefined();
  });
});

describe('runSweep', () => {
  it('runs setup, warm-ups, timed runs and teardown at every point in grid order, checking every run', async () => {
    const calls: string[] = [];
    const checked: [unknown, SweepParams][] = [];
    const progress: SweepProgress[] = [];
    const context = { tag: 'ctx' };
    const report = await runSweep(
      {
        name: 'order',
        grid: { n: [2, 4], k: ['x', 'y'] },
        warmup: 2,
        repetitions: 3,
        setup: (p, ctx) => void calls.push(`setup ${p.n}${p.k} ${(ctx as typeof context).tag}`),
        run: (p) => {
          calls.push(`run ${p.n}${p.k}`);
          return (p.n as number) * 10;
        },
        check: (result, p) => {
          checked.push([result, p]);
          return result === (p.n as number) * 10;
        },
        teardown: (p) => void calls.push(`teardown ${p.n}${p.k}`),
        metric: { unit: 'things/s', value: (p, seconds) => (p.n as number) / Math.max(seconds, 1e-9) },
      },
      { context, onProgress: (p) => progress.push(p), where: 'here' },
    );
    const expected = ['2x', '2y', '4x', '4y'].flatMap((p) => [`setup ${p} ctx`, ...Array(5).fill(`run ${p}`), `teardown ${p}`]);
    expect(calls).toEqual(expected);
    expect(checked).toHaveLength(4 * 5); // warm-ups are checked too
    expect(report.passed).toBe(true);
    expect(report.points.map((p) => p.params)).toEqual([
      { n: 2, k: 'x' },
      { n: 2, k: 'y' },
      { n: 4, k: 'x' },
      { n: 4, k: 'y' },
    ]);
    for (const point of report.points) {
      expect(point.seconds).toHaveLength(3);
      expect(point.warmupSeconds).toHaveLength(2);
      expect(point.metricValues).toHaveLength(3);
      expect(point.time!.samples).toBe(3);
      expect(point.metric!.median).toBeGreaterThan(0);
    }
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(progress.every((p) => p.total === 20)).toBe(true);
    expect(report).toMatchObject({ name: 'order', warmup: 2, repetitions: 3, where: 'here', metricUnit: 'things/s', timeSource: 'wall' });
    expect(assertSweepPassed(report)).toBe(report);
  });

  it('keeps a failure to its point, says which run and why, and goes on with the others', async () => {
    const teardowns: unknown[] = [];
    const report = await runSweep(
      {
        name: 'failures',
        grid: { case: ['ok', 'wrong', 'false', 'throws', 'check-throws', 'slow', 'setup-fails', 'ok2'] },
        warmup: 1,
        repetitions: 2,
        timeoutMs: 100,
        setup: (p) => {
          if (p.case === 'setup-fails') throw new Error('no inputs');
        },
        run: async (p) => {
          if (p.case === 'throws') throw new Error('kernel crashed');
          if (p.case === 'slow') await new Promise((r) => setTimeout(r, 1000));
          return p.case;
        },
        check: (result) => {
          if (result === 'wrong') return 'expected 42, got 41';
          if (result === 'false') return false;
          if (result === 'check-throws') throw new Error('reference missing');
        },
        teardown: (p) => void teardowns.push(p.case),
      },
      { context: undefined },
    );
    const byCase = Object.fromEntries(report.points.map((p) => [p.params.case, p]));
    expect(byCase.ok.status).toBe('passed');
    expect(byCase.ok2.status).toBe('passed');
    expect(byCase.wrong).toMatchObject({ status: 'failed', failure: 'warm-up 1: the check failed: expected 42, got 41' });
    expect(byCase.false).toMatchObject({ status: 'failed', failure: 'warm-up 1: the check failed' });
    expect(byCase.throws).toMatchObject({ status: 'failed', failure: 'warm-up 1 threw kernel crashed' });
    expect(byCase['check-throws'].failure).toBe('warm-up 1: the check threw reference missing');
    expect(byCase.slow.failure).toBe('warm-up 1 did not settle within 100 ms');
    expect(byCase['setup-fails']).toMatchObject({ status: 'failed', failure: 'setup threw no inputs', seconds: [] });
    // Teardown follows every setup that succeeded, failed runs included; not a setup that threw.
    expect(teardowns).toEqual(['ok', 'wrong', 'false', 'throws', 'check-throws', 'slow', 'ok2']);
    expect(report.passed).toBe(false);
    let thrown: unknown;
    try {
      assertSweepPassed(report);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: ErrorCode.SweepFailed, sweep: 'failures' });
    expect((thrown as { failures: string[] }).failures).toHaveLength(6);
    expect((thrown as Error).message).toContain('case=wrong: warm-up 1: the check failed: expected 42, got 41');
  });

  it('fails a point on a timed run that fails, keeping the runs before it', async () => {
    let calls = 0;
    const report = await runSweep({ name: 'late', grid: { n: [1] }, warmup: 0, repetitions: 4, run: () => ++calls, check: (r) => r !== 3 || 'third run wrong' }, { context: null });
    expect(report.points[0]).toMatchObject({ status: 'failed', failure: 'run 3: the check failed: third run wrong' });
    expect(report.points[0].seconds).toHaveLength(2);
  });

  it('stops between runs when aborted, tears the point down and rejects with AbortError', async () => {
    const controller = new AbortController();
    const events: string[] = [];
    const sweep = runSweep(
      {
        name: 'abort',
        grid: { n: [1, 2, 3] },
        warmup: 0,
        repetitions: 3,
        run: (p) => {
          events.push(`run ${p.n}`);
          if (p.n === 2) controller.abort();
          return 0;
        },
        teardown: (p) => void events.push(`teardown ${p.n}`),
      },
      { context: null, signal: controller.signal },
    );
    await expect(sweep).rejects.toMatchObject({ code: ErrorCode.Aborted });
    expect(events).toEqual(['run 1', 'run 1', 'run 1', 'teardown 1', 'run 2', 'teardown 2']);
  });

  it('summarizes the times a kernel reports itself when the spec has seconds(), keeping the wall-clock beside them', async () => {
    const report = await runSweep(
      { name: 'reported', grid: { n: [1, 2] }, warmup: 0, repetitions: 3, run: (p) => ({ took: (p.n as number) * 0.5 }), seconds: (r) => r.took },
      { context: null },
    );
    expect(report.timeSource).toBe('reported');
    expect(report.points.map((p) => p.time!.median)).toEqual([0.5, 1]);
    expect(report.points[0].wallSeconds).toHaveLength(3);
    expect(report.points[0].wallTime!.median).toBeLessThan(0.5);
    const bad = await runSweep({ name: 'bad', grid: { n: [1] }, warmup: 0, repetitions: 1, run: () => ({}), seconds: () => Number.NaN }, { context: null });
    expect(bad.points[0].failure).toBe('run 1: seconds() gave NaN, not a time');
  });
});

describe('sweep output', () => {
  it('writes one CSV row per point with quoting, a Markdown table, and a chart with a line per combination', async () => {
    const report = await runSweep(
      {
        name: 'out',
        grid: { n: [64, 128, 256, 512], label: ['plain', 'with, comma "quoted"'] },
        warmup: 0,
        repetitions: 2,
        run: (p) => p.n,
        check: (r, p) => (p.n === 512 && p.label === 'plain' ? 'too big' : undefined),
        metric: { unit: 'GFLOP/s', value: (p) => (p.n as number) / 64 },
      },
      { context: null },
    );
    const rows = sweepRows(report);
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatchObject({ n: 64, label: 'plain', 'median GFLOP/s': 1, runs: 2, check: 'passed' });
    expect(rows[6]).toMatchObject({ n: 512, label: 'plain', check: 'FAILED: run 1: the check failed: too big', runs: 0 });
    const csv = sweepCsv(report).split('\r\n');
    expect(csv[0]).toBe('n,label,median_s,p25_s,p75_s,min_s,max_s,spread,median GFLOP/s,p25 GFLOP/s,p75 GFLOP/s,runs,check');
    expect(csv[2]).toMatch(/^64,"with, comma ""quoted""",/);
    expect(csv).toHaveLength(10); // header, 8 rows, the final empty string after the last CRLF
    const md = sweepMarkdown(report);
    expect(md).toContain('| n | label |');
    expect(md).toContain('1 point(s) FAILED');
    const svg = sweepChart(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2); // label=plain and label=with, comma…
    // The failed point is not drawn: the plain line has three points, the other four.
    const lines = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1].split(' ').length);
    expect(lines.sort()).toEqual([3, 4]);
    expect(svg).toContain('label=with, comma &quot;quoted&quot;');
  });

  it('draws a bar per point when no grid parameter is a number', async () => {
    const report = await runSweep({ name: 'modes', grid: { mode: ['a', 'b'] }, warmup: 0, repetitions: 1, run: () => 1 }, { context: null });
    const svg = sweepChart(report);
    expect(svg.match(/<rect x="230"/g)).toHaveLength(2);
    expect(svg).toContain('mode=a');
  });
});
