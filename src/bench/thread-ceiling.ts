import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

/**
 * What this machine gives two threads, with no runtime in between: K raw
 * worker_threads, each handed a module and a shared memory, each running its
 * 1/K of the work, started together. `speedup = time(1 thread, all the work)
 * / time(K threads)`. On a quiet machine with K free cores this is ≈ K; on
 * shared or throttled cores it is less, and no coordination layer can do
 * better than it. The parallel rows of `bench kernels` are read against it.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
require('node:v8').setFlagsFromString('--experimental-wasm-relaxed-simd');
parentPort.once('message', ({ module, memory, warmUp, calls }) => {
  const plex = {};
  for (const entry of WebAssembly.Module.imports(module)) if (entry.module === 'plex') plex[entry.name] = () => -1;
  const exports = new WebAssembly.Instance(module, { env: { memory }, plex }).exports;
  for (const [name, args] of warmUp) exports[name](...args);
  setTimeout(() => {
    parentPort.postMessage('ready');
    parentPort.once('message', () => {
      const t0 = performance.now();
      for (const [name, args] of calls) exports[name](...args);
      parentPort.postMessage(performance.now() - t0);
    });
  }, 100);
});
`;

export type KernelCall = readonly [exportName: string, args: readonly number[]];

export interface ThreadPlan {
  /** Small calls that make V8 optimize the kernel before it is timed. */
  readonly warmUp: readonly KernelCall[];
  /** The calls thread `t` of `threads` makes. */
  readonly callsFor: (thread: number, threads: number) => readonly KernelCall[];
}

async function timeThreads(module: WebAssembly.Module, memory: WebAssembly.Memory, plan: ThreadPlan, threads: number): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, { eval: true }));
  try {
    const ready = workers.map((worker) => new Promise((resolve) => worker.once('message', resolve)));
    workers.forEach((worker, t) => worker.postMessage({ module, memory, warmUp: plan.warmUp, calls: plan.callsFor(t, threads) }));
    await Promise.all(ready);
    const t0 = performance.now();
    await Promise.all(
      workers.map((worker) => {
        const done = new Promise((resolve) => worker.once('message', resolve));
        worker.postMessage('go');
        return done;
      }),
    );
    return (performance.now() - t0) / 1000;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** Best of `repeats` for 1 thread and for `threads` threads; the speedup between them. */
export async function threadCeiling(module: WebAssembly.Module, memory: WebAssembly.Memory, plan: ThreadPlan, threads: number, repeats: number): Promise<{ one: number; many: number; speedup: number }> {
  let one = Infinity;
  let many = Infinity;
  for (let r = 0; r < repeats; r++) {
    one = Math.min(one, await timeThreads(module, memory, plan, 1));
    many = Math.min(many, await timeThreads(module, memory, plan, threads));
  }
  return { one, many, speedup: one / many };
}
