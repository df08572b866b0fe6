import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StageFigures } from '../pipeline/stage-metrics.js';
import { ErrorCode } from '../errors.js';
import type { PlexNode } from '../node/plex-node.js';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from './dead-letters.js';
import { BoundedLabel, FixedLabel, OTHER } from './metric-labels.js';

/** Pipelines whose stages get /metrics series (the rest are left out: a tenant could otherwise grow the registry without bound). */
const MAX_PIPELINE_SERIES = 64;

export interface NodeMetricsOptions {
  /**
   * Most spaces given their own `plexspaces_space_tuples` / `_waiters` series
   * (the largest ones); the rest are summed into one series labelled
   * `(other)`. 0: only that sum. Space names come from clients, so an
   * unbounded count would grow /metrics with every space created. Default 100.
   */
  readonly maxSpaceSeries?: number;
}

export const DEFAULT_MAX_SPACE_SERIES = 100;

/** Codes a request or crash can end with; anything else is counted as `unknown`. */
const CODES = new FixedLabel([
  'ok',
  ...Object.values(ErrorCode),
  // Codes only the surfaces use (the HTTP gateway's own, the fallback for unexpected errors).
  'PLEX_ERR_INTERNAL', 'PLEX_ERR_BODY_TOO_LARGE', 'PLEX_ERR_METHOD_NOT_ALLOWED', 'PLEX_ERR_UNSUPPORTED_MEDIA_TYPE',
]);
const SURFACES = new FixedLabel(['http', 'ws', 'grpc']);
const REASONS = new FixedLabel(DEAD_LETTER_REASONS);

/**
 * Prometheus metrics of a node (prom-client), served at GET /metrics:
 * operations and their latencies per surface, space sizes and blocked
 * waiters, actors, actor crashes and supervisor restarts, worker queue depths, open
 * websockets, plus Node's process metrics.
 *
 * Every label value comes from a fixed set or a bounded one (metric-labels.ts):
 * a label taken from client input (an op name, a space name) would add a
 * series per distinct value, and prom-client never forgets a series.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'surface' | 'operation' | 'code'>;
  private readonly latency: Histogram<'surface' | 'operation'>;
  private readonly crashes: Counter<'code'>;
  private readonly restarts: Counter<'supervisor'>;
  private readonly deadLetters: Counter<'reason'>;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeRestarts: () => void;
  /** Per surface: operations are fixed by each surface's code (routes, ws ops, gRPC methods); the bound is a backstop. */
  private readonly operations = new Map<string, BoundedLabel>();

  constructor(node: PlexNode, connections: () => number, options: NodeMetricsOptions = {}) {
    const maxSpaceSeries = options.maxSpaceSeries ?? DEFAULT_MAX_SPACE_SERIES;
    if (!Number.isSafeInteger(maxSpaceSeries) || maxSpaceSeries < 0) throw new RangeError(`maxSpaceSeries must be a non-negative integer, got ${maxSpaceSeries}`);
    collectDefaultMetrics({ register: this.registry, prefix: 'plexspaces_process_' });
    this.requests = new Counter({ name: 'plexspaces_requests_total', help: 'Remote operations by surface, operation and result code (ok or PLEX_ERR_*).', labelNames: ['surface', 'operation', 'code'], registers: [this.registry] });
    this.latency = new Histogram({
      name: 'plexspaces_request_seconds',
      help: 'Latency of remote operations (blocking reads and takes include their wait).',
      labelNames: ['surface', 'operation'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    this.crashes = new Counter({ name: 'plexspaces_actor_crashes_total', help: 'Actors that trapped, timed out, hit their memory cap or failed (each restarted by its supervisor, if any).', labelNames: ['code'], registers: [this.registry] });
    this.unsubscribe = node.runtime.onCrash((report) => this.crashes.inc({ code: CODES.of(report.error.code) }));
    this.restarts = new Counter({ name: 'plexspaces_actor_restarts_total', help: 'Children restarted by supervisors (each child of a one_for_all or rest_for_one group counts).', labelNames: ['supervisor'], registers: [this.registry] });
    // Supervisor ids come from deployed applications, so tenants choose them: bounded.
    const supervisors = new BoundedLabel(100);
    this.unsubscribeRestarts = node.actors.onRestart((r) => this.restarts.inc({ supervisor: supervisors.of(r.supervisor) }));
    this.deadLetters = new Counter({ name: 'plexspaces_dead_letters_total', help: 'Remote tells accepted but not handled, by reason (listed at GET /api/v1/dead-letters).', labelNames: ['reason'], registers: [this.registry] });
    const spaces = () => node.spaces.openSpaces();
    for (const [name, help, stat] of [
      ['plexspaces_space_tuples', 'Tuples in each open space', 'tuples'],
      ['plexspaces_space_waiters', 'Blocked reads and takes waiting in each open space', 'waiters'],
    ] as const) {
      new Gauge({
        name,
        help: `${help} (the ${maxSpaceSeries} largest; the rest summed under space="${OTHER}").`,
        labelNames: ['tenant', 'namespace', 'space'],
        registers: [this.registry],
        async collect() {
          // A shared space answers from Redis; one that cannot answer (Redis down) is left out of this scrape.
          const answers = await Promise.all(spaces().map(async ({ ref, space }) => ({ ref, value: await Promise.resolve(space.stats()).then((s) => s[stat], () => undefined) })));
          // Reset on every scrape: a closed space's series goes with it.
          this.reset();
          const sized = answers.filter((a): a is { ref: typeof a.ref; value: number } => a.value !== undefined);
          sized.sort((a, b) => b.value - a.value);
          let rest = 0;
          for (let i = 0; i < sized.length; i++) {
            const { ref, value } = sized[i];
            if (i < maxSpaceSeries) this.set({ tenant: ref.tenant, namespace: ref.namespace, space: ref.name }, value);
            else rest += value;
          }
          if (sized.length > maxSpaceSeries) this.set({ tenant: OTHER, namespace: OTHER, space: OTHER }, rest);
        },
      });
    }
    new Gauge({
      name: 'plexspaces_actors',
      help: 'Live actors.',
      registers: [this.registry],
      collect() {
        this.set(node.runtime.placement().length);
      },
    });
    new Gauge({
      name: 'plexspaces_worker_queue_depth',
      help: 'Messages queued for each worker thread, not yet handed over.',
      labelNames: ['worker'],
      registers: [this.registry],
      collect() {
        for (const stats of node.runtime.workerStats()) this.set({ worker: String(stats.worker) }, stats.queued);
      },
    });
    // Dataflow pipelines: one series per stage (of at most MAX_PIPELINE_SERIES pipelines), from its live figures.
    const stages = () =>
      node.pipelines
        .entries()
        .slice(0, MAX_PIPELINE_SERIES)
        .flatMap(([key, pipeline]) => {
          const [tenant, namespace, name] = key.includes('/') ? key.split('/') : ['', '', key];
          return pipeline.figures().stages.map((figures) => ({ labels: { tenant, namespace, pipeline: name, stage: figures.stage }, figures }));
        });
    const stageGauge = (name: string, help: string, value: (f: StageFigures) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['tenant', 'namespace', 'pipeline', 'stage'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { labels, figures } of stages()) this.set(labels, value(figures));
        },
      });
    stageGauge('plexspaces_pipeline_stage_backlog', 'Tuples waiting for a pipeline stage in its space plus those it holds.', (f) => f.backlog);
    stageGauge('plexspaces_pipeline_stage_in_flight', 'Tuples a pipeline stage holds (taken, not yet acked).', (f) => f.inFlight);
    stageGauge('plexspaces_pipeline_stage_instances', 'Instances a pipeline stage runs.', (f) => f.instances);
    stageGauge('plexspaces_pipeline_stage_in_per_second', 'Tuples a pipeline stage took per second, over the last 5 s.', (f) => f.inPerSecond);
    stageGauge('plexspaces_pipeline_stage_out_per_second', 'Tuples a pipeline stage wrote per second, over the last 5 s.', (f) => f.outPerSecond);
    stageGauge('plexspaces_pipeline_stage_latency_p50_ms', 'Take-to-ack latency of a pipeline stage, median of its last 1024 tuples, ms.', (f) => f.latencyP50Ms);
    stageGauge('plexspaces_pipeline_stage_latency_p99_ms', 'Take-to-ack latency of a pipeline stage, 99th percentile of its last 1024 tuples, ms.', (f) => f.latencyP99Ms);
    new Gauge({
      name: 'plexspaces_pipeline_stage_tuples',
      help: 'Totals of a pipeline stage since it started, by kind: taken, done (acked with its outputs), written, failures, returned (to the space), restarts.',
      labelNames: ['tenant', 'namespace', 'pipeline', 'stage', 'kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, figures } of stages()) for (const kind of ['taken', 'done', 'written', 'failures', 'returned', 'restarts'] as const) this.set({ ...labels, kind }, figures[kind]);
      },
    });
    new Gauge({
      name: 'plexspaces_websocket_connections',
      help: 'Open websocket connections.',
      registers: [this.registry],
      collect() {
        this.set(connections());
      },
    });
  }

  /** Times `run` and counts its outcome under `surface` / `operation`. */
  async observe<T>(surface: string, operation: string, run: () => Promise<T>): Promise<T> {
    surface = SURFACES.of(surface);
    let operations = this.operations.get(surface);
    if (operations === undefined) this.operations.set(surface, (operations = new BoundedLabel(256)));
    operation = operations.of(operation);
    const stop = this.latency.startTimer({ surface, operation });
    try {
      const result = await run();
      this.requests.inc({ surface, operation, code: 'ok' });
      return result;
    } catch (error) {
      const code = (error as { code?: unknown } | undefined)?.code;
      // A Node or library error (ENOENT, ERR_…) reaches the client as PLEX_ERR_INTERNAL; count it so.
      this.requests.inc({ surface, operation, code: typeof code === 'string' && code.startsWith('PLEX_ERR_') ? CODES.of(code) : 'PLEX_ERR_INTERNAL' });
      throw error;
    } finally {
      stop();
    }
  }

  /** Counts one dead letter (NodeService records it). */
  deadLetter(reason: DeadLetterReason): void {
    this.deadLetters.inc({ reason: REASONS.of(reason) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.unsubscribe();
    this.unsubscribeRestarts();
  }
}
