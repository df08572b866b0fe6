import type * as TS from 'typescript';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidModuleError } from '../errors.js';

/**
 * The TypeScript compiler, loaded when a build needs it (the finder always,
 * the type check unless `--no-check`), so importing the SDK's build costs
 * nothing until then.
 */
export async function loadTypeScript(): Promise<typeof TS> {
  try {
    // typescript is CommonJS: from ESM its API is the default export.
    const module = (await import('typescript')) as unknown as { default?: typeof TS } & typeof TS;
    return module.default ?? module;
  } catch (cause) {
    throw new InvalidModuleError('plexspaces build needs the typescript package (a dependency of plexspaces; reinstall it, or npm install typescript)', { cause });
  }
}

/**
 * Where the SDK's types are, for each name an actor may import it by. From
 * an installed package (dist/) these are the declaration files; in this
 * repository (src/) the sources, plus the world's ambient module types they
 * import.
 */
export function sdkTypePaths(packageRoot: string, fromDist: boolean): { paths: Record<string, string[]>; extraRoots: string[] } {
  const dir = join(packageRoot, fromDist ? 'dist/sdk' : 'src/sdk');
  const ext = fromDist ? '.d.ts' : '.ts';
  const index = join(dir, `index${ext}`);
  const coordination = join(dir, `coordination${ext}`);
  const platform = join(dir, `platform${ext}`);
  const world = join(packageRoot, 'src/sdk/host-world.d.ts');
  return {
    paths: {
      '@plexspaces/sdk': [index],
      '@plexspaces/sdk/coordination': [coordination],
      'plexspaces/sdk': [index],
      'plexspaces/sdk/coordination': [coordination],
      '@plexspaces/sdk/platform': [platform],
      'plexspaces/sdk/platform': [platform],
    },
    extraRoots: !fromDist && existsSync(world) ? [world] : [],
  };
}

/**
 * Type-checks an actor module the way the actor runs: strict, ES2022 with no
 * DOM and no Node types (a component has neither), bundler resolution (what
 * esbuild does next), and the SDK under its import names. Throws
 * `InvalidModuleError` carrying tsc's diagnostics, formatted as tsc prints
 * them (`file(line,col): error TSxxxx: …`).
 */
export function typeCheckActor(ts: typeof TS, source: string, sdk: { paths: Record<string, string[]>; extraRoots: string[] }): void {
  const options: TS.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'],
    types: [],
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    esModuleInterop: true,
    forceConsistentCasingInFileNames: true,
    paths: sdk.paths,
  };
  const program = ts.createProgram({ rootNames: [source, ...sdk.extraRoots], options });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
  if (errors === 0) return;
  const text = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => '\n',
  });
  throw new InvalidModuleError(`${source} does not type-check (${errors} error${errors === 1 ? '' : 's'}; build with --no-check to skip):\n${text.trimEnd()}`);
}
