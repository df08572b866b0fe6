import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, KernelFailedError } from '../errors.js';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { ShardGroup } from '../shard/shard-group.js';
import { any } from '../tuple/types.js';
import { instantiateKernel, kernelBuild, type SgemmExports } from './kernel-modules.js';
import { entryError, sampledError } from './sgemm-check.js';
import { seededRandom } from './seeded-random.js';
import { SharedArena } from './shared-arena.js';

export type MatmulMode = 'shards' | 'linda';

export interface MatmulOptions {
  /** Square matrices n×n (float32). */
  readonly n: number;
  readonly workers: number;
  /**
   * `shards`: row blocks of C dispatched over a ShardGroup, tile t to shard
   * t mod workers. `linda`: the master writes one
   * ["sgemm-tile", job, row] tuple per block and worker actors take them
   * from the space themselves until none is left.
   */
  readonly mode: MatmulMode;
  /** Rows of C per tile (default: n / (4·workers), a multiple of 4). */
  readonly tileRows?: number;
  /** Use the relaxed-SIMD (FMA) kernel where the engine supports it. Default true. */
  readonly relaxed?: boolean;
  /** Also time one thread running the same multiply, for the coordination overhead. Default true. */
  readonly singleThreadBaseline?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface MatmulResult {
  readonly n: number;
  readonly workers: number;
  readonly mode: MatmulMode;
  readonly kernel: string;
  readonly tiles: number;
  readonly seconds: number;
  readonly gflops: number;
  /** One thread, the same kernel, called directly (no actors, no messages). */
  readonly singleThreadSeconds?: number;
  /** 1 − (single-thread time / workers) / wall time: what coordination and imbalance cost. */
  readonly coordinationOverhead?: number;
  /** Largest |C − C64| / (|C64| + 1) over sampled entries, C64 computed in float64. */
  readonly maxRelError: number;
  readonly checkedEntries: number;
}

/** C = A·B with A, B filled from a fixed seed, on `workers` worker threads; checks the result. */
export async function runMatmul(options: MatmulOptions): Promise<MatmulResult> {
  const { n, workers, mode } = options;
  if (!Number.isSafeInteger(n) || n < 4 || n > 8192) throw new InvalidArgumentError(`n must be an integer in 4..8192, got ${n}`);
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > 256) throw new InvalidArgumentError(`workers must be an integer in 1..256, got ${workers}`);
  if (mode !== 'shards' && mode !== 'linda') throw new InvalidArgumentError(`mode must be shards or linda, got ${String(mode)}`);
  const tileRows = options.tileRows ?? Math.max(4, Math.floor(n / (4 * workers) / 4) * 4);
  if (!Number.isSafeInteger(tileRows) || tileRows < 1) throw new InvalidArgumentError(`tileRows must be a positive integer, got ${tileRows}`);

  const build = kernelBuild('sgemm', { relaxed: options.relaxed });
  const arena = new SharedArena();
  const bytes = n * n * 4;
  const a = arena.allocate(bytes);
  const b = arena.allocate(bytes);
  const c = arena.allocate(bytes);
  const local = instantiateKernel<SgemmExports>(build, arena.memory);
  const workBytes = local.sgemm_work_bytes();
  const work = Array.from({ length: workers + 1 }, () => arena.allocate(workBytes));
  fillMatrix(arena.float32(a, n * n), 1);
  fillMatrix(arena.float32(b, n * n), 2);

  let singleThreadSeconds: number | undefined;
  if (options.singleThreadBaseline ?? true) {
    for (let r = 0; r < WARM_UP_CALLS; r++) local.sgemm(WARM_UP_N, WARM_UP_N, WARM_UP_N, a, n, b, n, c, n, work[workers]);
    await tierUpPause();
    const t0 = performance.now();
    local.sgemm(n, n, n, a, n, b, n, c, n, work[workers]);
    singleThreadSeconds = (performance.now() - t0) / 1000;
    arena.float32(c, n * n).fill(Number.NaN); // the parallel run must write every entry
  }

  const rows = Array.from({ length: Math.ceil(n / tileRows) }, (_, t) => t * tileRows);
  const runtime = new ActorRuntime({ workers });
  let seconds: number;
  try {
    await runtime.deploy('sgemm', build.bytes, { watchdog: false, maxMemoryMb: 4096 });
    runtime.shareMemory('matmul', arena.memory);
    await warmUpWorkers(runtime, { n, a, b, c, work, tileRows, rows, workers });
    const t0 = performance.now();
    if (mode === 'shards') await viaShards(runtime, { n, a, b, c, work, tileRows, rows, workers }, options.onProgress);
    else await viaLinda(runtime, { n, a, b, c, work, tileRows, rows, workers }, options.onProgress);
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await runtime.close();
  }
  const { maxRelError, checked } = checkProduct(arena, n, a, b, c);
  return {
    n,
    workers,
    mode,
    kernel: build.file,
    tiles: rows.length,
    seconds,
    gflops: (2 * n ** 3) / seconds / 1e9,
    singleThreadSeconds,
    coordinationOverhead: singleThreadSeconds === undefined ? undefined : 1 - singleThreadSeconds / workers / seconds,
    maxRelError,
    checkedEntries: checked,
  };
}

interface Layout {
  readonly n: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly work: number[];
  readonly tileRows: number;
  readonly rows: number[];
  readonly workers: number;
}

/**
 * V8 runs a wasm function in its baseline compiler (Liftoff) until the
 * function has been hot for a while, and a call already running never
 * switches to the optimized code. One long multiply would run unoptimized
 * from start to end, so the kernel is first called on small problems.
 */
const WARM_UP_CALLS = 30;
const WARM_UP_N = 64;

/** Lets V8's background compiler finish the optimized code that the warm-up asked for. */
export function tierUpPause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100));
}

async function warmUpWorkers(runtime: ActorRuntime, layout: Layout): Promise<void> {
  const { n, a, b, c, work } = layout;
  const actors = await Promise.all(Array.from({ length: layout.workers }, (_, w) => runtime.spawn('sgemm', { worker: w, memory: 'matmul', id: `warm-up-${w}` })));
  const small = Math.min(WARM_UP_N, n);
  for (let r = 0; r < WARM_UP_CALLS; r++) {
    await Promise.all(actors.map((actor, w) => runtime.ask(actor, 'sgemm', new Uint8Array(Uint32Array.of(small, small, small, a, n, b, n, c, n, work[w]).buffer))));
  }
  await tierUpPause();
  await Promise.all(actors.map((actor) => runtime.stop(actor)));
}

function sgemmTask(layout: Layout, row: number, worker: number): Uint8Array {
  const { n, a, b, c, work, tileRows } = layout;
  const m = Math.min(tileRows, n - row);
  return new Uint8Array(Uint32Array.of(m, n, n, a + row * n * 4, n, b, n, c + row * n * 4, n, work[worker]).buffer);
}

async function viaShards(runtime: ActorRuntime, layout: Layout, onProgress?: (done: number, total: number) => void): Promise<void> {
  const group = await ShardGroup.create(runtime, { id: 'matmul', module: 'sgemm', shards: layout.workers, codec: 'bytes', memory: 'matmul', stateless: true });
  const total = layout.rows.length;
  // Tile t goes to shard t mod K, all dispatched at once: each shard works through its queue without waiting for the others.
  const tasks = layout.rows.map((row, t) => ({ shard: t % layout.workers, payload: sgemmTask(layout, row, t % layout.workers) }));
  let done = 0;
  const results = await group.dispatch('sgemm', tasks, { deadlineMs: 600_000, onResult: () => onProgress?.(++done, total) });
  const failed = results.find((r) => r.status !== 'ok');
  if (failed !== undefined) throw new KernelFailedError(`tile on shard ${failed.shard} failed: ${failed.errorCode} ${failed.errorMessage}`);
  await group.delete();
}

async function viaLinda(runtime: ActorRuntime, layout: Layout, onProgress?: (done: number, total: number) => void): Promise<void> {
  const job = 1 + Math.floor(Math.random() * 1e6);
  const { n, a, b, c, work, tileRows, rows, workers } = layout;
  await runtime.space.writeAll(rows.map((row) => ['sgemm-tile', job, row]));
  const actors = await Promise.all(Array.from({ length: workers }, (_, w) => runtime.spawn('sgemm', { worker: w, memory: 'matmul' })));
  const template = ['sgemm-tile', job, any] as const;
  const progress = setInterval(() => void runtime.space.count([...template]).then((left) => onProgress?.(rows.length - left, rows.length)), 200);
  try {
    const counts = await Promise.all(
      actors.map((actor, w) =>
        runtime.ask(actor, 'linda', new Uint8Array(Uint32Array.of(job, n, n, n, a, n, b, n, c, n, work[w], tileRows).buffer), { timeoutMs: 600_000 }),
      ),
    );
    const done = counts.reduce((sum, reply) => sum + new DataView(reply.buffer, reply.byteOffset, 4).getUint32(0, true), 0);
    if (done !== rows.length) throw new KernelFailedError(`the workers computed ${done} of ${rows.length} tiles`);
    onProgress?.(rows.length, rows.length);
  } finally {
    clearInterval(progress);
  }
}

/** Deterministic values in [-1, 1) (the C baseline reproduces them). */
export function fillMatrix(values: Float32Array, seed: number): void {
  const random = seededRandom(seed);
  for (let i = 0; i < values.length; i++) values[i] = random() * 2 - 1;
}

/** Compares sampled entries of C with a float64 computation from A and B. */
function checkProduct(arena: SharedArena, n: number, a: number, b: number, c: number): { maxRelError: number; checked: number } {
  const A = arena.float32(a, n * n);
  const B = arena.float32(b, n * n);
  const C = arena.float32(c, n * n);
  const samples = Math.min(n * n, 4096);
  let maxRelError = sampledError(n, A, B, C, samples, 99);
  // A corner the sampling might miss: the last row and column belong to edge tiles.
  for (const [i, j] of [[n - 1, n - 1], [0, n - 1], [n - 1, 0]]) maxRelError = Math.max(maxRelError, entryError(n, A, B, C, i, j));
  // Every entry written: the parallel run started from NaN.
  for (let i = 0; i < C.length; i++) if (Number.isNaN(C[i])) return { maxRelError: Number.POSITIVE_INFINITY, checked: samples + 3 };
  return { maxRelError, checked: samples + 3 };
}
