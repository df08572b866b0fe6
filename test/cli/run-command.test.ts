import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/cli/progress.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('plexspaces run', () => {
  it('nbody --jovian prints the Benchmarks Game energies', () => {
    const result = run('run', 'nbody', '--jovian');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('-0.169075164\n-0.169087605\n');
  });

  it('matmul --json prints one JSON document on stdout and progress on stderr', () => {
    const result = run('run', 'matmul', '--n', '96', '--workers', '2', '--mode', 'linda', '--json');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { workload: string; runs: { workers: number; maxRelError: number; mode: string }[] };
    expect(report.workload).toBe('matmul');
    expect(report.runs.map((r) => r.workers)).toEqual([1, 2]);
    expect(report.runs.every((r) => r.mode === 'linda' && r.maxRelError < 1e-5)).toBe(true);
    expect(result.stderr).toMatch(/matmul 96 linda ×2: .*100%/);
  });

  it('nbody prints speedup and energies; bad flags exit 2 with a reason', () => {
    const result = run('run', 'nbody', '--bodies', '128', '--steps', '3', '--workers', '2', '--quiet');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/workers=2: .* G interactions\/s .*relative drift/);
    expect(result.stdout).toMatch(/speedup 2 workers vs 1/);
    expect(result.stderr).toBe('');
    for (const args of [['run'], ['run', 'fft'], ['run', 'matmul', '--n', 'ten'], ['run', 'matmul', '--mode', 'mpi'], ['run', 'nbody', '--dt', '-1']]) {
      const bad = run(...args);
      expect(bad.status, args.join(' ')).toBe(2);
      expect(bad.stderr).toMatch(/plexspaces: /);
    }
  });
});

describe('ProgressBar', () => {
  it('writes a line per 10% when not on a terminal, nothing when disabled', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar('work', true, stream);
    for (let i = 1; i <= 100; i++) bar.update(i, 100);
    expect(lines).toHaveLength(11); // the first update, then each 10%
    expect(lines.at(-1)).toMatch(/^work: 100\/100 100%/);
    const silent: string[] = [];
    const off = new ProgressBar('work', false, { isTTY: false, write: (t: string) => silent.push(t) } as unknown as NodeJS.WriteStream);
    off.update(5, 10);
    expect(silent).toEqual([]);
  });
});
