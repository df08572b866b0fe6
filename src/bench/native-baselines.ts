import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** native-bench/c/kernels.c, built three ways; whatever cannot be built is listed in `skipped` with the reason. */
export interface NativeBaselines {
  /** gcc -O3 -march=native */
  readonly native?: string;
  /** gcc -O3 -march=native -ffast-math: lets gcc vectorize n-body's square root and division (and reassociate sums) */
  readonly fastMath?: string;
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
  const fastMath = gcc(['-O3', '-march=native', '-ffast-math'], 'kernels-fast-math');
  const portable = gcc(['-O3'], 'kernels-o3');
  let wasm: Uint8Array<ArrayBuffer> | undefined;
  const exports = ['sgemm_ikj', 'nbody_step', 'nbody_energy', '__heap_base'].map((name) => `-Wl,--export=${name}`);
  const clang = spawnSync('clang', ['--target=wasm32', '-O3', '-msimd128', '-nostdlib', '-Wl,--no-entry', ...exports, '-o', join(BUILD, 'kernels.wasm'), SOURCE], { encoding: 'utf8' });
  if (clang.error || clang.status !== 0) skipped.push(`clang → wasm32: ${clang.error?.message ?? clang.stderr.trim().split('\n')[0]} (Debian: apt-get install clang lld)`);
  else wasm = new Uint8Array(readFileSync(join(BUILD, 'kernels.wasm')));
  return { native, fastMath, portable, wasm, skipped };
}

/** Runs a native build: `kernels sgemm N REPS` or `kernels nbody N STEPS`; its JSON line, parsed. */
export function runNative<T>(binary: string, kernel: 'sgemm' | 'sgemm-blocked' | 'nbody', n: number, reps: number): T {
  const result = spawnSync(binary, [kernel, String(n), String(reps)], { encoding: 'utf8', timeout: 600_000 });
  if (result.error || result.status !== 0) throw new Error(`${binary} ${kernel} ${n} failed: ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Where the bench installs numpy when the machine's python3 has none: its own venv, so no other Python changes. */
const BENCH_VENV = join(BUILD, 'python-venv');

/**
 * A python that has numpy and threadpoolctl, for the BLAS baseline: the
 * machine's python3 when it has both, else a venv of the bench's own
 * (native-bench/build/python-venv) into which they are installed from PyPI
 * once — a committed result must have the row, and installing into the
 * user's or the system's site-packages could shadow what other programs
 * use (a pip numpy breaks Debian's matplotlib). `{ missing }` says why not.
 */
export function numpyPython(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): { python: string } | { missing: string } {
  const has = (python: string) => spawnSync(python, ['-c', 'import numpy, threadpoolctl'], { encoding: 'utf8' }).status === 0;
  if (has('python3')) return { python: 'python3' };
  const venvPython = join(BENCH_VENV, 'bin', 'python');
  if (existsSync(venvPython) && has(venvPython)) return { python: venvPython };
  log(`numpy is missing: installing numpy and threadpoolctl into ${BENCH_VENV} for the BLAS baseline…`);
  const venv = spawnSync('python3', ['-m', 'venv', BENCH_VENV], { encoding: 'utf8' });
  if (venv.error || venv.status !== 0) return { missing: `cannot make a venv for numpy: ${(venv.stderr || venv.error?.message || '').trim().split('\n').at(-1)}` };
  const install = spawnSync(venvPython, ['-m', 'pip', 'install', '--quiet', 'numpy', 'threadpoolctl'], { encoding: 'utf8', timeout: 600_000 });
  if (install.status !== 0 || !has(venvPython)) return { missing: `cannot install numpy: ${(install.stderr || install.error?.message || 'import still fails').trim().split('\n').at(-1)}` };
  return { python: venvPython };
}

/**
 * numpy's float32 matmul (OpenBLAS or whatever numpy links) on `threads`
 * BLAS threads: threadpoolctl limits the pool and reports what it set (a
 * BLAS left alone uses every core, which would compare our one thread with
 * all of them). OPENBLAS_NUM_THREADS is set too, and OPENBLAS_CORETYPE /
 * OPENBLAS_L2_SIZE are unset for this command only, so OpenBLAS picks its
 * own kernel for this CPU.
 */
export function runNumpySgemm(n: number, reps: number, threads: number): { seconds: number; maxRelError: number; blas: string; threads: number } | { skipped: string } {
  const found = numpyPython();
  if ('missing' in found) return { skipped: found.missing };
  const script = `
import json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits, threadpool_info
n, reps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
with threadpool_limits(limits=threads, user_api='blas'):
    used = [p['num_threads'] for p in threadpool_info() if p.get('user_api') == 'blas']
    c = a @ b
    best = 1e30
    for _ in range(reps):
        t = time.perf_counter(); c = a @ b; best = min(best, time.perf_counter() - t)
i = rng.integers(0, n, 256); j = rng.integers(0, n, 256)
exact = np.einsum('ij,ji->i', a[i, :].astype(np.float64), b[:, j].astype(np.float64))
err = float(np.max(np.abs(c[i, j] - exact) / (np.abs(exact) + 1)))
blas = next((p.get('internal_api') or p.get('prefix') for p in threadpool_info() if p.get('user_api') == 'blas'), 'unknown')
print(json.dumps({'seconds': best, 'maxRelError': err, 'blas': blas, 'threads': max(used) if used else -1}))
`;
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const result = spawnSync(found.python, ['-c', script, String(n), String(reps), String(threads)], { encoding: 'utf8', timeout: 600_000, env });
  if (result.error) return { skipped: `python3: ${result.error.message}` };
  if (result.status !== 0) return { skipped: `numpy: ${result.stderr.trim().split('\n').at(-1)}` };
  const parsed = JSON.parse(result.stdout) as { seconds: number; maxRelError: number; blas: string; threads: number };
  if (parsed.threads !== threads) return { skipped: `numpy's BLAS runs ${parsed.threads} threads, not the ${threads} asked: no fair row` };
  return parsed;
}
