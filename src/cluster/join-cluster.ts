import type { Logger } from '../node/logger.js';
import type { ClusterConfig } from '../node/node-config.js';
import type { Membership } from './membership.js';
import { NodeRegistry } from './node-registry.js';
import { connectRedis, type RedisClient } from './redis-client.js';

/** A node's membership of a cluster, as `plexspaces start --cluster` holds it. */
export interface ClusterMember {
  readonly client: RedisClient;
  readonly registry: NodeRegistry;
  /** Says goodbye and closes the backend connections. */
  leave(): Promise<void>;
}

/**
 * Connects to the cluster's Redis and registers this node (its addresses
 * are known: call after the node listens). A backend that cannot be reached
 * at start is an error — a node told to join a cluster does not silently
 * run alone; once joined, an outage only makes the registry stale.
 */
export async function joinCluster(membership: Membership, config: ClusterConfig, log: Logger): Promise<ClusterMember> {
  const self = membership.self;
  const client = await connectRedis(config.redis, { connectionName: `plex:${self.id}` });
  let registry: NodeRegistry;
  try {
    registry = await NodeRegistry.join(client, self, { ttlMs: config.heartbeatTtlMs });
  } catch (error) {
    client.disconnect();
    throw error;
  }
  membership.joined(registry, config.redis);
  registry.onChange((event) => {
    if (event.node.id === registry.self.id) return;
    if (event.type === 'join') log.info('node joined', { node: event.node.id, http: event.node.addresses.http });
    else log.warn('node left', { node: event.node.id, reason: event.reason });
  });
  return {
    client,
    registry,
    async leave() {
      await registry.leave();
      client.disconnect();
    },
  };
}
