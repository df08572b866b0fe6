import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, shown } from '../errors.js';
import type { SweepContext } from './sweep-context.js';
import type { SweepSpec } from './sweep-spec.js';

/**
 * Loads a sweep file: an ES module whose default export (or `sweep` export) is
 * a sweep spec (docs/sweeps.md). Shared by `plexspaces sweep` and notebooks, so
 * that a file the CLI runs runs the same from a notebook cell. The spec is
 * checked in full when it runs (resolveSweepSpec); here only that there is one.
 */
export async function loadSweepFile(file: string): Promise<SweepSpec<unknown, SweepContext>> {
  const path = resolve(file);
  // Checked before the import: a missing file and a file whose own import is missing both
  // surface as ERR_MODULE_NOT_FOUND, and only the first is "no such sweep file".
  if (!existsSync(path)) throw new InvalidArgumentError(`no sweep file at ${path}`);
  let module: { default?: unknown; sweep?: unknown };
  try {
    // A real dynamic import, kept as one in the CommonJS notebook bundle: sweep files are ES modules.
    module = (await import(pathToFileURL(path).href)) as typeof module;
  } catch (error) {
    throw new InvalidArgumentError(`cannot load the sweep file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const spec = module.default ?? module.sweep;
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError(`${file} must export a sweep spec as its default export (an object: name, grid, run, …), got ${shown(spec)}`);
  return spec as SweepSpec<unknown, SweepContext>;
}
