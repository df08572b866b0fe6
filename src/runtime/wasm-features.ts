import { setFlagsFromString } from 'node:v8';

/**
 * Two WebAssembly proposals that Node 20's V8 only has behind flags:
 * extended-const, which QuickJS components (what `plexspaces build` makes)
 * use, and relaxed SIMD, whose fused multiply-add the kernels' `-relaxed`
 * builds use (both are on by default in newer engines). NODE_OPTIONS refuses
 * V8 flags, so the runtime sets them itself before compiling anything: on
 * the main thread (which compiles) and in each worker (which instantiates).
 * Harmless where the features are already on.
 */
let enabled = false;
export function enableWasmFeatures(): void {
  if (enabled) return;
  setFlagsFromString('--experimental-wasm-extended-const');
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  enabled = true;
}

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_MADD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

/** Whether this engine compiles relaxed SIMD (after `enableWasmFeatures`). */
export function relaxedSimdSupported(): boolean {
  enableWasmFeatures();
  return WebAssembly.validate(RELAXED_MADD_PROBE);
}
