import { componentize } from '@bytecodealliance/componentize-js';
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidModuleError } from '../errors.js';

export interface BuildActorResult {
  readonly component: Uint8Array;
  readonly bundleBytes: number;
  readonly millis: number;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The package root, from src/sdk or dist/sdk alike. */
const packageRoot = resolve(here, '..', '..');

/**
 * Builds an SDK actor (a module whose default export is a
 * `PlexSpacesActor` subclass) into a component for the
 * `plexspaces:simple-actor@0.1.0` world: esbuild bundles it with the SDK
 * into one ES module (the world's host import stays external), then
 * componentize-js turns that into a component.
 */
export async function buildActor(entry: string): Promise<BuildActorResult> {
  const started = performance.now();
  const source = resolve(entry);
  const work = mkdtempSync(join(tmpdir(), 'plexspaces-build-'));
  try {
    const bundlePath = join(work, 'actor.js');
    const sdk = join(packageRoot, here.includes(`${join('dist', 'sdk')}`) ? 'dist/sdk/index.js' : 'src/sdk/index.ts');
    const result = await build({
      stdin: {
        contents: `import Actor from ${JSON.stringify(source)};\nimport { exportActor } from 'plexspaces/sdk';\nexport const actor = exportActor(Actor);\n`,
        resolveDir: dirname(source),
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      outfile: bundlePath,
      external: ['plexspaces:*'],
      alias: { 'plexspaces/sdk': sdk },
      logLevel: 'silent',
      write: true,
    }).catch((cause: Error) => {
      throw new InvalidModuleError(`cannot bundle ${entry}: ${cause.message}`, { cause });
    });
    if (result.errors.length > 0) throw new InvalidModuleError(`cannot bundle ${entry}: ${result.errors.map((e) => e.text).join('; ')}`);
    const { component } = await componentize({
      sourcePath: bundlePath,
      witPath: join(packageRoot, 'wit', 'simple-actor.wit'),
      worldName: 'actor-world',
      disableFeatures: ['http', 'fetch-event'],
    }).catch((cause: Error) => {
      throw new InvalidModuleError(`cannot componentize ${entry}: ${cause.message}`, { cause });
    });
    const { size } = await import('node:fs').then((fs) => fs.statSync(bundlePath));
    return { component, bundleBytes: size, millis: performance.now() - started };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds and writes the component to `out`. */
export async function buildActorTo(entry: string, out: string): Promise<BuildActorResult> {
  const result = await buildActor(entry);
  writeFileSync(out, result.component);
  return result;
}
