import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
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
chmodSync(scratch, 0o755); // readable by the unprivileged user one test runs the script as
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env, encoding: 'utf8' });
}

/** A PATH of one directory holding every command of ours except those `drop` matches. */
function pathWithout(drop: RegExp): string {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  chmodSync(bin, 0o755);
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
    expect(result.stdout.match(/^ok {6}/gm)).toHaveLength(12);
  });

  it('--dry-run without clang: names what is missing and prints the exact install command, installing nothing', () => {
    const result = run(['--dry-run'], { ...process.env, PATH: pathWithout(/^clang/) });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^MISSING clang \+ wasm-ld with a wasm32 target, wasi-libc and its compiler runtime/m);
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    expect(result.stderr).toContain(`would run:\n  ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends clang lld wasi-libc libclang-rt-14-dev-wasm32\n`);
    // Only clang was taken away: nothing else is reported or would be installed.
    expect(result.stdout.match(/^MISSING/gm)).toHaveLength(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('installing as a user who cannot (not root): fails at once with the exact commands, sudo included', () => {
    // HOME: a directory the unprivileged user may write (Jupyter and IPython keep files there).
    const env = { ...process.env, PATH: pathWithout(/^clang/), HOME: tmpdir() };
    // As root, drop to nobody for the run (setpriv is util-linux, on every Debian); otherwise run as we are.
    const asRoot = process.getuid?.() === 0;
    const result = asRoot
      ? spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, SCRIPT], { cwd: ROOT, env, encoding: 'utf8' })
      : run([], env);
    expect(result.status, result.stderr).toBe(1);
    const expected = '\ncannot install them here (not root); run from the project root:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends clang lld wasi-libc libclang-rt-14-dev-wasm32\n';
    expect(result.stderr.slice(0, expected.length)).toBe(expected);
    // The unprivileged user's python3 is not necessarily root's (a pyenv under /root): componentize-py may be missing for it too, named with its own command.
    expect(['', '  python3 -m pip install componentize-py || python3 -m pip install --break-system-packages componentize-py\n']).toContain(result.stderr.slice(expected.length));
    expect(result.stdout).not.toMatch(/^\$ /m); // ran nothing
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
