import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The AssemblyScript actors `npm run build` puts in dist/wasm (see src/wasm/actors/). */
export function builtActor(name: 'counter' | 'probe' | 'simd-dot' | 'misbehaving' | 'space-user' | 'pinger' | 'shared-scale' | 'task-shard'): Uint8Array {
  const path = join(import.meta.dirname, '../../dist/wasm', `${name}.wasm`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new Error(`${path} is missing: run npm run build (npm ci does it) before the tests`, { cause });
  }
}
