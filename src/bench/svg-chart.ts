/**
 * Standalone SVG charts — grouped horizontal bars and lines — for the
 * committed bench results, sweep reports and notebook cells (no charting
 * dependency; the files render on GitHub as images).
 */
export interface BarSeries {
  readonly name: string;
  /** One value per group; `undefined` leaves a gap (not measured). */
  readonly values: readonly (number | undefined)[];
}

export interface BarChart {
  readonly title: string;
  readonly unit: string;
  readonly groups: readonly string[];
  readonly series: readonly BarSeries[];
  /** A dashed reference line (e.g. a target or ideal speedup). */
  readonly reference?: { readonly value: number; readonly label: string };
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

function label(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toPrecision(2);
}

export function barChartSvg(chart: BarChart): string {
  const bar = 16;
  const gap = 10;
  const left = 230;
  const width = 760;
  const plotWidth = width - left - 90;
  const top = 50;
  const rowsPerGroup = chart.series.length;
  const groupHeight = rowsPerGroup * bar + gap;
  const legendHeight = 22 * Math.ceil(chart.series.length / 3);
  const height = top + chart.groups.length * groupHeight + 30 + legendHeight;
  const max = Math.max(chart.reference?.value ?? 0, ...chart.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v))), 1e-9);
  const x = (v: number) => left + (v / max) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  chart.groups.forEach((group, g) => {
    const y0 = top + g * groupHeight;
    parts.push(`<text x="${left - 8}" y="${y0 + (rowsPerGroup * bar) / 2 + 4}" text-anchor="end" font-weight="bold">${escapeXml(group)}</text>`);
    chart.series.forEach((series, s) => {
      const value = series.values[g];
      const y = y0 + s * bar;
      if (value === undefined || !Number.isFinite(value)) {
        parts.push(`<text x="${left + 4}" y="${y + bar - 4}" fill="#999">${escapeXml(series.name)}: not measured</text>`);
        return;
      }
      parts.push(`<rect x="${left}" y="${y + 1}" width="${Math.max(1, x(value) - left)}" height="${bar - 2}" fill="${COLORS[s % COLORS.length]}"><title>${escapeXml(`${series.name}: ${label(value)} ${chart.unit}`)}</title></rect>`);
      parts.push(`<text x="${x(value) + 4}" y="${y + bar - 4}">${label(value)}</text>`);
    });
  });
  const axisY = top + chart.groups.length * groupHeight;
  parts.push(`<line x1="${left}" y1="${top - 6}" x2="${left}" y2="${axisY}" stroke="#333"/>`);
  parts.push(`<text x="${left + plotWidth / 2}" y="${axisY + 18}" text-anchor="middle">${escapeXml(chart.unit)}</text>`);
  if (chart.reference !== undefined) {
    const rx = x(chart.reference.value);
    parts.push(`<line x1="${rx}" y1="${top - 6}" x2="${rx}" y2="${axisY}" stroke="#c00" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${rx}" y="${top - 10}" text-anchor="middle" fill="#c00">${escapeXml(chart.reference.label)}</text>`);
  }
  chart.series.forEach((series, s) => {
    const lx = 20 + (s % 3) * 250;
    const ly = axisY + 36 + Math.floor(s / 3) * 22;
    parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[s % COLORS.length]}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly}">${escapeXml(series.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Per point, a [low, high] range drawn as a whisker (e.g. the quartiles of repeated runs). */
  readonly ranges?: readonly (readonly [number, number] | undefined)[];
}

function ticks(min: number, max: number): number[] {
  if (min === max) return [min];
  const step = 10 ** Math.floor(Math.log10((max - min) / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (max - min) / s <= 6) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + nice * 1e-9; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * An SVG line chart (also fine for scatter data with `dots: true`). `logX` /
 * `logY` put an axis on a log10 scale (sizes that double, errors over decades).
 */
export function lineChart(options: {
  title: string;
  x: string;
  y: string;
  series: readonly LineSeries[];
  dots?: boolean;
  width?: number;
  height?: number;
  logX?: boolean;
  logY?: boolean;
  /** Start a linear y axis at 0 (throughputs read wrong from a cut axis). */
  yFromZero?: boolean;
}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const [left, right, top, bottom] = [70, 20, 36, 48];
  const all = options.series.flatMap((s) => s.points);
  const ranges = options.series.flatMap((s) => (s.ranges ?? []).filter((r): r is readonly [number, number] => r !== undefined));
  const fx = (v: number) => (options.logX ? Math.log10(Math.max(v, 1e-300)) : v);
  const fy = (v: number) => (options.logY ? Math.log10(Math.max(v, 1e-300)) : v);
  const xs = all.map((p) => fx(p[0]));
  const ys = [...all.map((p) => fy(p[1])), ...ranges.flatMap(([lo, hi]) => [fy(lo), fy(hi)])];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (options.yFromZero && !options.logY) [y0, y1] = [Math.min(0, y0), Math.max(0, y1)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (v: number) => left + ((fx(v) - x0) / (x1 - x0 || 1)) * (width - left - right);
  const py = (v: number) => height - bottom - ((fy(v) - y0) / (y1 - y0)) * (height - top - bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#333"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.x)}</text>`,
    `<text x="14" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + height - bottom) / 2})">${escapeXml(options.y)}</text>`,
  ];
  // On a log x axis the ticks are the data's own x values (sizes that double read better than decades).
  const xTicks = options.logX ? [...new Set(all.map((p) => p[0]))].sort((a, b) => a - b) : ticks(x0, x1);
  for (const t of xTicks) parts.push(`<text x="${px(t)}" y="${height - bottom + 14}" text-anchor="middle">${t}</text>`);
  for (const t of ticks(y0, y1)) {
    const y = height - bottom - ((t - y0) / (y1 - y0)) * (height - top - bottom);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${options.logY ? `1e${t}` : Number(t.toPrecision(4))}</text>`, `<line x1="${left}" y1="${y}" x2="${width - right}" y2="${y}" stroke="#eee"/>`);
  }
  options.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length];
    if (options.dots) for (const [x, y] of series.points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="1.6" fill="${color}"/>`);
    else {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${series.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of series.points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${series.name}: ${x}, ${label(y)}`)}</title></circle>`);
    }
    series.ranges?.forEach((range, p) => {
      const point = series.points[p];
      if (range === undefined || point === undefined) return;
      const x = px(point[0]).toFixed(1);
      parts.push(`<line x1="${x}" y1="${py(range[0]).toFixed(1)}" x2="${x}" y2="${py(range[1]).toFixed(1)}" stroke="${color}" stroke-width="1"/>`);
    });
    parts.push(`<rect x="${width - right - 190}" y="${top + i * 16}" width="10" height="10" fill="${color}"/><text x="${width - right - 175}" y="${top + 9 + i * 16}">${escapeXml(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
