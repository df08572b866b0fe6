import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/install-tslab-kernel.mjs, the one way the README and
 * scripts/test-prerequisites.mjs register the tslab kernel. The trap it
 * avoids: `tslab install --python=python3` takes the first python3 on PATH,
 * which may be a pyenv or virtualenv interpreter without Jupyter. Here a
 * python3 that has no Jupyter comes first on PATH, and the kernel goes into a
 * scratch prefix, so the machine's Jupyter is left as it was.
 */
const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/install-tslab-kernel.mjs');
const TSLAB = join(ROOT, 'notebooks/.tslab/node_modules/.bin/tslab');
const scratch = mkdtempSync(join(tmpdir(), 'plex-tslab-kernel-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A PATH whose first python3 (and python) cannot import Jupyter, as a pyenv shim's cannot. */
function pathWithPythonWithoutJupyter(): string {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  for (const name of ['python3', 'python']) {
    const stub = join(bin, name);
    writeFileSync(stub, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'jupyter_client\'" >&2\nexit 1\n');
    chmodSync(stub, 0o755);
  }
  return `${bin}${delimiter}${process.env.PATH ?? ''}`;
}

function kernelArgv(prefix: string): string[] {
  return (JSON.parse(readFileSync(join(prefix, 'share/jupyter/kernels/tslab/kernel.json'), 'utf8')) as { argv: string[] }).argv;
}

describe('registering the tslab kernel', () => {
  const env = { ...process.env, PATH: pathWithPythonWithoutJupyter() };

  it('tslab install --python=python3 fails when the first python3 on PATH has no Jupyter (the trap)', () => {
    const prefix = mkdtempSync(join(scratch, 'naive-'));
    const result = spawnSync(TSLAB, ['install', '--python=python3', '--binary', TSLAB, `--prefix=${prefix}`], { env, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('jupyter_client');
  });

  it('the script registers it anyway, through the Python that runs jupyter, pointing at this checkout\'s tslab', () => {
    const prefix = mkdtempSync(join(scratch, 'prefix-'));
    const result = spawnSync(process.execPath, [SCRIPT, '--prefix', prefix], { cwd: ROOT, env, encoding: 'utf8' });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(kernelArgv(prefix)).toEqual([TSLAB, 'kernel', '--config-path', '{connection_file}']);
    // The interpreter it chose is named in what it ran, and it is not the stub.
    const python = /--python=(\S+)/.exec(result.stdout)?.[1];
    expect(python).toBeDefined();
    expect(spawnSync(python!, ['-c', 'import jupyter_client'], { encoding: 'utf8' }).status).toBe(0);
  });

  it('refuses an unknown argument with exit 2', () => {
    const result = spawnSync(process.execPath, [SCRIPT, '--user'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown argument --user/);
  });

  it('is the one way the README, notebooks/README.md and the test prerequisites register it', () => {
    for (const file of ['README.md', 'notebooks/README.md', 'scripts/test-prerequisites.mjs']) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, file).toContain('node scripts/install-tslab-kernel.mjs');
      expect(text, file).not.toMatch(/tslab install --python/);
    }
  });
});
