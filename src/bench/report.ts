import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** One measured figure, in the format of shared/BENCHMARKS.md. */
export interface BenchResult {
  /** `<what>.<implementation>.<size>`, e.g. `pairs.indexed.1e6`. */
  readonly id: string;
  readonly value: number;
  readonly unit: string;
  /** Id of the result this one is compared with, measured in the same run. */
  readonly baseline?: string;
  /** `value / baseline.value`. */
  readonly ratio?: number;
  /** The correctness check that ran with the measurement. */
  readonly check: string;
  /** A target from the issue, stated for the reader, e.g. `≥ 500000`. */
  readonly target?: string;
}

export interface BenchReport {
  readonly suite: string;
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly quick: boolean;
  readonly results: BenchResult[];
  /** Free-form remarks: sizes, tools skipped and why. */
  readonly notes: string[];
  /** Markdown blocks (tables a reader compares by eye) printed after the notes. */
  sections?: string[];
  /** SVG charts saved next to the report as `<suite>-<name>.svg`. */
  charts?: { readonly name: string; readonly svg: string }[];
}

export function newReport(suite: string, quick: boolean): BenchReport {
  return {
    suite,
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} ×${cpus().length}`,
    quick,
    results: [],
    notes: [],
  };
}

/** Adds `ratio` to every result whose baseline is in the same report. */
export function linkBaselines(report: BenchReport): void {
  const byId = new Map(report.results.map((r) => [r.id, r]));
  report.results.forEach((r, i) => {
    if (r.baseline === undefined) return;
    const base = byId.get(r.baseline);
    if (base !== undefined && base.value !== 0) {
      (report.results as BenchResult[])[i] = { ...r, ratio: Number((r.value / base.value).toPrecision(3)) };
    }
  });
}

export function markdownTable(report: BenchReport): string {
  const lines = [
    `# ${report.suite} benchmark${report.quick ? ' (quick)' : ''}`,
    '',
    `${report.date} · Node ${report.node} · ${report.cpu}`,
    '',
    '| id | value | unit | baseline | ratio | target | check |',
    '|---|---:|---|---|---:|---|---|',
    ...report.results.map(
      (r) =>
        `| ${r.id} | ${formatNumber(r.value)} | ${r.unit} | ${r.baseline ?? ''} | ${r.ratio === undefined ? '' : `${r.ratio}×`} | ${r.target ?? ''} | ${r.check} |`,
    ),
  ];
  if (report.notes.length > 0) lines.push('', ...report.notes.map((n) => `- ${n}`));
  for (const section of report.sections ?? []) lines.push('', section);
  return lines.join('\n') + '\n';
}

/** Writes `<suite>.json` and `<suite>.md` into `dir`, or the JSON to `jsonPath` when given. */
export function saveReport(report: BenchReport, dir: string, jsonPath?: string): string[] {
  const json = jsonPath ?? join(dir, `${report.suite}${report.quick ? '.quick' : ''}.json`);
  const md = jsonPath ? jsonPath.replace(/\.json$/, '') + '.md' : join(dir, `${report.suite}${report.quick ? '.quick' : ''}.md`);
  mkdirSync(dirname(json), { recursive: true });
  const charts = (report.charts ?? []).map((chart) => {
    const file = join(dirname(json), `${report.suite}${report.quick ? '.quick' : ''}-${chart.name}.svg`);
    writeFileSync(file, chart.svg);
    return file;
  });
  const { charts: _svg, ...data } = report;
  writeFileSync(json, JSON.stringify(data, null, 2) + '\n');
  const links = charts.map((file) => `![${basename(file)}](${basename(file)})`).join('\n\n');
  writeFileSync(md, markdownTable(report) + (links ? `\n${links}\n` : ''));
  return [json, md, ...charts];
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The `q` quantile (0..1) of ascending samples. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Milliseconds (performance.now units) to microseconds, rounded to 3 decimals. */
export function microseconds(ms: number): number {
  return round(ms * 1000, 3);
}
