/**
 * SGEMM by a user's C actor (matmul.c) over sizes and over how many actors
 * share the rows: `npx plexspaces sweep examples/sweeps/matmul.sweep.mjs`.
 *
 * Each run asks `actors` actors of the application for a band of rows each,
 * at once; they run on the node's worker threads. The check recomputes, in
 * exact integer arithmetic, the checksum of every band (the sum of a band
 * of C = Σ_k (Σ_i∈band A_ik)(Σ_j B_kj), O(n²)) and the eight entries each
 * actor sends back; the kernel's float32 arithmetic is exact on these
 * inputs (see matmul.c), so equality is the test.
 */
import { fileURLToPath } from 'node:url';

const A = (i, k, seed) => ((i * 31 + k * 17 + seed) % 64) - 32; // A_ik × 32
const B = (k, j, seed) => ((k * 13 + j * 7 + seed * 3) % 64) - 32; // B_kj × 32

/** The rows of C each of `actors` actors computes: contiguous bands, as even as n allows. */
function bands(n, actors) {
  return Array.from({ length: actors }, (_, t) => [Math.floor((t * n) / actors), Math.floor(((t + 1) * n) / actors)]);
}

function expectedChecksum1024(n, seed, from, to) {
  let total = 0;
  for (let k = 0; k < n; k++) {
    let column = 0;
    for (let i = from; i < to; i++) column += A(i, k, seed);
    let row = 0;
    for (let j = 0; j < n; j++) row += B(k, j, seed);
    total += column * row;
  }
  return total;
}

function expectedEntry1024(n, seed, i, j) {
  let sum = 0;
  for (let k = 0; k < n; k++) sum += A(i, k, seed) * B(k, j, seed);
  return sum;
}

let deployed;

export default {
  name: 'matmul',
  grid: { n: [128, 256, 512, 1024], actors: [1, 2] },
  warmup: 1,
  repetitions: 5,
  async setup(_params, ctx) {
    // Built from source once (clang, about a second) and deployed; asks then activate its actors.
    deployed ??= ctx.deploy(fileURLToPath(new URL('./matmul.c', import.meta.url)), 'sweep-matmul');
    await deployed;
  },
  run: ({ n, actors }, ctx) =>
    Promise.all(
      bands(n, actors).map(([from, to], t) => ctx.client.actors.ask(`mm-${t}`, 'multiply', { n, seed: n, from, to }, { application: 'sweep-matmul', timeoutMs: 120_000 })),
    ),
  check(replies, { n, actors }) {
    const expected = bands(n, actors);
    if (!Array.isArray(replies) || replies.length !== actors) return `expected ${actors} replies, got ${JSON.stringify(replies).slice(0, 200)}`;
    for (const [t, reply] of replies.entries()) {
      if (typeof reply === 'string') return `actor mm-${t} answered ${reply}`;
      const [from, to] = expected[t];
      if (reply.n !== n || reply.from !== from || reply.to !== to) return `actor mm-${t} computed n=${reply.n} rows ${reply.from}..${reply.to}, not n=${n} rows ${from}..${to}`;
      const checksum = expectedChecksum1024(n, n, from, to);
      if (reply.checksum1024 !== checksum) return `rows ${from}..${to}: checksum×1024 ${reply.checksum1024}, expected ${checksum}`;
      if (!Array.isArray(reply.samples) || reply.samples.length !== 8) return `actor mm-${t} sent ${reply.samples?.length} samples, not 8`;
      for (const [i, j, value] of reply.samples) {
        if (i < from || i >= to) return `sample row ${i} outside the band ${from}..${to}`;
        const want = expectedEntry1024(n, n, i, j);
        if (value !== want) return `C[${i}][${j}]×1024 = ${value}, expected ${want}`;
      }
    }
  },
  metric: { unit: 'GFLOP/s', value: ({ n }, seconds) => (2 * n ** 3) / seconds / 1e9 },
  chartX: 'n',
};
