import { setFlagsFromString } from 'node:v8';

/**
 * QuickJS components (what `plexspaces build` makes) use the extended-const
 * proposal, which Node 20's V8 only has behind a flag. NODE_OPTIONS refuses
 * V8 flags, so the runtime sets it itself, before compiling any component:
 * on the main thread (which compiles) and in each worker (which
 * instantiates). Harmless where the feature is already on.
 */
let enabled = false;
export function enableWasmFeatures(): void {
  if (enabled) return;
  setFlagsFromString('--experimental-wasm-extended-const');
  enabled = true;
}
