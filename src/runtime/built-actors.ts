import { readFileSync } from 'node:fs';

/**
 * The bytes of an actor `npm run build` compiled into dist/wasm (the
 * AssemblyScript actors of src/wasm/actors, the C ones as `c-<name>`).
 * Resolved next to the compiled runtime, so it works from dist/ only.
 */
export function builtActorWasm(name: string): Uint8Array<ArrayBuffer> {
  const url = new URL(`../wasm/${name}.wasm`, import.meta.url);
  try {
    return new Uint8Array(readFileSync(url));
  } catch (cause) {
    throw new Error(`${url.pathname} is missing: run npm run build first`, { cause });
  }
}
