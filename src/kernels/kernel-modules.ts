import { builtActorWasm } from '../runtime/built-actors.js';
import { enableWasmFeatures, relaxedSimdSupported } from '../runtime/wasm-features.js';

export type KernelName = 'sgemm' | 'nbody';

export interface KernelBuild {
  /** The module name as built into dist/wasm, e.g. `shared-sgemm-relaxed`. */
  readonly file: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Built with relaxed SIMD (fused multiply-add where the CPU has it). */
  readonly relaxed: boolean;
}

/**
 * The build of a shared-memory kernel to run: the relaxed-SIMD one when it
 * exists and this engine compiles it (unless `relaxed: false`), else plain
 * SIMD128.
 */
export function kernelBuild(name: KernelName, options: { relaxed?: boolean } = {}): KernelBuild {
  const wantRelaxed = options.relaxed ?? true;
  if (wantRelaxed && relaxedSimdSupported()) {
    try {
      return { file: `shared-${name}-relaxed`, bytes: builtActorWasm(`shared-${name}-relaxed`), relaxed: true };
    } catch {
      // This kernel has no relaxed build: fall through to the plain one.
    }
  }
  return { file: `shared-${name}`, bytes: builtActorWasm(`shared-${name}`), relaxed: false };
}

/** Instantiates a kernel on `memory` in this thread, for single-thread runs and checks. */
export function instantiateKernel<T>(build: KernelBuild, memory: WebAssembly.Memory): T {
  enableWasmFeatures();
  const module = new WebAssembly.Module(build.bytes);
  // Called directly, a kernel has no actor around it: its host calls (the
  // Linda worker loop) answer "nothing", which ends such a loop at once.
  const plex: Record<string, () => number> = {};
  for (const entry of WebAssembly.Module.imports(module)) if (entry.module === 'plex' && entry.kind === 'function') plex[entry.name] = () => -1;
  const instance = new WebAssembly.Instance(module, { env: { memory }, plex });
  return instance.exports as T;
}

export interface SgemmExports {
  sgemm(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, work: number): void;
  sgemm_work_bytes(): number;
}

export interface NbodyExports {
  nbody_step(n: number, pin: number, pout: number, vel: number, mass: number, i0: number, i1: number, dtKick: number, dtDrift: number, eps2: number): void;
  nbody_energy(n: number, pos: number, vel: number, mass: number, i0: number, i1: number, eps2: number): number;
}
