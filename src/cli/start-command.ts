import { UsageError } from '../errors.js';
import { Logger } from '../node/logger.js';
import { DEFAULTS, loadNodeConfig } from '../node/node-config.js';
import { PlexNode } from '../node/plex-node.js';
import { NodeTracing } from '../tracing/node-tracing.js';
import { NodeServer, type Endpoints } from '../server/node-server.js';
import { startClusterActors } from '../cluster/cluster-actors.js';
import { ClusterApplications } from '../cluster/cluster-applications.js';
import { joinCluster, type ClusterMember } from '../cluster/join-cluster.js';
import { connectRedis, onBackend } from '../cluster/redis-client.js';
import { newIncarnation, nodeId } from '../cluster/node-registry.js';
import { RedisSpaceCatalog } from '../cluster/redis-space/redis-space-catalog.js';
import { RedisWakeups } from '../cluster/redis-space/wakeups.js';
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
  // A node told to join a cluster does not silently run alone: a backend it cannot reach stops the start.
  const redis = config.cluster === null ? undefined : await connectRedis(config.cluster.redis, { connectionName: `plex:${config.nodeId ?? 'node'}` });
  const id = nodeId(config.nodeId);
  const incarnation = newIncarnation();
  // Handoffs to this node's blocked takes on shared spaces arrive on its own channel, named by the incarnation.
  const wakeups = redis === undefined ? undefined : await onBackend('join the cluster', () => RedisWakeups.open(redis, `${id}.${incarnation}`)).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  const node = new PlexNode({
    dataDir: config.dataDir,
    workers: config.workers,
    quotas: config.quotas,
    cluster: redis,
    nodeId: id,
    incarnation,
    sharedSpaces: redis === undefined ? undefined : new RedisSpaceCatalog(redis, wakeups!),
    spacePlacement: config.spacePlacement,
    tracing: config.tracing === null ? undefined : new NodeTracing({ ...config.tracing, nodeId: id }),
  });
  const server = new NodeServer(node, {
    httpPort: config.httpPort,
    grpcPort: config.grpcPort,
    host: config.host,
    auth: config.auth,
    http: { maxJsonBytes: config.maxJsonBytes, maxDeployBytes: config.maxDeployBytes },
    ws: { maxMessageBytes: config.maxWsMessageBytes },
    metrics: { maxSpaceSeries: config.maxSpaceSeries },
    labels: config.labels,
  });
  let endpoints: Endpoints;
  try {
    endpoints = await server.listen();
  } catch (error) {
    await node.stop();
    await wakeups?.close();
    redis?.disconnect();
    throw new UsageError(`cannot listen (gRPC port ${config.grpcPort}, HTTP port ${config.httpPort}): ${(error as Error).message}`);
  }
  let cluster: ClusterMember | undefined;
  if (config.cluster !== null) {
    try {
      cluster = await joinCluster(redis!, server.service.membership, config.cluster, log, node.actors.coordination);
    } catch (error) {
      await server.close();
      await node.stop();
      await wakeups?.close();
    redis?.disconnect();
      throw error;
    }
  }
  node.runtime.onCrash((report) => log.warn('actor crashed', { actor: report.actorId, module: report.module, code: report.error.code, error: report.error.message }));
  const apps = await node.restoreApplications();
  for (const failure of apps.failed) log.error('application not restored', failure);
  // With a cluster secret, any node answers for any actor: the directory in Redis says where it runs, the node links carry the message there.
  // Module applications then are the cluster's too: deployed once, installed on every node (after this node's own copies are restored, so the cluster's version wins).
  const clusterActors =
    cluster !== undefined && config.cluster?.secret !== undefined
      ? startClusterActors({
          client: redis!,
          registry: cluster.registry,
          secret: config.cluster.secret,
          service: server.service,
          ws: server.ws,
          applications: await ClusterApplications.start(redis!, node.applications, `${cluster.registry.self.id}.${cluster.registry.self.incarnation}`, log),
          log,
        })
      : undefined;
  if (cluster !== undefined && clusterActors === undefined) log.warn('no [cluster] secret: actors are each node’s own (messages are not forwarded between nodes; docs/cluster.md)');
  // After the applications: a group runs its application's module.
  const groups = await server.service.restoreGroups();
  for (const failure of groups.failed) log.error('shard group not restored', failure);
  // Handlers first: a supervisor may signal as soon as it reads "ready".
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stdout.write(`plexspaces node ready (pid ${process.pid})\n`);
  process.stdout.write(
    node.dataDir === null ? 'spaces: in memory only (--memory)\n' : `spaces: durable in ${node.dataDir}/spaces.sqlite (${node.spaces.storedSpaceCount()} stored)\n`,
  );
  if (wakeups !== undefined) process.stdout.write(`shared spaces: in the cluster's Redis (${describePlacement(config.spacePlacement)})\n`);
  if (apps.restored.length > 0) process.stdout.write(`applications: ${apps.restored.length} restored (${apps.restored.join(', ')})\n`);
  if (groups.restored.length > 0) process.stdout.write(`shard groups: ${groups.restored.length} restored (${groups.restored.join(', ')})\n`);
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
  // Goodbye first: the other nodes see this one leave at once instead of after its heartbeat lapses.
  await cluster?.leave();
  await server.close();
  await node.stop();
  // Its actors stopped (durable ones checkpointed): its links close and its directory entries go, so the next node that needs one claims it.
  await clusterActors?.close();
  await wakeups?.close();
  redis?.disconnect();
  log.info('stopped', { signal });
  process.stdout.write('stopped; durable state flushed\n');
  return 0;
}
