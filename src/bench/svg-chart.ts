/**
 * Grouped horizontal bar charts as standalone SVG, for the committed bench
 * results (no charting dependency; the files render on GitHub as images).
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
