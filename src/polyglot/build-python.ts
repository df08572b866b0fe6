/**
 * `plexspaces build actor.py`: runs the Python SDK's own build
 * (`python3 -m plexspaces.cli build`, sdks/python), which drives
 * componentize-py. Before the ~15 s build, each missing piece is named with
 * the command that installs it: the interpreter, the SDK, componentize-py.
 *
 * From a checkout, the SDK need not be installed: its sources
 * (sdks/python/src) go on PYTHONPATH. componentize-py must be installed for
 * the interpreter that runs the build (PyPI, a binary wheel).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { BuildFailedError, FileUnreadableError, ToolchainMissingError } from '../errors.js';
import { onPath } from './toolchains.js';

/** The checkout (or installed package) root: sdks/ lives there. */
const ROOT = resolve(import.meta.dirname, '..', '..');
/** The Python SDK's sources, put on PYTHONPATH when present. */
export const PYTHON_SDK_DIR = join(ROOT, 'sdks', 'python', 'src');

export const PYTHON_INSTALL_HINTS = {
  python: 'install Python 3.10 or later (Debian: apt-get install python3 python3-pip), or name one with PLEXSPACES_PYTHON=/path/to/python3',
  sdk: `pip install -e ${join(ROOT, 'sdks', 'python')}`,
  componentize: 'pip install componentize-py',
} as const;

export interface PythonBuildOptions {
  /** The actor class, when the module defines several (`--actor`). */
  readonly actor?: string;
  /** The world to build for (`--world`; default auto: the narrowest that covers what the actor uses). */
  readonly world?: string;
  /** The interpreter (default: $PLEXSPACES_PYTHON, else python3 on PATH). */
  readonly python?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface PythonBuild {
  readonly bytes: number;
  readonly millis: number;
  /** What the SDK's build printed (the actor, the size, the world, declared facets). */
  readonly report: string;
  /** The world the component was built for. */
  readonly world: string;
}

/** The interpreter a Python build runs with, with the SDK and componentize-py importable; throws ToolchainMissingError naming what is not. */
export function findPythonToolchain(options: PythonBuildOptions = {}): { python: string; env: NodeJS.ProcessEnv } {
  const base = options.env ?? process.env;
  const python = options.python ?? base.PLEXSPACES_PYTHON ?? onPath('python3', base);
  if (python === undefined) throw new ToolchainMissingError('python3', `building Python needs python3, which is not on PATH: ${PYTHON_INSTALL_HINTS.python}`);
  const env = pythonEnv(base);
  const probe = spawnSync(
    python,
    ['-c', 'import importlib.util as u, json, sys; print(json.dumps({"v": sys.version_info[:2], "sdk": u.find_spec("plexspaces") is not None, "cpy": u.find_spec("componentize_py") is not None}))'],
    { encoding: 'utf8', env },
  );
  if (probe.error !== undefined || probe.status !== 0) {
    throw new ToolchainMissingError('python3', `building Python needs a working python3; ${python} failed: ${probe.error?.message ?? probe.stderr.trim()}. ${PYTHON_INSTALL_HINTS.python}`);
  }
  const found = JSON.parse(probe.stdout) as { v: [number, number]; sdk: boolean; cpy: boolean };
  if (found.v[0] < 3 || (found.v[0] === 3 && found.v[1] < 10)) {
    throw new ToolchainMissingError('python3', `building Python needs Python 3.10 or later; ${python} is ${found.v.join('.')}: ${PYTHON_INSTALL_HINTS.python}`);
  }
  if (!found.sdk) throw new ToolchainMissingError('plexspaces', `the Python SDK (package plexspaces) is not importable by ${python}: ${PYTHON_INSTALL_HINTS.sdk}`);
  if (!found.cpy) {
    throw new ToolchainMissingError('componentize-py', `building Python needs componentize-py, which is not installed for ${python}: ${python} -m ${PYTHON_INSTALL_HINTS.componentize}`);
  }
  return { python, env };
}

/** Builds `source` (a .py actor module) into the component `out`. */
export async function buildPython(source: string, out: string, options: PythonBuildOptions = {}): Promise<PythonBuild> {
  if (!existsSync(source) || !statSync(source).isFile()) throw new FileUnreadableError(`cannot read ${source}: no such file`);
  const { python, env } = findPythonToolchain(options);
  const started = performance.now();
  const args = ['-m', 'plexspaces.cli', 'build', source, '-o', out, ...(options.actor === undefined ? [] : ['--actor', options.actor]), ...(options.world === undefined ? [] : ['--world', options.world])];
  const { code, stdout, stderr } = await run(python, args, env);
  if (code !== 0) throw new BuildFailedError(`building ${source} failed:\n${stderr.trim().replace(/^plexspaces-py: /, '')}`);
  const world = /component for world (\S+)/.exec(stdout)?.[1] ?? 'unknown';
  return { bytes: statSync(out).size, millis: performance.now() - started, report: stdout.trim(), world };
}

function pythonEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!existsSync(PYTHON_SDK_DIR)) return { ...base };
  const path = base.PYTHONPATH ? `${PYTHON_SDK_DIR}${delimiter}${base.PYTHONPATH}` : PYTHON_SDK_DIR;
  return { ...base, PYTHONPATH: path };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}
