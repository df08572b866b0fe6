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
