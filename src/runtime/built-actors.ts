import { readFileSync } from 'node:fs';

/**
 * The bytes of an actor `npm run build` compiled into dist/wasm (the
 * AssemblyScript actors of src/wasm/actors, the C ones as `c-<name>`).
 * Resolved next to the compiled runtime (dist/runtime → dist/wasm); when
 * running from the TypeScript sources (tests), from dist/wasm as well.
 */
export function builtActorWasm(name: string): Uint8Array<ArrayBuffer> {
  const here = import.meta.url;
  const url = new URL(here.endsWith('.ts') ? `../../dist/wasm/${name}.wasm` : `../wasm/${name}.wasm`, here);
  try {
    return new Uint8Array(readFileSync(url));
  } catch (cause) {
    throw new Error(`${url.pathname} is missing: run npm run build first`, { cause });
  }
}
