import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** native-bench/c/kernels.c, built three ways; whatever cannot be built is listed in `skipped` with the reason. */
export interface NativeBaselines {
  /** gcc -O3 -march=native */
  readonly native?: string;
  /** gcc -O3 (SSE2, the x86-64 baseline) */
  readonly portable?: string;
  /** clang --target=wasm32 -O3 -msimd128: the same source as wasm */
  readonly wasm?: Uint8Array<ArrayBuffer>;
  readonly skipped: string[];
}

const SOURCE = fileURLToPath(new URL('../../native-bench/c/kernels.c', import.meta.url));
const BUILD = fileURLToPath(new URL('../../native-bench/build/', import.meta.url));

export function buildNativeBaselines(): NativeBaselines {
  mkdirSync(BUILD, { recursive: true });
  const skipped: string[] = [];
  const gcc = (flags: string[], out: string): string | undefined => {
    const result = spawnSync('gcc', [...flags, '-o', join(BUILD, out), SOURCE, '-lm'], { encoding: 'utf8' });
    if (result.error || result.status !== 0) {
      skipped.push(`gcc ${flags.join(' ')}: ${result.error?.message ?? result.stderr.trim().split('\n')[0]}`);
      return undefined;
    }
    return join(BUILD, out);
  };
  const native = gcc(['-O3', '-march=native'], 'kernels-native');
  const portable = gcc(['-O3'], 'kernels-o3');
  let wasm: Uint8Array<ArrayBuffer> | undefined;
  const exports = ['sgemm_ikj', 'nbody_step', 'nbody_energy', '__heap_base'].map((name) => `-Wl,--export=${name}`);
  const clang = spawnSync('clang', ['--target=wasm32', '-O3', '-msimd128', '-nostdlib', '-Wl,--no-entry', ...exports, '-o', join(BUILD, 'kernels.wasm'), SOURCE], { encoding: 'utf8' });
  if (clang.error || clang.status !== 0) skipped.push(`clang → wasm32: ${clang.error?.message ?? clang.stderr.trim().split('\n')[0]} (Debian: apt-get install clang lld)`);
  else wasm = new Uint8Array(readFileSync(join(BUILD, 'kernels.wasm')));
  return { native, portable, wasm, skipped };
}

/** Runs a native build: `kernels sgemm N REPS` or `kernels nbody N STEPS`; its JSON line, parsed. */
export function runNative<T>(binary: string, kernel: 'sgemm' | 'nbody', n: number, reps: number): T {
  const result = spawnSync(binary, [kernel, String(n), String(reps)], { encoding: 'utf8', timeout: 600_000 });
  if (result.error || result.status !== 0) throw new Error(`${binary} ${kernel} ${n} failed: ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** numpy's float32 matmul (OpenBLAS or whatever numpy links), when `python3 -c "import numpy"` works. */
export function runNumpySgemm(n: number, reps: number): { seconds: number; maxRelError: number; blas: string } | { skipped: string } {
  const script = `
import json, sys, time
import numpy as np
n, reps = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(1)
a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
c = a @ b
best = 1e30
for _ in range(reps):
    t = time.perf_counter(); c = a @ b; best = min(best, time.perf_counter() - t)
i = rng.integers(0, n, 256); j = rng.integers(0, n, 256)
exact = np.einsum('ij,ji->i', a[i, :].astype(np.float64), b[:, j].astype(np.float64))
err = float(np.max(np.abs(c[i, j] - exact) / (np.abs(exact) + 1)))
try:
    blas = np.show_config(mode='dicts')['Build Dependencies']['blas']['name']
except Exception:
    blas = 'unknown'
print(json.dumps({'seconds': best, 'maxRelError': err, 'blas': blas}))
`;
  const result = spawnSync('python3', ['-c', script, String(n), String(reps)], { encoding: 'utf8', timeout: 600_000 });
  if (result.error) return { skipped: `python3: ${result.error.message}` };
  if (result.status !== 0) return { skipped: `numpy: ${result.stderr.trim().split('\n').at(-1)}` };
  return JSON.parse(result.stdout) as { seconds: number; maxRelError: number; blas: string };
}
