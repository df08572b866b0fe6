import { performance } from 'node:perf_hooks';
import { multiply } from 'mathjs';
import { JOVIAN_PUBLISHED_1000, runJovian } from '../kernels/jovian.js';
import { instantiateKernel, kernelBuild, type NbodyExports, type SgemmExports } from '../kernels/kernel-modules.js';
import { fillMatrix, runMatmul, type MatmulMode } from '../kernels/matmul.js';
import { coldSphere, runNbody } from '../kernels/nbody.js';
import { exactEntry, sampledError } from '../kernels/sgemm-check.js';
import { SharedArena } from '../kernels/shared-arena.js';
import { relaxedSimdSupported } from '../runtime/wasm-features.js';
import { buildNativeBaselines, runNative, runNumpySgemm, type NativeBaselines } from './native-baselines.js';
import { linkBaselines, newReport, round, type BenchReport, type BenchResult } from './report.js';
import { barChartSvg } from './svg-chart.js';
import { threadCeiling } from './thread-ceiling.js';
import type { SuiteOptions } from './tuplespace-suite.js';

/**
 * `plexspaces bench kernels`: single-thread SGEMM and n-body against native
 * C (gcc -O3 -march=native, gcc -O3), the same C compiled to wasm, plain JS,
 * mathjs and numpy, in one run; the Jovian oracle; then the parallel drivers
 * at 1 and 2 workers. Every figure carries a correctness check.
 */
export async function runKernelsSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('kernels', quick);
  log('building the native baselines…');
  const baselines = buildNativeBaselines();
  for (const reason of baselines.skipped) report.notes.push(`skipped ${reason}`);
  report.notes.push(`relaxed SIMD (FMA) ${relaxedSimdSupported() ? 'available: the "wasm-relaxed" rows use it' : 'not available in this engine'}.`);

  const sizes = quick ? [256, 512] : [256, 512, 1024];
  const sgemmRows: BenchResult[] = [];
  for (const n of sizes) {
    log(`sgemm ${n}…`);
    sgemmRows.push(...sgemmAt(n, quick, baselines));
  }
  report.results.push(...sgemmRows);

  const bodies = quick ? 2048 : 4096;
  log(`n-body ${bodies} bodies…`);
  report.results.push(...nbodySingleThread(bodies, quick ? 2 : 4, baselines));

  log('Jovian 5-body oracle…');
  const jovian = runJovian(1000);
  const matches = jovian.before === JOVIAN_PUBLISHED_1000.before && jovian.after === JOVIAN_PUBLISHED_1000.after;
  const longRun = runJovian(quick ? 100_000 : 1_000_000);
  report.results.push({
    id: `jovian.wasm-f64.${longRun.steps}-steps`,
    value: round(longRun.seconds * 1000, 1),
    unit: 'ms',
    check: `1000 steps: ${jovian.before} / ${jovian.after} ${matches ? '= published output' : `≠ published ${JOVIAN_PUBLISHED_1000.before} / ${JOVIAN_PUBLISHED_1000.after}`}`,
  });

  log('parallel drivers at 1 and 2 workers…');
  const scaling = await parallelScaling(quick, log);
  report.results.push(...scaling.results);

  report.notes.push(
    'sgemm: best of several runs after warm-up; ours is the register-blocked kernel of src/wasm/actors/shared/sgemm.ts; "c-ikj" rows are the i-k-j loop of native-bench/c/kernels.c; errors are max |C − C64| / (|C64| + 1) over sampled entries against float64.',
    'n-body: direct sum, float32, softening 0.01, leapfrog; the check is the relative energy change over the run (float64 energies) and agreement with our kernel.',
    'Parallel rows: best of 3 runs (1 in --quick) at 1 and at 2 workers on this 2-core machine; speedup = time(1) / time(2). Single runs vary by ±25% here, which is also why a speedup can exceed the raw-threads figure.',
    'Ratios: the relaxed-SIMD SGEMM rows are compared with numpy\'s BLAS held to one thread by threadpoolctl, the SIMD128 rows with the faster C kernel of the run (i-k-j or register-blocked, gcc -O3 -march=native), the clang-wasm rows with the same i-k-j C built by gcc -march=native; the n-body row with the faster of the strict and -ffast-math C builds; the parallel matmul rows with numpy\'s BLAS on the same 2 threads.',
  );
  linkBaselines(report);
  report.charts = [
    { name: 'sgemm', svg: sgemmChart(sgemmRows, sizes) },
    { name: 'scaling', svg: scaling.chart },
  ];
  return report;
}

// ── SGEMM ──────────────────────────────────────────────────────────────────

/** Max relative error of 256 sampled entries of `c` against a float64 product. */
function sgemmError(n: number, a: Float32Array, b: Float32Array, c: ArrayLike<number>): number {
  return sampledError(n, a, b, c, 256, 1234);
}

function best(reps: number, run: () => void): number {
  let fastest = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return fastest / 1000;
}

function gflops(n: number, seconds: number): number {
  return round((2 * n ** 3) / seconds / 1e9, 2);
}

function sgemmAt(n: number, quick: boolean, baselines: NativeBaselines): BenchResult[] {
  const results: BenchResult[] = [];
  const reps = quick ? 3 : 7;
  const nativeId = `sgemm.c-ikj-gcc-native.${n}`;
  // numpy's BLAS on one thread is the reference the relaxed (best) kernel is compared with; the plain one
  // with the better of the two C kernels (see the end). A BLAS left alone would use every core.
  const numpy = runNumpySgemm(n, reps, 1);
  const numpyRow = numpyResult(`sgemm.numpy-${'skipped' in numpy ? 'blas' : numpy.blas}-1-thread.${n}`, n, numpy);
  const blasId = numpyRow.value > 0 ? numpyRow.id : undefined;
  // Ours, plain SIMD128 and relaxed SIMD, on a shared memory as the actors run it.
  for (const relaxed of [false, true]) {
    const build = kernelBuild('sgemm', { relaxed });
    if (relaxed && !build.relaxed) continue;
    const arena = new SharedArena();
    const [a, b, c] = [0, 1, 2].map(() => arena.allocate(n * n * 4));
    const kernel = instantiateKernel<SgemmExports>(build, arena.memory);
    const work = arena.allocate(kernel.sgemm_work_bytes());
    fillMatrix(arena.float32(a, n * n), 1);
    fillMatrix(arena.float32(b, n * n), 2);
    for (let r = 0; r < 30; r++) kernel.sgemm(64, 64, 64, a, n, b, n, c, n, work); // tier up (see matmul.ts)
    kernel.sgemm(n, n, n, a, n, b, n, c, n, work);
    const seconds = best(reps, () => kernel.sgemm(n, n, n, a, n, b, n, c, n, work));
    const error = sgemmError(n, arena.float32(a, n * n), arena.float32(b, n * n), arena.float32(c, n * n));
    results.push({
      id: `sgemm.${relaxed ? 'wasm-relaxed' : 'wasm-simd128'}.${n}`,
      value: gflops(n, seconds),
      unit: 'GFLOP/s',
      baseline: relaxed ? (blasId ?? (baselines.native ? nativeId : undefined)) : undefined, // simd128's: set below, the faster C
      check: `maxRelErr=${error.toExponential(1)}`,
      target: n === 1024 ? '≥ 40' : undefined,
    });
  }
  const a = new Float32Array(n * n);
  const b = new Float32Array(n * n);
  fillMatrix(a, 1);
  fillMatrix(b, 2);
  const corner = [exactEntry(n, a, b, 0, 0), exactEntry(n, a, b, n - 1, n - 1)];
  const cornerError = (c00: number, cLast: number) => Math.max(Math.abs(c00 - corner[0]) / (Math.abs(corner[0]) + 1), Math.abs(cLast - corner[1]) / (Math.abs(corner[1]) + 1));
  for (const [label, binary] of [['gcc-native', baselines.native], ['gcc-O3', baselines.portable]] as const) {
    if (binary === undefined) continue;
    const run = runNative<{ seconds: number; c00: number; cLast: number }>(binary, 'sgemm', n, reps);
    results.push({ id: `sgemm.c-ikj-${label}.${n}`, value: gflops(n, run.seconds), unit: 'GFLOP/s', check: `C[0,0], C[n-1,n-1] maxRelErr=${cornerError(run.c00, run.cLast).toExponential(1)}` });
  }
  if (baselines.native !== undefined) {
    const run = runNative<{ seconds: number; c00: number; cLast: number }>(baselines.native, 'sgemm-blocked', n, reps);
    results.push({ id: `sgemm.c-blocked-gcc-native.${n}`, value: gflops(n, run.seconds), unit: 'GFLOP/s', check: `C[0,0], C[n-1,n-1] maxRelErr=${cornerError(run.c00, run.cLast).toExponential(1)}; 4×32 register tiles over blocks of 512 k` });
  }
  // The plain SIMD128 kernel against the stronger C kernel of this run (i-k-j or blocked).
  const strongestC = results.filter((r) => r.id.startsWith('sgemm.c-') && r.id.includes('gcc-native') && r.value > 0).sort((x, y) => y.value - x.value)[0];
  const simd128 = results.findIndex((r) => r.id === `sgemm.wasm-simd128.${n}`);
  if (simd128 >= 0 && strongestC !== undefined) results[simd128] = { ...results[simd128], baseline: strongestC.id };
  if (baselines.wasm !== undefined) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(baselines.wasm), {});
    const { memory, sgemm_ikj, __heap_base } = instance.exports as { memory: WebAssembly.Memory; sgemm_ikj: (n: number, a: number, b: number, c: number) => void; __heap_base: WebAssembly.Global };
    const base = Math.ceil((__heap_base.value as number) / 64) * 64;
    const need = base + 3 * n * n * 4;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    const [pa, pb, pc] = [base, base + n * n * 4, base + 2 * n * n * 4];
    new Float32Array(memory.buffer, pa, n * n).set(a);
    new Float32Array(memory.buffer, pb, n * n).set(b);
    sgemm_ikj(n, pa, pb, pc);
    const seconds = best(reps, () => sgemm_ikj(n, pa, pb, pc));
    results.push({ id: `sgemm.c-ikj-clang-wasm.${n}`, value: gflops(n, seconds), unit: 'GFLOP/s', baseline: baselines.native ? `sgemm.c-ikj-gcc-native.${n}` : undefined, check: `maxRelErr=${sgemmError(n, a, b, new Float32Array(memory.buffer, pc, n * n)).toExponential(1)}` });
  }
  // Plain JS, the i-k-j loop on Float32Array.
  const c = new Float32Array(n * n);
  const jsSeconds = best(quick || n >= 1024 ? 1 : 3, () => {
    c.fill(0);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        const aik = a[i * n + k];
        const row = i * n;
        const bk = k * n;
        for (let j = 0; j < n; j++) c[row + j] += aik * b[bk + j];
      }
    }
  });
  results.push({ id: `sgemm.js-ikj.${n}`, value: gflops(n, jsSeconds), unit: 'GFLOP/s', check: `maxRelErr=${sgemmError(n, a, b, c).toExponential(1)}` });
  // mathjs on nested arrays (what a JS user reaches for); too slow beyond 512 to run in every bench.
  if (n <= 512) {
    const rowsOf = (m: Float32Array) => Array.from({ length: n }, (_, i) => Array.from(m.subarray(i * n, (i + 1) * n)));
    const [ma, mb] = [rowsOf(a), rowsOf(b)];
    let product: number[][] = [];
    const seconds = best(1, () => {
      product = multiply(ma, mb) as number[][];
    });
    results.push({ id: `sgemm.mathjs.${n}`, value: gflops(n, seconds), unit: 'GFLOP/s', check: `maxRelErr=${sgemmError(n, a, b, product.flat()).toExponential(1)} (float64 arithmetic)` });
  }
  results.push(numpyRow);
  return results;
}

/** A numpy row, or the same row at 0 saying loudly why it is missing (the report keeps every row). */
function numpyResult(id: string, n: number, run: ReturnType<typeof runNumpySgemm>): BenchResult {
  if ('skipped' in run) {
    process.stderr.write(`MISSING baseline ${id}: ${run.skipped}\n`);
    return { id, value: 0, unit: 'GFLOP/s', check: `MISSING: ${run.skipped}` };
  }
  return { id, value: gflops(n, run.seconds), unit: 'GFLOP/s', check: `maxRelErr=${run.maxRelError.toExponential(1)} (its own random inputs); ${run.threads} BLAS thread(s), set by threadpoolctl` };
}

function sgemmChart(rows: BenchResult[], sizes: number[]): string {
  const implementations = [...new Set(rows.map((r) => r.id.split('.')[1]))];
  return barChartSvg({
    title: 'SGEMM, one thread: GFLOP/s by implementation and size',
    unit: 'GFLOP/s',
    groups: sizes.map((n) => `${n}×${n}`),
    series: implementations.map((name) => ({ name, values: sizes.map((n) => rows.find((r) => r.id === `sgemm.${name}.${n}` && r.value > 0)?.value) })),
    reference: { value: 40, label: 'target 40' },
  });
}

// ── n-body ─────────────────────────────────────────────────────────────────

interface NbodyState {
  n: number;
  positions: Float32Array;
  masses: Float32Array;
}

/** The same cold uniform sphere as the drivers and native-bench/c/kernels.c. */
function sphere(n: number): NbodyState {
  return { n, ...coldSphere(n) };
}

function nbodySingleThread(n: number, steps: number, baselines: NativeBaselines): BenchResult[] {
  const results: BenchResult[] = [];
  const eps2 = 1e-4;
  const dt = 0.001;
  const start = sphere(n);
  const interactions = n * n * (steps + 1);
  // Ours.
  const arena = new SharedArena();
  const p = [arena.allocate(12 * n), arena.allocate(12 * n)];
  const vel = arena.allocate(12 * n);
  const mass = arena.allocate(4 * n);
  const kernel = instantiateKernel<NbodyExports>(kernelBuild('nbody'), arena.memory);
  const reset = () => {
    arena.float32(p[0], 3 * n).set(start.positions);
    arena.float32(vel, 3 * n).fill(0);
  };
  arena.float32(mass, n).set(start.masses);
  reset();
  for (let r = 0; r < 30; r++) kernel.nbody_step(n, p[0], p[1], vel, mass, 0, 64, 0, 0, eps2); // tier up
  reset();
  const energyStart = kernel.nbody_energy(n, p[0], vel, mass, 0, n, eps2);
  let current = 0;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    kernel.nbody_step(n, p[current], p[1 - current], vel, mass, 0, n, s === 0 ? dt / 2 : dt, dt, eps2);
    current = 1 - current;
  }
  kernel.nbody_step(n, p[current], p[1 - current], vel, mass, 0, n, dt / 2, 0, eps2);
  const seconds = (performance.now() - t0) / 1000;
  const ours = kernel.nbody_energy(n, p[1 - current], vel, mass, 0, n, eps2);
  const drift = (e1: number, e0: number) => (Math.abs(e1 - e0) / Math.abs(e0)).toExponential(1);
  results.push({
    id: `nbody.wasm-simd128.${n}`,
    value: round(interactions / seconds / 1e6, 1),
    unit: 'M interactions/s',
    baseline: undefined, // set below: the faster native C build
    check: `energy drift ${drift(ours, energyStart)} over ${steps + 1} steps`,
    target: '≥ 1000 (one core)',
  });
  // Strict IEEE and -ffast-math (gcc then vectorizes the square root and the division): our row is compared with the faster.
  for (const [label, binary] of [['gcc-native', baselines.native], ['gcc-native-fast-math', baselines.fastMath], ['gcc-O3', baselines.portable]] as const) {
    if (binary === undefined) continue;
    const run = runNative<{ seconds: number; energyStart: number; energyEnd: number }>(binary, 'nbody', n, steps);
    results.push({
      id: `nbody.c-${label}.${n}`,
      value: round(interactions / run.seconds / 1e6, 1),
      unit: 'M interactions/s',
      check: `energy drift ${drift(run.energyEnd, run.energyStart)}; final energy vs ours ${(Math.abs(run.energyEnd - ours) / Math.abs(ours)).toExponential(1)}`,
    });
  }
  if (baselines.wasm !== undefined) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(baselines.wasm), {});
    const ex = instance.exports as {
      memory: WebAssembly.Memory;
      __heap_base: WebAssembly.Global;
      nbody_step: (n: number, pin: number, pout: number, vel: number, mass: number, k: number, d: number, e: number) => void;
      nbody_energy: (n: number, pos: number, vel: number, mass: number, e: number) => number;
    };
    const base = Math.ceil((ex.__heap_base.value as number) / 64) * 64;
    const need = base + 40 * n;
    if (ex.memory.buffer.byteLength < need) ex.memory.grow(Math.ceil((need - ex.memory.buffer.byteLength) / 65536));
    const [q0, q1, v, m] = [base, base + 12 * n, base + 24 * n, base + 36 * n];
    new Float32Array(ex.memory.buffer, q0, 3 * n).set(start.positions);
    new Float32Array(ex.memory.buffer, m, n).set(start.masses);
    const e0 = ex.nbody_energy(n, q0, v, m, eps2);
    const t1 = performance.now();
    let [cur, next] = [q0, q1];
    for (let s = 0; s < steps; s++) {
      ex.nbody_step(n, cur, next, v, m, s === 0 ? dt / 2 : dt, dt, eps2);
      [cur, next] = [next, cur];
    }
    ex.nbody_step(n, cur, next, v, m, dt / 2, 0, eps2);
    const wasmSeconds = (performance.now() - t1) / 1000;
    const e1 = ex.nbody_energy(n, next, v, m, eps2);
    results.push({ id: `nbody.c-clang-wasm.${n}`, value: round(interactions / wasmSeconds / 1e6, 1), unit: 'M interactions/s', check: `energy drift ${drift(e1, e0)}; final energy vs ours ${(Math.abs(e1 - ours) / Math.abs(ours)).toExponential(1)}` });
  }
  // Plain JS on Float32Array.
  const pos = [start.positions.slice(), new Float32Array(3 * n)];
  const velocity = new Float32Array(3 * n);
  const jsStep = (pin: Float32Array, pout: Float32Array, dtKick: number, dtDrift: number) => {
    for (let i = 0; i < n; i++) {
      const xi = pin[i], yi = pin[n + i], zi = pin[2 * n + i];
      let ax = 0, ay = 0, az = 0;
      for (let j = 0; j < n; j++) {
        const dx = pin[j] - xi, dy = pin[n + j] - yi, dz = pin[2 * n + j] - zi;
        const r2 = dx * dx + dy * dy + dz * dz + eps2;
        const s = start.masses[j] / (r2 * Math.sqrt(r2));
        ax += dx * s;
        ay += dy * s;
        az += dz * s;
      }
      velocity[i] += ax * dtKick;
      velocity[n + i] += ay * dtKick;
      velocity[2 * n + i] += az * dtKick;
      pout[i] = xi + velocity[i] * dtDrift;
      pout[n + i] = yi + velocity[n + i] * dtDrift;
      pout[2 * n + i] = zi + velocity[2 * n + i] * dtDrift;
    }
  };
  const t2 = performance.now();
  let which = 0;
  for (let s = 0; s < steps; s++) {
    jsStep(pos[which], pos[1 - which], s === 0 ? dt / 2 : dt, dt);
    which = 1 - which;
  }
  jsStep(pos[which], pos[1 - which], dt / 2, 0);
  const jsSeconds = (performance.now() - t2) / 1000;
  // Energy of the JS result through our kernel's float64 energy, on a copy.
  arena.float32(p[0], 3 * n).set(pos[1 - which]);
  arena.float32(vel, 3 * n).set(velocity);
  const jsEnergy = kernel.nbody_energy(n, p[0], vel, mass, 0, n, eps2);
  results.push({ id: `nbody.js.${n}`, value: round(interactions / jsSeconds / 1e6, 1), unit: 'M interactions/s', check: `final energy vs ours ${(Math.abs(jsEnergy - ours) / Math.abs(ours)).toExponential(1)}` });
  const fastestC = results.filter((r) => r.id.startsWith('nbody.c-gcc-native') && r.value > 0).sort((x, y) => y.value - x.value)[0];
  const wasmRow = results.findIndex((r) => r.id === `nbody.wasm-simd128.${n}`);
  if (wasmRow >= 0 && fastestC !== undefined) results[wasmRow] = { ...results[wasmRow], baseline: fastestC.id };
  return results;
}

// ── parallel drivers ───────────────────────────────────────────────────────

async function bestOf<T extends { seconds: number }>(repeats: number, run: () => Promise<T>): Promise<T> {
  let fastest: T | undefined;
  for (let r = 0; r < repeats; r++) {
    const result = await run();
    if (fastest === undefined || result.seconds < fastest.seconds) fastest = result;
  }
  return fastest!;
}

/** The raw-threads ceiling for the matmul: each thread multiplies its rows, nothing else. */
async function matmulCeiling(n: number, repeats: number): Promise<number> {
  const build = kernelBuild('sgemm');
  const arena = new SharedArena();
  const [a, b, c] = [0, 1, 2].map(() => arena.allocate(n * n * 4));
  const probe = instantiateKernel<SgemmExports>(build, arena.memory);
  const work = [0, 1].map(() => arena.allocate(probe.sgemm_work_bytes()));
  fillMatrix(arena.float32(a, n * n), 1);
  fillMatrix(arena.float32(b, n * n), 2);
  const module = new WebAssembly.Module(build.bytes);
  const rowsOf = (t: number, threads: number) => Math.floor((n * t) / threads / 4) * 4;
  const { speedup } = await threadCeiling(
    module,
    arena.memory,
    {
      warmUp: Array.from({ length: 30 }, () => ['sgemm', [64, 64, 64, a, n, b, n, c, n, work[0]]] as const),
      callsFor: (t, threads) => {
        const r0 = rowsOf(t, threads);
        const r1 = t === threads - 1 ? n : rowsOf(t + 1, threads);
        return [['sgemm', [r1 - r0, n, n, a + r0 * n * 4, n, b, n, c + r0 * n * 4, n, work[t]]]];
      },
    },
    2,
    repeats,
  );
  return speedup;
}

/** The raw-threads ceiling for the n-body: each thread steps its bodies, no barrier. */
async function nbodyCeiling(bodies: number, steps: number, repeats: number): Promise<number> {
  const n = Math.ceil(bodies / 4) * 4;
  const arena = new SharedArena();
  const p = [arena.allocate(12 * n), arena.allocate(12 * n)];
  const vel = arena.allocate(12 * n);
  const mass = arena.allocate(4 * n);
  const start = sphere(n);
  arena.float32(p[0], 3 * n).set(start.positions);
  arena.float32(mass, n).set(start.masses);
  const module = new WebAssembly.Module(kernelBuild('nbody').bytes);
  const { speedup } = await threadCeiling(
    module,
    arena.memory,
    {
      warmUp: Array.from({ length: 30 }, () => ['nbody_step', [n, p[0], p[1], vel, mass, 0, 64, 0, 0, 1e-4]] as const),
      callsFor: (t, threads) =>
        Array.from({ length: steps }, (_, s) => ['nbody_step', [n, p[s % 2], p[1 - (s % 2)], vel, mass, Math.floor((n * t) / threads), Math.floor((n * (t + 1)) / threads), 0.001, 0.001, 1e-4]] as const),
    },
    2,
    repeats,
  );
  return speedup;
}

async function parallelScaling(quick: boolean, log: (line: string) => void): Promise<{ results: BenchResult[]; chart: string }> {
  const results: BenchResult[] = [];
  const groups: string[] = [];
  const ours: number[] = [];
  const ceilings: number[] = [];
  const repeats = quick ? 1 : 3;
  const n = quick ? 1024 : 2048;
  log(`  raw-threads ceiling, matmul ${n}…`);
  const matmulLimit = await matmulCeiling(n, repeats);
  results.push({ id: `matmul.raw-threads.${n}.speedup-2-vs-1`, value: round(matmulLimit, 2), unit: '×', check: 'the same kernel on 2 bare worker_threads, half the rows each: what this machine gives' });
  // The parallel rows' reference: numpy's BLAS on the same 2 threads.
  log(`  numpy matmul ${n} on 2 BLAS threads…`);
  const blas = runNumpySgemm(n, repeats + 1, 2);
  const blasRow = numpyResult(`matmul.numpy-${'skipped' in blas ? 'blas' : blas.blas}-2-threads.${n}`, n, blas);
  results.push(blasRow);
  for (const mode of ['shards', 'linda'] as MatmulMode[]) {
    log(`  matmul ${n} ${mode}…`);
    const one = await bestOf(repeats, () => runMatmul({ n, workers: 1, mode, singleThreadBaseline: false }));
    const two = await bestOf(repeats, () => runMatmul({ n, workers: 2, mode }));
    const speedup = one.seconds / two.seconds;
    const check = `maxRelErr=${Math.max(one.maxRelError, two.maxRelError).toExponential(1)}; ${two.tiles} tiles; ${((speedup / matmulLimit) * 100).toFixed(0)}% of the raw-threads speedup`;
    results.push({ id: `matmul.${mode}.${n}.2-workers`, value: round(two.gflops, 1), unit: 'GFLOP/s', baseline: blasRow.value > 0 ? blasRow.id : undefined, check: `${check}; coordination overhead vs one bare thread ${((two.coordinationOverhead ?? 0) * 100).toFixed(0)}%` });
    results.push({ id: `matmul.${mode}.${n}.speedup-2-vs-1`, value: round(speedup, 2), unit: '×', check, target: '≥ 1.8' });
    groups.push(`matmul ${n}, ${mode}`);
    ours.push(speedup);
    ceilings.push(matmulLimit);
  }
  const bodies = quick ? 4096 : 16384;
  const steps = quick ? 5 : 10;
  log(`  raw-threads ceiling, nbody ${bodies}…`);
  const nbodyLimit = await nbodyCeiling(bodies, steps, repeats);
  results.push({ id: `nbody.raw-threads.${bodies}.speedup-2-vs-1`, value: round(nbodyLimit, 2), unit: '×', check: 'the same kernel on 2 bare worker_threads, half the bodies each, no barrier' });
  log(`  nbody ${bodies}…`);
  const one = await bestOf(repeats, () => runNbody({ bodies, steps, workers: 1 }));
  const two = await bestOf(repeats, () => runNbody({ bodies, steps, workers: 2 }));
  const speedup = one.seconds / two.seconds;
  const check = `energy drift ${two.relativeEnergyDrift.toExponential(1)}; same energy at 1 and 2 workers: ${Math.abs(one.energyEnd - two.energyEnd) <= 1e-9 * Math.abs(one.energyEnd) ? 'yes' : `no (${one.energyEnd} vs ${two.energyEnd})`}; ${((speedup / nbodyLimit) * 100).toFixed(0)}% of the raw-threads speedup`;
  results.push({ id: `nbody.parallel.${bodies}.2-workers`, value: round(two.interactionsPerSecond / 1e6, 0), unit: 'M interactions/s', check });
  results.push({ id: `nbody.parallel.${bodies}.speedup-2-vs-1`, value: round(speedup, 2), unit: '×', check, target: '≥ 1.8' });
  groups.push(`nbody ${bodies}`);
  ours.push(speedup);
  ceilings.push(nbodyLimit);
  const chart = barChartSvg({
    title: 'Speedup at 2 workers over 1 (same run, best of repeats)',
    unit: '× (time with 1 worker / time with 2)',
    groups,
    series: [
      { name: 'PlexSpaces driver', values: ours },
      { name: 'bare worker_threads (ceiling)', values: ceilings },
    ],
    reference: { value: 2, label: 'ideal 2×' },
  });
  return { results, chart };
}
