import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/test-prerequisites.mjs, which `npm test` runs before vitest: its
 * check-only mode on this machine (where the suite is running, so everything
 * must be there), and its "missing" path with clang taken off PATH, in
 * dry-run mode so nothing is installed.
 */
const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/test-prerequisites.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'plex-prereq-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env, encoding: 'utf8' });
}

/** A PATH of one directory holding every command of ours except those `drop` matches. */
function pathWithout(drop: RegExp): string {
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (drop.test(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

describe('the test prerequisites script', () => {
  it('--check: reports every prerequisite present on this machine and exits 0', () => {
    const result = run(['--check']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('all test prerequisites present');
    expect(result.stdout).not.toContain('MISSING');
    expect(result.stdout.match(/^ok {6}/gm)).toHaveLength(5);
  });

  it('--dry-run without clang: names what is missing and prints the exact install command, installing nothing', () => {
    const result = run(['--dry-run'], { ...process.env, PATH: pathWithout(/^clang/) });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^MISSING clang \+ wasm-ld with a wasm32 target/m);
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    expect(result.stderr).toContain(`would run:\n  ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends clang lld\n`);
    // Only clang was taken away: nothing else is reported or would be installed.
    expect(result.stdout.match(/^MISSING/gm)).toHaveLength(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('refuses an unknown option with exit 2 and runs nothing', () => {
    const result = run(['--install-everything']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown option --install-everything/);
    expect(result.stdout).toBe('');
  });

  it('is what npm test runs before vitest, and .ci/run goes through npm test', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toBe('node scripts/test-prerequisites.mjs && vitest run');
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^npm test -- /m);
    expect(ci).not.toMatch(/apt-get install/);
  });
});
