import { describe, expect, it } from 'vitest';
import { JOVIAN_PUBLISHED_1000, runJovian } from '../../src/kernels/jovian.js';
import { instantiateKernel, kernelBuild, type NbodyExports, type SgemmExports } from '../../src/kernels/kernel-modules.js';
import { seededRandom } from '../../src/kernels/seeded-random.js';
import { SharedArena } from '../../src/kernels/shared-arena.js';

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: rows * cols }, () => random() * 2 - 1);
}

describe('SGEMM kernel', () => {
  // Sizes that are not multiples of the 4×8 tile, k deeper than one 256 slice, and strided rows.
  const shapes = [
    [1, 1, 1],
    [37, 53, 300],
    [64, 64, 64],
    [130, 9, 517],
  ];
  for (const relaxed of [false, true]) {
    it(`${relaxed ? 'relaxed-SIMD' : 'SIMD128'} build matches a float64 product on edge-tile shapes`, () => {
      const build = kernelBuild('sgemm', { relaxed });
      const arena = new SharedArena();
      const kernel = instantiateKernel<SgemmExports>(build, arena.memory);
      for (const [m, n, k] of shapes) {
        const lda = k + 3; // strided: the kernel must honour the leading dimensions
        const ldb = n + 5;
        const ldc = n + 1;
        const a = randomMatrix(m, lda, 1);
        const b = randomMatrix(k, ldb, 2);
        const pa = arena.allocate(a.byteLength);
        const pb = arena.allocate(b.byteLength);
        const pc = arena.allocate(m * ldc * 4);
        const work = arena.allocate(kernel.sgemm_work_bytes());
        arena.float32(pa, a.length).set(a);
        arena.float32(pb, b.length).set(b);
        const c = arena.float32(pc, m * ldc);
        c.fill(12345); // padding columns must stay; the product must overwrite
        kernel.sgemm(m, n, k, pa, lda, pb, ldb, pc, ldc, work);
        const out = arena.float32(pc, m * ldc);
        let worst = 0;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let exact = 0;
            for (let p = 0; p < k; p++) exact += a[i * lda + p] * b[p * ldb + j];
            worst = Math.max(worst, Math.abs(out[i * ldc + j] - exact) / (Math.abs(exact) + 1));
          }
          expect(out[i * ldc + n]).toBe(12345);
        }
        expect(worst, `${m}×${n}×${k}`).toBeLessThan(1e-5);
      }
    });
  }
});

describe('n-body kernel', () => {
  it('one step matches a float64 direct sum, and leapfrog conserves energy over many steps', () => {
    const n = 64;
    const arena = new SharedArena();
    const kernel = instantiateKernel<NbodyExports>(kernelBuild('nbody'), arena.memory);
    const p0 = arena.allocate(12 * n);
    const p1 = arena.allocate(12 * n);
    const vel = arena.allocate(12 * n);
    const mass = arena.allocate(4 * n);
    const random = seededRandom(3);
    const pos = arena.float32(p0, 3 * n);
    for (let i = 0; i < 3 * n; i++) pos[i] = random() * 2 - 1;
    const m = arena.float32(mass, n);
    for (let i = 0; i < n; i++) m[i] = i < 60 ? (1 + random()) / 100 : 0; // the last 4 are padding: massless
    const eps2 = 1e-2;
    const start = arena.float32(p0, 3 * n).slice();
    // One kick of dt=1 with no drift: the velocities are the accelerations.
    kernel.nbody_step(n, p0, p1, vel, mass, 0, n, 1, 0, eps2);
    const v = arena.float32(vel, 3 * n);
    for (const i of [0, 17, 59, 63]) {
      let ax = 0;
      for (let j = 0; j < n; j++) {
        const dx = start[j] - start[i], dy = start[n + j] - start[n + i], dz = start[2 * n + j] - start[2 * n + i];
        const r2 = dx * dx + dy * dy + dz * dz + eps2;
        ax += (m[j] * dx) / (r2 * Math.sqrt(r2));
      }
      expect(Math.abs(v[i] - ax)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ax)));
    }
    expect(Array.from(arena.float32(p1, 3 * n))).toEqual(Array.from(start)); // dtDrift = 0 copies positions
    // Leapfrog from rest: energy drift stays small over 200 steps.
    v.fill(0);
    const dt = 0.005;
    const e0 = kernel.nbody_energy(n, p0, vel, mass, 0, n, eps2);
    const buffers = [p0, p1];
    let current = 0;
    for (let s = 0; s < 200; s++) {
      kernel.nbody_step(n, buffers[current], buffers[1 - current], vel, mass, 0, n, s === 0 ? dt / 2 : dt, dt, eps2);
      current = 1 - current;
    }
    kernel.nbody_step(n, buffers[current], buffers[1 - current], vel, mass, 0, n, dt / 2, 0, eps2);
    const e1 = kernel.nbody_energy(n, buffers[1 - current], vel, mass, 0, n, eps2);
    expect(Math.abs(e1 - e0) / Math.abs(e0)).toBeLessThan(1e-3);
    // Row ranges split the energy exactly: two halves sum to the whole.
    const whole = kernel.nbody_energy(n, p0, vel, mass, 0, n, eps2);
    expect(kernel.nbody_energy(n, p0, vel, mass, 0, 20, eps2) + kernel.nbody_energy(n, p0, vel, mass, 20, n, eps2)).toBeCloseTo(whole, 12);
  });
});

describe('Jovian 5-body (Benchmarks Game)', () => {
  it('reproduces the published energies for 1000 steps to 9 decimals', () => {
    const result = runJovian(1000);
    expect(result.before).toBe(JOVIAN_PUBLISHED_1000.before);
    expect(result.after).toBe(JOVIAN_PUBLISHED_1000.after);
    expect(() => runJovian(-1)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
  });
});
