import { startClusterActors, type ClusterActors } from '../cluster/cluster-actors.js';
import { ClusterApplications } from '../cluster/cluster-applications.js';
import { joinCluster, type ClusterMember } from '../cluster/join-cluster.js';
import { newIncarnation, nodeId } from '../cluster/node-registry.js';
import { connectRedis, onBackend } from '../cluster/redis-client.js';
import { RedisSpaceCatalog } from '../cluster/redis-space/redis-space-catalog.js';
import { RedisWakeups } from '../cluster/redis-space/wakeups.js';
import { UsageError } from '../errors.js';
import { NodeServer, type Endpoints } from '../server/node-server.js';
import { NodeTracing } from '../tracing/node-tracing.js';
import type { Logger } from './logger.js';
import type { NodeConfig } from './node-config.js';
import { PlexNode } from './plex-node.js';

/** How long a stopping node may spend moving its actors and shards to the other nodes. */
const DRAIN_ON_STOP_MS = 30_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** A node listening, joined to its cluster if it has one, its applications and shard groups restored. */
export interface StartedNode {
  readonly node: PlexNode;
  readonly server: NodeServer;
  readonly endpoints: Endpoints;
  /** Its membership, with `--cluster`. */
  readonly cluster?: ClusterMember;
  /** Location-transparent actors (and shard groups over the nodes), with a cluster secret. */
  readonly clusterActors?: ClusterActors;
  /** Whether its shared spaces are in the cluster's Redis. */
  readonly sharedSpaces: boolean;
  readonly restored: { applications: string[]; groups: string[] };
  /** Leaves the cluster, stops serving, stops the actors (durable ones checkpoint) and closes the connections. */
  stop(): Promise<void>;
}

/**
 * Builds and starts a node from its settings, as `plexspaces start` does
 * (and `plexspaces run … --cluster`, whose process joins the cluster as a
 * node for the length of a job). Failures to restore an application or a
 * shard group are logged, not thrown: the node runs without them.
 */
export async function startNode(config: NodeConfig, log: Logger): Promise<StartedNode> {
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
  // In a cluster with a secret, the cluster says which node runs each bundle's tree (src/cluster/cluster-trees.ts).
  const apps = await node.restoreApplications({ trees: config.cluster?.secret === undefined });
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
  return {
    node,
    server,
    endpoints,
    cluster,
    clusterActors,
    sharedSpaces: wakeups !== undefined,
    restored: { applications: apps.restored, groups: groups.restored },
    async stop() {
      // Drained first, while still a member: its durable and virtual actors stop with their state saved
      // before anyone takes them over, and the shards it runs move with their keys (bounded: a stop must end).
      const drained = server.service.drainBeforeStop();
      drained.catch(() => undefined); // reported below, or too late to matter
      const bounded = await Promise.race([drained.then(() => 'done' as const), delay(DRAIN_ON_STOP_MS).then(() => 'late' as const)]).catch((error: unknown) => {
        log.warn('could not drain this node before it stops', { error: (error as Error).message });
        return 'failed' as const;
      });
      if (bounded === 'late') log.warn(`draining this node took over ${DRAIN_ON_STOP_MS / 1000} s; stopping anyway`);
      // Every actor stops (durable ones checkpoint, bundles' trees and virtual actors with them) while this
      // node is still listed: nobody takes any of them over until they are gone. Then goodbye — the others
      // see it leave at once instead of after its heartbeat lapses — and its directory entries go.
      await server.close();
      await node.stop();
      await cluster?.leave();
      await clusterActors?.close();
      await wakeups?.close();
      redis?.disconnect();
    },
  };
}
