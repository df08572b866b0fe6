import { Logger } from '../node/logger.js';
import { DEFAULTS, loadNodeConfig } from '../node/node-config.js';
import { startNode } from '../node/start-node.js';
import { describePlacement } from '../space/space-placement.js';
import { parseCommandArgs } from './parse.js';

const HELP = `usage: plexspaces start [options]

Starts a node on embedded defaults: named tuple spaces in memory, made
durable in SQLite under the data directory, the actor runtime, gRPC, and the
HTTP gateway with the websocket at /ws. Prints one line per endpoint when
ready. Stops cleanly on SIGINT/SIGTERM: stops accepting, cancels blocking
remote operations, flushes durable state.

Settings come from defaults < a TOML file < environment < flags (docs/node.md).

options:
  --config FILE      TOML settings (env PLEXSPACES_CONFIG)
  --data-dir DIR     durable state (default ${DEFAULTS.dataDir}, env PLEXSPACES_DATA_DIR)
  --memory           keep everything in memory (no SQLite file)
  --grpc-port N      gRPC port (default ${DEFAULTS.grpcPort}, env PLEXSPACES_GRPC_PORT; 0 picks a free one)
  --http-port N      HTTP + websocket port (default ${DEFAULTS.httpPort}, env PLEXSPACES_HTTP_PORT; 0 picks a free one)
  --host ADDR        interface to listen on (default ${DEFAULTS.host}, env PLEXSPACES_HOST)
  --workers N        actor worker threads (default: the machine's cores, env PLEXSPACES_WORKERS)
  --cluster URL      join the platform whose nodes share this Redis (redis://host:port; repeat for Redis
                     Cluster seeds; env PLEXSPACES_CLUSTER, TOML [cluster] redis; docs/cluster.md)
  --node-id ID       this node's id in the cluster (default: host name + a random suffix)
  --label K=V        a label this node carries in the cluster's registry (repeatable)
  --max-ws-message-bytes N
                     largest websocket message (default ${DEFAULTS.maxWsMessageBytes}, TOML [limits] max_ws_message_bytes;
                     a bigger one closes that socket with 1009)
  -h, --help         this text

Auth (JWT) is off unless the config file's [auth] table or PLEXSPACES_JWT_SECRET
(HS256) / PLEXSPACES_JWT_PUBLIC_KEY_FILE (RS256) turns it on.
`;

export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      'http-port': { type: 'string' },
      'grpc-port': { type: 'string' },
      host: { type: 'string' },
      workers: { type: 'string' },
      'max-ws-message-bytes': { type: 'string' },
      cluster: { type: 'string', multiple: true },
      'node-id': { type: 'string' },
      label: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const config = loadNodeConfig({
    config: values.config,
    dataDir: values['data-dir'],
    memory: values.memory,
    host: values.host,
    grpcPort: values['grpc-port'],
    httpPort: values['http-port'],
    workers: values.workers,
    maxWsMessageBytes: values['max-ws-message-bytes'],
    cluster: values.cluster,
    nodeId: values['node-id'],
    labels: values.label,
  });
  const log = new Logger(config.logLevel, { component: 'node' });
  const { node, endpoints, cluster, clusterActors, sharedSpaces, restored, stop } = await startNode(config, log);
  // Handlers first: a supervisor may signal as soon as it reads "ready".
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stdout.write(`plexspaces node ready (pid ${process.pid})\n`);
  process.stdout.write(
    node.dataDir === null ? 'spaces: in memory only (--memory)\n' : `spaces: durable in ${node.dataDir}/spaces.sqlite (${node.spaces.storedSpaceCount()} stored)\n`,
  );
  if (sharedSpaces) process.stdout.write(`shared spaces: in the cluster's Redis (${describePlacement(config.spacePlacement)})\n`);
  if (restored.applications.length > 0) process.stdout.write(`applications: ${restored.applications.length} restored (${restored.applications.join(', ')})\n`);
  if (restored.groups.length > 0) process.stdout.write(`shard groups: ${restored.groups.length} restored (${restored.groups.join(', ')})\n`);
  if (cluster !== undefined) process.stdout.write(`cluster: node ${cluster.registry.self.id} on ${config.cluster!.redis.join(', ')} (${cluster.registry.nodes().length} live)\n`);
  if (clusterActors !== undefined) process.stdout.write('actors: location-transparent across the cluster (node links on the HTTP port)\n');
  process.stdout.write(`grpc: ${endpoints.grpc}\n`);
  process.stdout.write(`http: ${endpoints.http}\n`);
  process.stdout.write(`websocket: ${endpoints.ws}\n`);
  if (config.tracing !== null) process.stdout.write(`tracing: spans to ${config.tracing.otlpEndpoint}\n`);
  log.info('started', { ...endpoints, auth: config.auth.enabled, durable: node.dataDir !== null, workers: node.runtime.workerCount });
  // Keep the event loop alive until a signal arrives.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const signal = await stopped;
  process.stdout.write(`received ${signal}, stopping…\n`);
  clearInterval(keepAlive);
  await stop();
  log.info('stopped', { signal });
  process.stdout.write('stopped; durable state flushed\n');
  return 0;
}
