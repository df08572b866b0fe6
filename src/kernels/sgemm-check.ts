import { seededRandom } from './seeded-random.js';

/**
 * The correctness check of every SGEMM result (drivers and benchmark):
 * entries of C = A·B (n×n, row-major) against a float64 product.
 */
export function exactEntry(n: number, a: ArrayLike<number>, b: ArrayLike<number>, i: number, j: number): number {
  let exact = 0;
  for (let p = 0; p < n; p++) exact += a[i * n + p] * b[p * n + j];
  return exact;
}

/** |C[i,j] − exact| / (|exact| + 1); Infinity for a NaN entry (one never written). */
export function entryError(n: number, a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>, i: number, j: number): number {
  const exact = exactEntry(n, a, b, i, j);
  const error = Math.abs(c[i * n + j] - exact) / (Math.abs(exact) + 1);
  return Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
}

/** The largest `entryError` over `samples` entries picked from a fixed seed. */
export function sampledError(n: number, a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>, samples: number, seed: number): number {
  const random = seededRandom(seed);
  let worst = 0;
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(random() * n);
    const j = Math.floor(random() * n);
    worst = Math.max(worst, entryError(n, a, b, c, i, j));
  }
  return worst;
}
