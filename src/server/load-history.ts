import { cpuUsage, memoryUsage } from 'node:process';

/** One closed second of the node's remote load. */
export interface LoadSample {
  /** Start of the second, epoch ms. */
  readonly at: number;
  /** Per surface (http, ws, grpc): operations that ended in this second and their latency quantiles, ms (null when none ended). */
  readonly surfaces: Readonly<Record<string, { readonly ops: number; readonly p50Ms: number | null; readonly p99Ms: number | null }>>;
  /** CPU the process used over the second (user + system), percent of one core. */
  readonly cpuPercent: number;
  readonly rssBytes: number;
}

export interface LoadHistoryOptions {
  /** Seconds kept. Default 300 (five minutes, what the dashboard charts). */
  readonly seconds?: number;
  /** Latencies kept per surface per second for its quantiles; past it, a uniform sample of them (reservoir). Default 2048. */
  readonly samplesPerSecond?: number;
  /** The clock (tests). Default Date.now. */
  readonly now?: () => number;
}

export const SURFACES = ['http', 'ws', 'grpc'] as const;

interface OpenSecond {
  at: number;
  readonly ops: Map<string, number>;
  readonly latencies: Map<string, number[]>;
}

/**
 * The last few minutes of the node's load, one sample per second, for the
 * dashboard's live charts: operations per second and p50/p99 latency per
 * surface, and the process's CPU and memory.
 *
 * Prometheus histograms (metrics.ts) have fixed buckets and no time axis, so
 * their quantiles over a recent second would be bucket bounds; this keeps
 * the latencies themselves (a bounded sample) per second. There is no timer:
 * a second is closed when the next record or read finds the clock past it,
 * and the seconds with no operation in between are filled with zeros.
 */
export class LoadHistory {
  private readonly seconds: number;
  private readonly perSecond: number;
  private readonly now: () => number;
  private readonly closed: LoadSample[] = [];
  private open: OpenSecond;
  private lastCpu = cpuUsage();
  private lastCpuAt: number;

  constructor(options: LoadHistoryOptions = {}) {
    this.seconds = options.seconds ?? 300;
    this.perSecond = options.samplesPerSecond ?? 2048;
    if (!Number.isSafeInteger(this.seconds) || this.seconds < 1) throw new RangeError(`seconds must be a positive integer, got ${this.seconds}`);
    if (!Number.isSafeInteger(this.perSecond) || this.perSecond < 1) throw new RangeError(`samplesPerSecond must be a positive integer, got ${this.perSecond}`);
    this.now = options.now ?? Date.now;
    const now = this.now();
    this.lastCpuAt = now;
    this.open = { at: secondOf(now), ops: new Map(), latencies: new Map() };
  }

  /** Counts one operation of `surface` that took `ms`. */
  record(surface: string, ms: number): void {
    this.roll();
    const open = this.open;
    const ops = (open.ops.get(surface) ?? 0) + 1;
    open.ops.set(surface, ops);
    let latencies = open.latencies.get(surface);
    if (latencies === undefined) open.latencies.set(surface, (latencies = []));
    if (latencies.length < this.perSecond) latencies.push(ms);
    else {
      // Reservoir sampling: every latency of the second had the same chance to be kept.
      const slot = Math.floor(Math.random() * ops);
      if (slot < this.perSecond) latencies[slot] = ms;
    }
  }

  /** The closed seconds, oldest first (at most `seconds` of them). */
  samples(): LoadSample[] {
    this.roll();
    return [...this.closed];
  }

  /** The newest closed second, or undefined in the node's first second. */
  latest(): LoadSample | undefined {
    this.roll();
    return this.closed.at(-1);
  }

  private roll(): void {
    const now = this.now();
    const current = secondOf(now);
    if (current <= this.open.at) return;
    // CPU over the whole stretch since the last roll, spread evenly over the seconds it covers.
    const cpu = cpuUsage(this.lastCpu);
    this.lastCpu = cpuUsage();
    const wallMs = Math.max(1, now - this.lastCpuAt);
    this.lastCpuAt = now;
    const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10;
    const rssBytes = memoryUsage.rss();
    this.push({ at: this.open.at, surfaces: this.summary(this.open), cpuPercent, rssBytes });
    // Idle seconds in between (at most a history's worth is worth writing).
    for (let at = Math.max(this.open.at + 1000, current - this.seconds * 1000); at < current; at += 1000) this.push({ at, surfaces: this.summary(undefined), cpuPercent, rssBytes });
    this.open = { at: current, ops: new Map(), latencies: new Map() };
  }

  private summary(second: OpenSecond | undefined): LoadSample['surfaces'] {
    const out: Record<string, { ops: number; p50Ms: number | null; p99Ms: number | null }> = {};
    for (const surface of SURFACES) {
      const latencies = second?.latencies.get(surface)?.sort((a, b) => a - b) ?? [];
      out[surface] = { ops: second?.ops.get(surface) ?? 0, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) };
    }
    return out;
  }

  private push(sample: LoadSample): void {
    this.closed.push(sample);
    if (this.closed.length > this.seconds) this.closed.splice(0, this.closed.length - this.seconds);
  }
}

const secondOf = (ms: number) => Math.floor(ms / 1000) * 1000;

/** The nearest-rank quantile of sorted values, rounded to µs; null for none. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return Math.round(value * 1000) / 1000;
}
