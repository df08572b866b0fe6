import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { microseconds, percentile, type BenchResult } from './report.js';

/**
 * The baseline several suites compare with: piscina running a trivial task
 * (piscina-task.ts) on `threads` threads — task rate with many tasks in
 * flight, then the round trip of one task at a time.
 */
export async function piscinaBaseline(threads: number, quick: boolean): Promise<BenchResult[]> {
  const pool = new Piscina({ filename: new URL('./piscina-task.js', import.meta.url).href, minThreads: threads, maxThreads: threads });
  try {
    const total = quick ? 20_000 : 100_000;
    const inFlight = 256 * threads;
    let wrong = 0;
    // Warm up.
    await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run(i)));
    const t0 = performance.now();
    for (let base = 0; base < total; base += inFlight) {
      const wave = Array.from({ length: Math.min(inFlight, total - base) }, (_, i) => pool.run(base + i).then((v: number) => v === base + i + 1 || wrong++));
      await Promise.all(wave);
    }
    const rate = (total * 1000) / (performance.now() - t0);
    const samples: number[] = [];
    for (let i = 0; i < (quick ? 500 : 2000); i++) {
      const s0 = performance.now();
      const v = await pool.run(i);
      samples.push(performance.now() - s0);
      if (v !== i + 1) wrong++;
    }
    samples.sort((a, b) => a - b);
    const check = `${wrong} wrong results`;
    return [
      { id: `tasks.piscina.${threads}-threads`, value: Math.round(rate), unit: 'tasks/s', check },
      { id: 'roundtrip.piscina.p50', value: microseconds(percentile(samples, 0.5)), unit: 'µs', check },
      { id: 'roundtrip.piscina.p99', value: microseconds(percentile(samples, 0.99)), unit: 'µs', check },
    ];
  } finally {
    await pool.destroy();
  }
}
