/**
 * A sweep report as a user reads it: one flat row per point (the table,
 * the CSV), a line chart of the median with the quartiles as whiskers
 * (one line per combination of the other parameters), a Markdown summary,
 * and the files `plexspaces sweep` writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChartSvg, lineChart, type LineSeries } from '../bench/svg-chart.js';
import { describeParams, type SweepReport } from './run-sweep.js';
import type { SweepParams } from './sweep-spec.js';

type Row = Record<string, string | number | boolean>;

function significant(value: number | undefined): number | string {
  if (value === undefined || !Number.isFinite(value)) return '';
  return Number(value.toPrecision(4));
}

/** One row per point: its parameters, then its figures (seconds; the metric when the sweep has one), then its status. */
export function sweepRows(report: SweepReport): Row[] {
  return report.points.map((point) => {
    const row: Row = { ...point.params };
    row.median_s = significant(point.time?.median);
    row.p25_s = significant(point.time?.p25);
    row.p75_s = significant(point.time?.p75);
    row.min_s = significant(point.time?.min);
    row.max_s = significant(point.time?.max);
    row.spread = point.time === undefined ? '' : `${(point.time.relativeSpread * 100).toFixed(1)}%`;
    if (report.timeSource === 'reported') row.wall_median_s = significant(point.wallTime?.median);
    if (report.metricUnit !== undefined) {
      row[`median ${report.metricUnit}`] = significant(point.metric?.median);
      row[`p25 ${report.metricUnit}`] = significant(point.metric?.p25);
      row[`p75 ${report.metricUnit}`] = significant(point.metric?.p75);
    }
    row.runs = point.seconds.length;
    row.check = point.status === 'passed' ? 'passed' : `FAILED: ${point.failure}`;
    return row;
  });
}

function csvCell(value: string | number | boolean): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV of `sweepRows`, header first. */
export function sweepCsv(report: SweepReport): string {
  const rows = sweepRows(report);
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]);
  return [keys.map(csvCell).join(','), ...rows.map((row) => keys.map((k) => csvCell(row[k] ?? '')).join(','))].join('\r\n') + '\r\n';
}

/** The x parameter of the chart: the report's `chartX`, else the first numeric parameter with several values. */
function chartAxis(report: SweepReport): string | undefined {
  if (report.chartX !== undefined) return report.chartX;
  return Object.entries(report.grid).find(([, values]) => values.length > 1 && values.every((v) => typeof v === 'number'))?.[0];
}

/**
 * The chart: the metric's median (else the median seconds) against the x
 * parameter, a line for each combination of the others, the quartiles as
 * whiskers; failed points are left out (their figures are not the kernel's).
 * Without a numeric parameter to put on x, a bar per point.
 */
export function sweepChart(report: SweepReport): string {
  const useMetric = report.metricUnit !== undefined;
  const unit = useMetric ? report.metricUnit! : 'seconds (median)';
  const figure = (p: SweepReport['points'][number]) => (useMetric ? p.metric : p.time);
  const passed = report.points.filter((p) => p.status === 'passed' && figure(p) !== undefined);
  const x = chartAxis(report);
  const title = `${report.name}: ${useMetric ? `${report.metricUnit}, median of ${report.repetitions}` : `seconds per run, median of ${report.repetitions}`} (whiskers: quartiles)`;
  if (x === undefined) {
    return barChartSvg({
      title,
      unit,
      groups: passed.map((p) => describeParams(p.params)),
      series: [{ name: report.name, values: passed.map((p) => figure(p)!.median) }],
    });
  }
  const others = (params: SweepParams) => describeParams(Object.fromEntries(Object.entries(params).filter(([k]) => k !== x)));
  const lines = new Map<string, { points: [number, number][]; ranges: [number, number][] }>();
  for (const point of passed) {
    const key = others(point.params) || report.name;
    const line = lines.get(key) ?? { points: [], ranges: [] };
    const f = figure(point)!;
    line.points.push([point.params[x] as number, f.median]);
    line.ranges.push([f.p25, f.p75]);
    lines.set(key, line);
  }
  const series: LineSeries[] = [...lines].map(([name, line]) => ({ name, points: line.points, ranges: line.ranges }));
  const xs = report.grid[x].filter((v): v is number => typeof v === 'number');
  // Sizes that double (64, 128, …) spread evenly on a log axis.
  const logX = xs.length > 2 && xs.every((v) => v > 0) && Math.max(...xs) / Math.min(...xs) >= 8;
  return lineChart({ title, x, y: unit, series, logX, yFromZero: true });
}

/** The Markdown summary: where and when, the table of points, failures spelled out. */
export function sweepMarkdown(report: SweepReport): string {
  const rows = sweepRows(report);
  const keys = rows.length > 0 ? Object.keys(rows[0]) : [];
  const lines = [
    `# sweep ${report.name}`,
    '',
    `${report.date} · Node ${report.node} · ${report.cpu}${report.where ? ` · ${report.where}` : ''}`,
    '',
    `${report.points.length} points × (${report.warmup} warm-up + ${report.repetitions} timed runs), ${report.elapsedSeconds.toFixed(1)} s; ` +
      `${report.passed ? 'every run passed its check' : `${report.points.filter((p) => p.status === 'failed').length} point(s) FAILED`}.` +
      (report.timeSource === 'reported'
        ? ' Times are the ones each run reported (the kernel timing itself); wall_median_s is the time around the call.'
        : report.overhead
          ? ` Inside every run's time: ${report.overhead.what}, ${(report.overhead.seconds * 1e6).toFixed(0)} µs (median).`
          : ''),
    '',
    `| ${keys.join(' | ')} |`,
    `|${keys.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${keys.map((k) => String(row[k]).replace(/\|/g, '\\|')).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Writes `<name>.json`, `.csv`, `.svg` and `.md` into `dir`; answers the paths. */
export function saveSweep(report: SweepReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, report.name);
  const files: [string, string][] = [
    [`${base}.json`, `${JSON.stringify(report, null, 2)}\n`],
    [`${base}.csv`, sweepCsv(report)],
    [`${base}.svg`, `${sweepChart(report)}\n`],
    [`${base}.md`, `${sweepMarkdown(report)}\n![${report.name}](${report.name}.svg)\n`],
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  return files.map(([path]) => path);
}
