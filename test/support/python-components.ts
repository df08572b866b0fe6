import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildPython, findPythonToolchain, PYTHON_SDK_DIR } from '../../src/polyglot/build-python.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Built components by content hash; under .plexspaces/, which git ignores. */
const CACHE_DIR = join(ROOT, '.plexspaces', 'python-components');

/**
 * A Python actor built into a component with `plexspaces build` (the SDK's
 * build through componentize-py, 10-20 s), cached by everything that goes
 * into it: the module's source, the actor chosen, the SDK's files (the WIT
 * among them) and componentize-py's version. A changed example or SDK builds again; an unchanged one is read back,
 * so a rerun of the suite and the test files sharing a module pay once.
 */
export async function buildPythonComponent(source: string, actor?: string, world?: string): Promise<Uint8Array> {
  const key = cacheKey(source, actor, world);
  const cached = join(CACHE_DIR, `${key}.wasm`);
  if (existsSync(cached)) return readFileSync(cached);
  mkdirSync(CACHE_DIR, { recursive: true });
  // Written under a temporary name and renamed, so a test file running the same build at the same time never reads half a file.
  const partial = join(CACHE_DIR, `${key}.${process.pid}.partial.wasm`);
  await buildPython(source, partial, { actor, world });
  renameSync(partial, cached);
  return readFileSync(cached);
}

function cacheKey(source: string, actor: string | undefined, world: string | undefined): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(source));
  hash.update(`\0actor=${actor ?? ''}\0world=${world ?? 'auto'}\0componentize-py=${componentizeVersion()}\0`);
  for (const file of filesUnder(join(PYTHON_SDK_DIR, 'plexspaces'))) {
    hash.update(file.slice(PYTHON_SDK_DIR.length));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 32);
}

let version: string | undefined;

function componentizeVersion(): string {
  if (version === undefined) {
    const { python, env } = findPythonToolchain();
    const probe = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("componentize-py"))'], { encoding: 'utf8', env });
    version = probe.status === 0 ? probe.stdout.trim() : 'unknown';
  }
  return version;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === '__pycache__') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Where the Python examples are (testReadme's examplesDir). */
export const PYTHON_EXAMPLES = 'examples/polyglot/python';
/** A README section that builds Python components: each build is 10-20 s, more on a loaded 2-core machine. */
export const PYTHON_EXAMPLE_TIMEOUT_MS = 240_000;
