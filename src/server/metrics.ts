import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PlexNode } from '../node/plex-node.js';

/**
 * Prometheus metrics of a node (prom-client), served at GET /metrics:
 * operations and their latencies per surface, space sizes and blocked
 * waiters, actors, actor crashes and supervisor restarts, worker queue depths, open
 * websockets, plus Node's process metrics.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'surface' | 'operation' | 'code'>;
  private readonly latency: Histogram<'surface' | 'operation'>;
  private readonly crashes: Counter<'code'>;
  private readonly restarts: Counter<'supervisor'>;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeRestarts: () => void;

  constructor(node: PlexNode, connections: () => number) {
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
    this.unsubscribe = node.runtime.onCrash((report) => this.crashes.inc({ code: report.error.code }));
    this.restarts = new Counter({ name: 'plexspaces_actor_restarts_total', help: 'Children restarted by supervisors (each child of a one_for_all or rest_for_one group counts).', labelNames: ['supervisor'], registers: [this.registry] });
    this.unsubscribeRestarts = node.actors.onRestart((r) => this.restarts.inc({ supervisor: r.supervisor }));
    const spaces = () => node.spaces.openSpaces();
    new Gauge({
      name: 'plexspaces_space_tuples',
      help: 'Tuples in each open space.',
      labelNames: ['tenant', 'namespace', 'space'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { ref, space } of spaces()) this.set({ tenant: ref.tenant, namespace: ref.namespace, space: ref.name }, space.stats().tuples);
      },
    });
    new Gauge({
      name: 'plexspaces_space_waiters',
      help: 'Blocked reads and takes waiting in each open space.',
      labelNames: ['tenant', 'namespace', 'space'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { ref, space } of spaces()) this.set({ tenant: ref.tenant, namespace: ref.namespace, space: ref.name }, space.stats().waiters);
      },
    });
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
    const stop = this.latency.startTimer({ surface, operation });
    try {
      const result = await run();
      this.requests.inc({ surface, operation, code: 'ok' });
      return result;
    } catch (error) {
      this.requests.inc({ surface, operation, code: (error as { code?: string }).code ?? 'PLEX_ERR_INTERNAL' });
      throw error;
    } finally {
      stop();
    }
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
