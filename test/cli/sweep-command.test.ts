import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNode, type StartedNode } from '../../src/client/notebook.js';
import type { SweepReport } from '../../src/sweep/run-sweep.js';
import { runCli } from '../support/run-cli.js';

/**
 * `plexspaces sweep` end to end: the user's C SGEMM actor (examples/sweeps/matmul.c)
 * built by clang and deployed on the node the command starts, swept over sizes
 * and actor counts with the example's own exact check; the same kernel with a
 * planted bug, which the check must catch; the n-body job swept against a node
 * that was already running (--node); and wrong usage. Needs clang + wasi-libc
 * (test prerequisites) and dist/ (npm run build).
 */
const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/sweep');
const out = mkdtempSync(join(tmpdir(), 'plex-sweep-'));
let running: StartedNode | undefined;
afterAll(async () => {
  await running?.stop();
  rmSync(out, { recursive: true, force: true });
});

describe('plexspaces sweep', () => {
  it("sweeps a user's C actor over a grid on a node it starts, every run checked, and writes JSON, CSV, SVG and Markdown", async () => {
    const dir = join(out, 'matmul');
    const result = await runCli('sweep', join(ROOT, 'examples/sweeps/matmul.sweep.mjs'), '--set', 'n=64,128', '--set', 'actors=1,2', '--repetitions', '2', '--workers', '2', '--out', dir, '--json', '--quiet');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as SweepReport;
    expect(report).toMatchObject({ name: 'matmul', passed: true, warmup: 1, repetitions: 2, metricUnit: 'GFLOP/s', timeSource: 'wall', grid: { n: [64, 128], actors: [1, 2] } });
    expect(report.where).toContain('2 workers');
    expect(report.overhead?.seconds).toBeGreaterThan(0);
    expect(report.points.map((p) => [p.params.n, p.params.actors, p.status, p.seconds.length, p.warmupSeconds.length])).toEqual([
      [64, 1, 'passed', 2, 1],
      [64, 2, 'passed', 2, 1],
      [128, 1, 'passed', 2, 1],
      [128, 2, 'passed', 2, 1],
    ]);
    for (const point of report.points) expect(point.metric!.median).toBeGreaterThan(0);
    const csv = readFileSync(join(dir, 'matmul.csv'), 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(5);
    expect(csv[1]).toMatch(/^64,1,[\d.e-]+,/);
    expect(csv.slice(1).every((line) => line.endsWith(',2,passed'))).toBe(true);
    const svg = readFileSync(join(dir, 'matmul.svg'), 'utf8');
    expect(svg.match(/<polyline/g)).toHaveLength(2); // actors=1 and actors=2, over n
    expect(readFileSync(join(dir, 'matmul.md'), 'utf8')).toContain('every run passed its check');
    expect(JSON.parse(readFileSync(join(dir, 'matmul.json'), 'utf8')).points).toHaveLength(4);
  });

  it("reports a kernel that computes the wrong thing: the user's check fails every point, exit 1, the report still written", async () => {
    const dir = join(out, 'wrong');
    const result = await runCli('sweep', join(FIXTURES, 'wrong-seed.sweep.mjs'), '--set', 'n=64,128', '--set', 'actors=1', '--repetitions', '1', '--workers', '1', '--out', dir, '--quiet');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PLEX_ERR_SWEEP_FAILED');
    // A band's checksum does not depend on the seed when the band spans whole periods of the
    // inputs, so here the sampled entries are what catch the wrong product.
    expect(result.stderr).toMatch(/n=64 actors=1: warm-up 1: the check failed: C\[\d+\]\[\d+\]×1024 = -?\d+, expected -?\d+/);
    expect(result.stdout).toMatch(/n=128 actors=1: FAILED — warm-up 1: the check failed/);
    const report = JSON.parse(readFileSync(join(dir, 'wrong-seed.json'), 'utf8')) as SweepReport;
    expect(report.passed).toBe(false);
    expect(report.points.every((p) => p.status === 'failed' && p.seconds.length === 0)).toBe(true);
  });

  it('sweeps a node that is already running (--node): the n-body job, timed as the job reports, its energy checked', async () => {
    running = await startNode({ workers: 2 });
    const dir = join(out, 'nbody');
    const result = await runCli('sweep', join(ROOT, 'examples/sweeps/nbody.sweep.mjs'), '--node', running.http, '--set', 'bodies=256,512', '--set', 'workers=1,2', '--warmup', '0', '--repetitions', '1', '--out', dir, '--json', '--quiet');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as SweepReport;
    expect(report).toMatchObject({ passed: true, timeSource: 'reported', where: `the node at ${running.http}`, warmup: 0 });
    expect(report.points).toHaveLength(4);
    for (const point of report.points) {
      // The job's own step time is inside the call's wall-clock time.
      expect(point.time!.median).toBeLessThan(point.wallTime!.median);
      expect(point.metric!.median).toBeGreaterThan(0);
    }
    expect(readFileSync(join(dir, 'nbody.csv'), 'utf8')).toContain('wall_median_s');
  });

  it('refuses wrong usage with exit 2 and a message, running nothing', async () => {
    const cases: [string[], RegExp][] = [
      [[], /sweep needs exactly one sweep file/],
      [[join(FIXTURES, 'missing.sweep.mjs')], /no sweep file at .*missing\.sweep\.mjs/],
      [[join(FIXTURES, 'no-default.sweep.mjs')], /must export a sweep spec as its default export/],
      [[join(ROOT, 'examples/sweeps/matmul.sweep.mjs'), '--set', 'size=1,2'], /the sweep has no grid parameter "size" \(it has n, actors\)/],
      [[join(ROOT, 'examples/sweeps/matmul.sweep.mjs'), '--set', 'n'], /--set takes PARAM=V1,V2/],
      [[join(ROOT, 'examples/sweeps/matmul.sweep.mjs'), '--node', 'http://127.0.0.1:1', '--workers', '2'], /--workers sizes the node started here/],
      [[join(ROOT, 'examples/sweeps/matmul.sweep.mjs'), '--repetitions', 'many'], /--repetitions must be a non-negative integer/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli('sweep', ...args, '--out', join(out, 'usage'), '--quiet');
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(existsSync(join(out, 'usage'))).toBe(false);
    const help = await runCli('sweep', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--set P=V1,V2');
  });
});
