/**
 * A stage's live figures: totals since start, rates over the last few
 * seconds, and latency percentiles over its most recent handlings. Cheap
 * enough to update on every tuple (a counter and a ring slot).
 */
export interface StageFigures {
  readonly stage: string;
  readonly instances: number;
  /** Tuples taken (each delivery counts: a retried tuple counts again). */
  readonly taken: number;
  /** Tuples consumed for good (acked with their outputs). */
  readonly done: number;
  /** Tuples written by this stage. */
  readonly written: number;
  /** Attempts that failed (a crash, a timeout, a throw, a bad reply). */
  readonly failures: number;
  /** Deliveries given back to the space after maxAttempts (or a lapsed lease). */
  readonly returned: number;
  /** Instance restarts by their supervisors. */
  readonly restarts: number;
  /** Tuples waiting for this stage in the space plus those it holds. */
  readonly backlog: number;
  readonly maxBacklog: number;
  /** Held right now: taken, not yet acked. */
  readonly inFlight: number;
  /** Tuples in and out per second, over the last RATE_WINDOW_MS. */
  readonly inPerSecond: number;
  readonly outPerSecond: number;
  /** From take to ack (handling plus the atomic write), ms, over the last LATENCY_SAMPLES handlings. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** `running`, `finished` (its input ended and it emptied), `stopped` or `failed`. */
  readonly state: StageState;
}

export type StageState = 'running' | 'finished' | 'stopped' | 'failed';

const LATENCY_SAMPLES = 1024;
const RATE_WINDOW_MS = 5000;
const SLOT_MS = 250;
const SLOTS = RATE_WINDOW_MS / SLOT_MS;

/** Counts per 250 ms slot over the last 5 s, so a rate reflects now, not the average since start. */
class RateWindow {
  private readonly counts = new Float64Array(SLOTS);
  private slot = -1;

  add(n: number, now: number): void {
    this.advance(now);
    this.counts[this.slot % SLOTS] += n;
  }

  perSecond(now: number): number {
    this.advance(now);
    let sum = 0;
    for (const c of this.counts) sum += c;
    return sum / (RATE_WINDOW_MS / 1000);
  }

  private advance(now: number): void {
    const slot = Math.floor(now / SLOT_MS);
    if (this.slot < 0) this.slot = slot;
    if (slot - this.slot >= SLOTS) this.counts.fill(0);
    else for (let s = this.slot + 1; s <= slot; s++) this.counts[s % SLOTS] = 0;
    this.slot = Math.max(this.slot, slot);
  }
}

export class StageMetrics {
  taken = 0;
  done = 0;
  written = 0;
  failures = 0;
  returned = 0;
  restarts = 0;
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private samples = 0;
  private readonly inRate = new RateWindow();
  private readonly outRate = new RateWindow();

  constructor(private readonly clock: () => number = Date.now) {}

  onTaken(): void {
    this.taken++;
    this.inRate.add(1, this.clock());
  }

  onDone(written: number, latencyMs: number): void {
    this.done++;
    this.written += written;
    this.outRate.add(written, this.clock());
    this.latencies[this.samples++ % LATENCY_SAMPLES] = latencyMs;
  }

  figures(base: Pick<StageFigures, 'stage' | 'instances' | 'backlog' | 'maxBacklog' | 'inFlight' | 'state'>): StageFigures {
    const now = this.clock();
    const n = Math.min(this.samples, LATENCY_SAMPLES);
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number) => (n === 0 ? 0 : Math.round(sorted[Math.min(n - 1, Math.floor(q * n))] * 1000) / 1000);
    return {
      ...base,
      taken: this.taken,
      done: this.done,
      written: this.written,
      failures: this.failures,
      returned: this.returned,
      restarts: this.restarts,
      inPerSecond: this.inRate.perSecond(now),
      outPerSecond: this.outRate.perSecond(now),
      latencyP50Ms: at(0.5),
      latencyP99Ms: at(0.99),
    };
  }
}
