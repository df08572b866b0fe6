import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPython, findPythonToolchain, PYTHON_SDK_DIR } from '../../src/polyglot/build-python.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'plex-python-sdk-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function source(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

describe('the Python SDK (sdks/python)', () => {
  it('its own unit tests pass (decorators, dispatch, state, host with a fake world) in plain CPython', () => {
    const { python, env } = findPythonToolchain();
    const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', join(ROOT, 'sdks', 'python', 'tests'), '-t', join(ROOT, 'sdks', 'python', 'tests')], { encoding: 'utf8', env });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Ran \d+ tests[\s\S]*OK/);
  });

  it('bundles the same WIT as wit/', () => {
    for (const file of ['simple-actor.wit', 'coordination.wit']) {
      expect(readFileSync(join(PYTHON_SDK_DIR, 'plexspaces', 'wit', file), 'utf8')).toBe(readFileSync(join(ROOT, 'wit', file), 'utf8'));
    }
  });
});

describe('plexspaces build FILE.py: refusals before componentize-py runs', () => {
  it('a module with several actors needs --actor, which names the choices', async () => {
    const file = source('two.py', '@actor\nclass A:\n    pass\n\n@actor\nclass B:\n    pass\n');
    await expect(buildPython(file, join(work, 'two.wasm'))).rejects.toMatchObject({ code: 'PLEX_ERR_BUILD_FAILED', message: expect.stringMatching(/several actors \(A, B\): choose one with --actor NAME/) });
    await expect(buildPython(file, join(work, 'two.wasm'), { actor: 'C' })).rejects.toMatchObject({ message: expect.stringMatching(/no actor class 'C' \(its actors: A, B\)/) });
  });

  it('a module without an actor, with a syntax error, or with an unknown facet says so', async () => {
    await expect(buildPython(source('none.py', 'x = 1\n'), join(work, 'none.wasm'))).rejects.toMatchObject({ message: expect.stringMatching(/defines no actor: decorate a class with @actor/) });
    await expect(buildPython(source('broken.py', 'def f(:\n'), join(work, 'broken.wasm'))).rejects.toMatchObject({ message: expect.stringMatching(/broken\.py:1: syntax error/) });
    await expect(buildPython(source('facet.py', '@actor(facets=["turbo"])\nclass A:\n    pass\n'), join(work, 'facet.wasm'))).rejects.toMatchObject({
      message: expect.stringMatching(/unknown facet 'turbo': the node's facets are durability, virtual, metrics, logging, timer/),
    });
  });

  it('a missing source file is unreadable', async () => {
    await expect(buildPython(join(work, 'absent.py'), join(work, 'absent.wasm'))).rejects.toMatchObject({ code: 'PLEX_ERR_FILE_UNREADABLE' });
  });

  it('names componentize-py and the command that installs it when the interpreter lacks it', () => {
    // A stand-in interpreter that answers the toolchain probe as a Python without componentize-py would.
    const python = join(work, 'python-without-componentize');
    writeFileSync(python, '#!/bin/sh\necho \'{"v": [3, 11], "sdk": true, "cpy": false}\'\n');
    chmodSync(python, 0o755);
    expect(() => findPythonToolchain({ python })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_TOOLCHAIN_MISSING', tool: 'componentize-py', message: `building Python needs componentize-py, which is not installed for ${python}: ${python} -m pip install componentize-py` }));
  });

  it('npx plexspaces build FILE.py exits 1 with the missing tool and its install command', () => {
    const python = join(work, 'python-for-cli');
    writeFileSync(python, '#!/bin/sh\necho \'{"v": [3, 11], "sdk": true, "cpy": false}\'\n');
    chmodSync(python, 0o755);
    const cli = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'build', join(ROOT, 'examples/polyglot/python/counter/counter_actor.py'), '-o', join(work, 'cli.wasm')], {
      encoding: 'utf8',
      env: { ...process.env, PLEXSPACES_PYTHON: python },
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(`PLEX_ERR_TOOLCHAIN_MISSING: building Python needs componentize-py, which is not installed for ${python}: ${python} -m pip install componentize-py`);
  });

  it('names python3 when there is none on PATH, and an interpreter that is too old', () => {
    expect(() => findPythonToolchain({ env: { PATH: work } })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_TOOLCHAIN_MISSING', tool: 'python3' }));
    const old = join(work, 'python-old');
    writeFileSync(old, '#!/bin/sh\necho \'{"v": [3, 8], "sdk": true, "cpy": true}\'\n');
    chmodSync(old, 0o755);
    expect(() => findPythonToolchain({ python: old })).toThrow(/needs Python 3.10 or later; .* is 3.8/);
  });
});
