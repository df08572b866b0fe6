/**
 * `plexspaces/client`: use a node remotely with the in-process API's names
 * and types.
 *
 *   import { PlexClient, any } from 'plexspaces/client';
 *   const client = await PlexClient.connect('ws://127.0.0.1:8001/ws', { tenant: 'acme' }); // or 'grpc://127.0.0.1:8000'
 *   const jobs = client.space('jobs');
 *   await jobs.write(['job', 1, 10n]);
 *   const job = await jobs.take(['job', any, any], { timeoutMs: 5000 });
 */
export { PlexClient, RemoteActors, RemoteShardGroups, RemoteSpace, type ConnectOptions, type RemoteDelivery, type RemoteWatchEvent } from './plex-client.js';
export { RemoteError } from './ws-transport.js';
export { any } from '../tuple/types.js';
export { compute, Computation, type ActiveTuple } from '../space/linda-eval.js';
export type { Template, Tuple } from '../tuple/types.js';
// Sweeps of the user's kernels (docs/sweeps.md): run one against any node this client reaches.
export { runSweep, assertSweepPassed, type SweepReport, type SweepPointResult, type SweepProgress } from '../sweep/run-sweep.js';
export { sweepOnNode, type SweepContext, type NodeSweepOptions } from '../sweep/sweep-context.js';
export { loadSweepFile } from '../sweep/load-sweep-file.js';
export { saveSweep, sweepChart, sweepCsv, sweepMarkdown, sweepRows } from '../sweep/sweep-output.js';
export { deployActor } from './deploy-actor.js';
export type { SweepSpec, SweepParams, SweepMetric, SweepValue } from '../sweep/sweep-spec.js';
