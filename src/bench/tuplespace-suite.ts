import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Bench } from 'tinybench';
import { LinearScanSpace } from '../space/linear-scan-space.js';
import { sqlite } from '../space/storage/sqlite-store.js';
import { TupleSpace } from '../space/tuple-space.js';
import { any, type Tuple } from '../tuple/types.js';
import { linkBaselines, microseconds, newReport, percentile, round, type BenchReport, type BenchResult } from './report.js';

export interface SuiteOptions {
  quick: boolean;
  log: (line: string) => void;
}

/**
 * `plexspaces bench tuplespace`: the indexed space against a linear-scan
 * space, both aged with 10^3 … 10^6 unrelated tuples (Fiedler et al.'s
 * method for JavaSpaces), in the same run; then durable writes to SQLite.
 */
export async function runTuplespaceSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('tuplespace', quick);
  const sizes = quick ? [1e3, 1e4, 1e5] : [1e3, 1e4, 1e5, 1e6];
  report.notes.push(
    `Aged spaces hold ${sizes.map(exp).join(', ')} unrelated tuples of arity 2–4 (half of them arity 3, like the work tuples) before measuring.`,
    'Work tuples are ["job", k, "payload"], taken with the selective template ["job", k, any]; every take is checked to return its own k.',
  );
  // Warm the JIT on a scratch space first, so the smallest size is not
  // measured on cold code (which would flatter the 10^3-to-10^6 slowdown).
  const scratch = new TupleSpace();
  await measureIndexedPairs(scratch, 0, true);
  await scratch.close();
  const pairsBySize = new Map<number, number>();
  for (const size of sizes) {
    // The two spaces are aged and measured one after the other, so neither
    // pays for the other's heap in garbage-collection time.
    log(`aging the indexed space with ${exp(size)} tuples…`);
    const space = new TupleSpace();
    await age((chunk) => space.writeAll(chunk), size);
    const heap = process.memoryUsage().heapUsed;
    const pairs = await measureIndexedPairs(space, size, quick);
    const latency = await measureIndexedTakeLatency(space, size, quick);
    const wakeup = size === sizes[sizes.length - 1] ? await measureWakeup(space, size, quick) : [];
    await space.close();
    log(`aging the linear-scan space with ${exp(size)} tuples…`);
    let naive: LinearScanSpace | undefined = new LinearScanSpace();
    await age((chunk) => chunk.forEach((t) => naive!.write(t)), size);
    const naivePairs = await measureNaivePairs(naive, size, quick);
    const naiveLatency = await measureNaiveTakeLatency(naive, size, quick);
    naive = undefined;
    log(`  ${exp(size)}: indexed ${pairs.value.toLocaleString()} pairs/s, linear scan ${naivePairs.value.toLocaleString()} pairs/s`);
    pairsBySize.set(size, pairs.value);
    report.results.push(pairs, naivePairs, ...latency, naiveLatency, ...wakeup);
    if (size === sizes[sizes.length - 1]) {
      report.notes.push(`Heap in use with the ${exp(size)}-tuple indexed space loaded: ${Math.round(heap / 2 ** 20)} MiB.`);
    }
  }
  const smallest = pairsBySize.get(sizes[0])!;
  const largest = pairsBySize.get(sizes[sizes.length - 1])!;
  report.results.push({
    id: `pairs.indexed.slowdown-${exp(sizes[0])}-to-${exp(sizes[sizes.length - 1])}`,
    value: round(smallest / largest, 3),
    unit: '×',
    check: 'ratio of the two pair rates above',
    target: '≤ 2',
  });
  log('durable writes to SQLite…');
  report.results.push(...(await measureDurable(quick)));
  linkBaselines(report);
  return report;
}

/** Work ids start here, far from the aged tuples' ids, so aged and work tuples are unrelated. */
const WORK_ID_BASE = 100_000_000;

async function age(write: (chunk: Tuple[]) => unknown, size: number): Promise<void> {
  let chunk: Tuple[] = [];
  for (let i = 0; i < size; i++) {
    chunk.push(i % 4 === 0 ? ['aged', i] : i % 4 === 1 ? ['aged', i, 'value', i % 97] : ['aged', i, `payload-${i % 1000}`]);
    if (chunk.length === 10_000) {
      await write(chunk);
      chunk = [];
    }
  }
  await write(chunk);
}

async function measureIndexedPairs(space: TupleSpace, size: number, quick: boolean): Promise<BenchResult> {
  let next = WORK_ID_BASE;
  let wrong = 0;
  const batch = 1000;
  const bench = new Bench({ time: quick ? 300 : 1500, warmupTime: 100, iterations: 10 });
  bench.add('indexed', async () => {
    for (let i = 0; i < batch; i++) {
      const k = next++;
      await space.write(['job', k, 'payload']);
      const t = await space.take(['job', k, any]);
      if (t === null || t[1] !== k) wrong++;
    }
  });
  await bench.run();
  return {
    id: `pairs.indexed.${exp(size)}`,
    value: Math.round((batch * 1000) / stats(bench, 'indexed').mean),
    unit: 'pairs/s',
    baseline: `pairs.linear-scan.${exp(size)}`,
    check: `${wrong} wrong takes; space back to ${exp(size)} tuples: ${space.stats().tuples === size}`,
    target: '≥ 500000',
  };
}

async function measureNaivePairs(naive: LinearScanSpace, size: number, quick: boolean): Promise<BenchResult> {
  let next = WORK_ID_BASE;
  let wrong = 0;
  // The naive space scans every aged tuple per take: one pair per iteration
  // and a time budget, not a fixed count.
  const bench = new Bench({ time: quick ? 300 : 1000, warmupTime: 20, warmupIterations: 2, iterations: 3 });
  bench.add('naive', () => {
    const k = next++;
    naive.write(['job', k, 'payload']);
    const t = naive.tryTake(['job', k, any]);
    if (t === null || t[1] !== k) wrong++;
  });
  await bench.run();
  return {
    id: `pairs.linear-scan.${exp(size)}`,
    value: Math.round(1000 / stats(bench, 'naive').mean),
    unit: 'pairs/s',
    check: `${wrong} wrong takes; space back to ${exp(size)} tuples: ${naive.size === size}`,
  };
}

async function measureIndexedTakeLatency(space: TupleSpace, size: number, quick: boolean): Promise<BenchResult[]> {
  let next = WORK_ID_BASE * 2;
  let wrong = 0;
  const bench = new Bench({ time: quick ? 300 : 1500, warmupTime: 100, iterations: 1000 });
  bench.add('take', async () => {
    const k = next++;
    await space.write(['job', k, 'payload']);
    const t0 = performance.now();
    const t = await space.take(['job', k, any]);
    const t1 = performance.now();
    if (t === null || t[1] !== k) wrong++;
    return { overriddenDuration: t1 - t0 };
  });
  await bench.run();
  const latency = stats(bench, 'take');
  const check = `${wrong} wrong takes over ${latency.samples} samples`;
  const isTop = size === 1e6;
  return [
    { id: `take-latency.indexed.${exp(size)}.p50`, value: microseconds(latency.p50), unit: 'µs', baseline: `take-latency.linear-scan.${exp(size)}.p50`, check, target: isTop ? '≤ 2' : undefined },
    { id: `take-latency.indexed.${exp(size)}.p99`, value: microseconds(latency.p99), unit: 'µs', check, target: isTop ? '≤ 20' : undefined },
  ];
}

async function measureNaiveTakeLatency(naive: LinearScanSpace, size: number, quick: boolean): Promise<BenchResult> {
  let next = WORK_ID_BASE * 2;
  let wrong = 0;
  const bench = new Bench({ time: quick ? 200 : 600, warmupIterations: 2, iterations: 3 });
  bench.add('naive-take', () => {
    const k = next++;
    naive.write(['job', k, 'payload']);
    const t0 = performance.now();
    const t = naive.tryTake(['job', k, any]);
    const t1 = performance.now();
    if (t === null || t[1] !== k) wrong++;
    return { overriddenDuration: t1 - t0 };
  });
  await bench.run();
  const latency = stats(bench, 'naive-take');
  return { id: `take-latency.linear-scan.${exp(size)}.p50`, value: microseconds(latency.p50), unit: 'µs', check: `${wrong} wrong takes over ${latency.samples} samples` };
}

async function measureWakeup(space: TupleSpace, size: number, quick: boolean): Promise<BenchResult[]> {
  let next = WORK_ID_BASE * 3;
  let wrong = 0;
  const bench = new Bench({ time: quick ? 300 : 1500, warmupTime: 100, iterations: 1000 });
  bench.add('wakeup', async () => {
    const k = next++;
    const resumed = space.take(['wake', k]).then((t) => {
      if (t === null || t[1] !== k) wrong++;
      return performance.now();
    });
    const t0 = performance.now();
    void space.write(['wake', k]);
    const t1 = await resumed;
    return { overriddenDuration: t1 - t0 };
  });
  await bench.run();
  const latency = stats(bench, 'wakeup');
  const check = `${wrong} wrong wake-ups over ${latency.samples} samples; waiters left: ${space.stats().waiters}`;
  return [
    { id: `wakeup-latency.indexed.${exp(size)}.p50`, value: microseconds(latency.p50), unit: 'µs', check },
    { id: `wakeup-latency.indexed.${exp(size)}.p99`, value: microseconds(latency.p99), unit: 'µs', check },
  ];
}

async function measureDurable(quick: boolean): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'plex-bench-'));
  try {
    const path = join(dir, 'bench.sqlite');
    const total = quick ? 20_000 : 100_000;
    const concurrent = 1000;
    let space = new TupleSpace({ storage: sqlite(path) });
    // Warm the file and the statement cache.
    await Promise.all(Array.from({ length: 1000 }, (_, i) => space.write(['warm', i])));
    const t0 = performance.now();
    for (let base = 0; base < total; base += concurrent) {
      const wave: Promise<void>[] = [];
      for (let i = base; i < base + concurrent; i++) wave.push(space.write(['durable', i, 'payload']));
      await Promise.all(wave);
    }
    const elapsed = performance.now() - t0;
    const samples: number[] = [];
    for (let i = 0; i < (quick ? 50 : 200); i++) {
      const s0 = performance.now();
      await space.write(['single', i]);
      samples.push(performance.now() - s0);
    }
    await space.close();
    space = new TupleSpace({ storage: sqlite(path) });
    const found = await space.count(['durable', any, any]);
    const singles = await space.count(['single', any]);
    await space.close();
    samples.sort((a, b) => a - b);
    const check = `reopened file holds ${found}/${total} group-committed and ${singles}/${samples.length} single writes`;
    return [
      { id: 'durable-writes.sqlite-group-commit', value: Math.round((total * 1000) / elapsed), unit: 'writes/s', check, target: '≥ 100000' },
      { id: 'durable-write-latency.sqlite-fsync.p50', value: round(percentile(samples, 0.5), 3), unit: 'ms', check },
      { id: 'durable-write-latency.sqlite-fsync.p99', value: round(percentile(samples, 0.99), 3), unit: 'ms', check },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stats(bench: Bench, name: string): { mean: number; p50: number; p99: number; samples: number } {
  const task = bench.getTask(name);
  const result = task?.result;
  if (result === undefined || !('latency' in result)) {
    const error = result && 'error' in result ? (result as { error: unknown }).error : undefined;
    throw new Error(`benchmark task ${name} did not complete`, { cause: error });
  }
  return { mean: result.latency.mean, p50: result.latency.p50, p99: result.latency.p99, samples: result.latency.samplesCount };
}



function exp(n: number): string {
  return `1e${Math.round(Math.log10(n))}`;
}
