/**
 * What a sweep file's functions get as their second argument when it runs
 * under `plexspaces sweep` (or under `sweepOnNode` from a program): a
 * client of the node the kernel runs on, and a way to put the user's actor
 * on that node. The same file runs against the embedded node the command
 * starts and against a remote one (`--node`).
 */
import { deployActor } from '../client/deploy-actor.js';
import type { PlexClient } from '../client/plex-client.js';
import { runSweep, type RunSweepOptions, type SweepReport } from './run-sweep.js';
import type { SweepSpec } from './sweep-spec.js';

export interface SweepContext {
  /** A websocket client of the node, in the sweep's tenant and namespace. */
  readonly client: PlexClient;
  /** The node's addresses. */
  readonly node: { readonly http: string; readonly ws: string };
  /**
   * Builds (a .ts, .py, .c file, a Go or Rust directory; a .wasm is taken as
   * it is) and deploys the user's actor as `applicationId`, in the sweep's
   * tenant; then `client.actors.ask(id, type, payload, { application })` reaches it.
   */
  deploy(source: string, applicationId: string): Promise<void>;
  /** The node's worker threads, when known. */
  readonly workers?: number;
}

export interface NodeSweepOptions extends Omit<RunSweepOptions<SweepContext>, 'context' | 'overhead'> {
  readonly http: string;
  readonly workers?: number;
  readonly token?: string;
  readonly tenant?: string;
  /** Round trips timed before the sweep, to report what one costs (default 50; 0 skips). */
  readonly roundTrips?: number;
}

/** The median time of `count` `node.info` round trips: what a run that makes one call pays beyond the kernel. */
async function roundTripSeconds(client: PlexClient, count: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await client.info();
    samples.push((performance.now() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** Runs `spec` with a SweepContext for the node `client` talks to. */
export async function sweepOnNode(spec: SweepSpec<unknown, SweepContext>, client: PlexClient, options: NodeSweepOptions): Promise<SweepReport> {
  const ws = `${options.http.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`;
  const context: SweepContext = {
    client,
    node: { http: options.http, ws },
    workers: options.workers,
    deploy: async (source, applicationId) => {
      await deployActor(options.http, source, applicationId, { tenant: options.tenant, token: options.token });
    },
  };
  const trips = options.roundTrips ?? 50;
  const overhead = trips > 0 ? { what: 'one websocket round trip to the node (node.info)', seconds: await roundTripSeconds(client, trips) } : undefined;
  return runSweep(spec, { ...options, context, overhead });
}
