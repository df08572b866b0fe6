import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildNative } from '../../src/polyglot/build-native.js';
import type { ReadmeStep } from './readme-commands.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BUILD = /^plexspaces build (\S+) -o (\S+)$/;

/**
 * A README handler (readme-commands.ts) for `plexspaces build SRC -o OUT`
 * of a C file, Go module or Cargo package: built from source with the
 * machine's compilers (src/polyglot/build-native.ts) into `work()`.
 */
export function nativeBuildHandler(work: () => string): Record<string, (step: ReadmeStep) => Promise<void>> {
  return {
    'plexspaces build ': async (step) => {
      const match = BUILD.exec(step.command);
      if (match === null) throw new Error(`${step.where}: expected plexspaces build SRC -o OUT, got ${step.command}`);
      writeFileSync(join(work(), match[2]), buildNative(join(ROOT, match[1])).wasm);
    },
  };
}
