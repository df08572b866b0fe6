import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where `plexspaces bench` commits its results: the project's native-bench/results (src/server and dist/server are both two levels down). */
export const RESULTS_DIR = join(import.meta.dirname, '../../native-bench/results');

export interface BenchmarkRow {
  readonly id: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: string;
  readonly ratio?: number;
  readonly target?: string;
  readonly check?: string;
}

export interface BenchmarkSuite {
  /** The results file's name without `.json` (`runtime`, `cluster.quick`…). */
  readonly file: string;
  readonly suite: string;
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly quick: boolean;
  /** The run's notes (what ran where, what the figures mean). */
  readonly notes: string[];
  readonly results: BenchmarkRow[];
}

/**
 * The committed benchmark results (the machine-readable `*.json` beside each
 * `*.md`), for the dashboard's Benchmarks page. An installed package ships
 * no results: the list is empty then. A file that is not a results document
 * is left out, not fatal: the page shows what it can read.
 */
export async function readBenchmarkResults(dir = RESULTS_DIR): Promise<BenchmarkSuite[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const suites: BenchmarkSuite[] = [];
  for (const name of names) {
    try {
      const doc = JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>;
      if (!Array.isArray(doc.results)) continue;
      suites.push({
        file: name.slice(0, -'.json'.length),
        suite: String(doc.suite ?? name),
        date: String(doc.date ?? ''),
        node: String(doc.node ?? ''),
        cpu: String(doc.cpu ?? ''),
        quick: doc.quick === true,
        notes: Array.isArray(doc.notes) ? doc.notes.filter((n): n is string => typeof n === 'string') : [],
        results: (doc.results as Record<string, unknown>[])
          .filter((r) => typeof r.id === 'string' && typeof r.value === 'number')
          .map((r) => ({
            id: r.id as string,
            value: r.value as number,
            unit: String(r.unit ?? ''),
            ...(typeof r.baseline === 'string' ? { baseline: r.baseline } : {}),
            ...(typeof r.ratio === 'number' ? { ratio: r.ratio } : {}),
            ...(typeof r.target === 'string' ? { target: r.target } : {}),
            ...(typeof r.check === 'string' ? { check: r.check } : {}),
          })),
      });
    } catch {
      // not JSON: skipped
    }
  }
  return suites;
}
