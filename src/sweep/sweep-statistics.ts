/**
 * The figures a sweep reports for a set of repeated measurements: the
 * median (robust to the odd slow run a shared machine produces), the
 * quartiles, min and max, and the spread as the interquartile range over
 * the median — a number a reader can compare across points.
 */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** 25th and 75th percentiles (linear interpolation between samples). */
  readonly p25: number;
  readonly p75: number;
  readonly mean: number;
  /** (p75 − p25) / median; 0 with one sample. */
  readonly relativeSpread: number;
  readonly samples: number;
}

/** The `q` quantile (0..1) of ascending samples, interpolated between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const p25 = quantile(sorted, 0.25);
  const p75 = quantile(sorted, 0.75);
  return {
    median,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    p25,
    p75,
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    relativeSpread: median === 0 ? 0 : (p75 - p25) / Math.abs(median),
    samples: sorted.length,
  };
}
