import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Executes every notebook in notebooks/ headless with Jupyter's nbconvert and
 * its kernel — tslab for the TypeScript ones, Debian's python3 ipykernel for the
 * Python one (test prerequisites install both) — each against the node it starts,
 * and checks it ran top to bottom: no error output, its checks printed, its
 * charts rendered. Needs `npm run build` (the notebooks use dist/).
 */
const run = promisify(execFile);
const NOTEBOOKS = join(import.meta.dirname, '../../notebooks');
// The checkout's own tslab kernelspec (scripts/test-prerequisites.mjs registers it there), found before any shared one.
const JUPYTER_ENV = { ...process.env, JUPYTER_PATH: [join(NOTEBOOKS, '.tslab/jupyter/share/jupyter'), process.env.JUPYTER_PATH].filter(Boolean).join(delimiter) };
const out = mkdtempSync(join(tmpdir(), 'plex-notebooks-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Output {
  output_type: string;
  text?: string[] | string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/** What each notebook must print: its own correctness checks. */
const EXPECTED: Record<string, RegExp[]> = {
  '1-tuplespace-dataflow.ipynb': [/total words 13500 \(expected 13500\): correct/],
  '2-parallel-map-reduce.ipynb': [/1 shard\(s\): \d+ ms, top 10 matches/, /2 shard\(s\): \d+ ms, top 10 matches/, /4 shard\(s\): \d+ ms, top 10 matches/],
  '3-nbody.ipynb': [/60\/60 energy/, /G interactions\/s; energy .* drift \d/],
  '4-matmul-scaling.ipynb': [/n=1024 workers=2: [\d.]+ GFLOP\/s, max rel\. error \d\.\de-[6-9]/],
  '5-python-worker-pool.ipynb': [/10000 updates in 2 calls, \d+ ms; failed shards: 0/, /20 workers answered/, /total 49995000 over 10000 keys \(expected 49995000\): correct/, /µs per update: batched \d+, one call per key \d+/],
  '6-kernel-sweeps.ipynb': [/bodies=4096 workers=2: [\d.]+ \(p25 [\d.]+, p75 [\d.]+\), check passed ×3/, /n=1024 actors=2: [\d.]+ \(p25 [\d.]+, p75 [\d.]+\), check passed ×3/, /wrote 4 files: matmul\.json, matmul\.csv, matmul\.svg, matmul\.md/],
};

describe('notebooks execute top to bottom against a real node', () => {
  const books = readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();

  it('every notebook has checks here', () => {
    expect(books).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const book of Object.keys(EXPECTED)) {
    it(book, async () => {
      const target = join(out, book);
      await run('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=300', join(NOTEBOOKS, book), '--output', target], { cwd: NOTEBOOKS, timeout: 600_000, env: JUPYTER_ENV });
      const executed = JSON.parse(readFileSync(target, 'utf8')) as { cells: { cell_type: string; outputs?: Output[] }[] };
      const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
      expect(outputs.filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`)).toEqual([]);
      const text = outputs.map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? ''))).join('');
      expect(text).not.toMatch(/Error:|WRONG|DIFFERS/);
      for (const pattern of EXPECTED[book]) expect(text).toMatch(pattern);
      // Charts as image/svg+xml display data (they show in Jupyter and in exported HTML).
      const charts = outputs.filter((o) => o.output_type === 'display_data' && String(o.data?.['image/svg+xml'] ?? '').includes('<svg'));
      expect(charts.length).toBeGreaterThanOrEqual(1);
    }, 600_000);
  }
});
