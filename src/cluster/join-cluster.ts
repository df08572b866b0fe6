import type { Logger } from '../node/logger.js';
import type { ClusterConfig } from '../node/node-config.js';
import type { Membership } from './membership.js';
import { NodeRegistry } from './node-registry.js';
import type { RedisClient } from './redis-client.js';

/** A node's membership of a cluster, as `plexspaces start --cluster` holds it. */
export interface ClusterMember {
  readonly client: RedisClient;
  readonly registry: NodeRegistry;
  /** Says goodbye (the connection stays: the node's KV and locks use it until the node stops). */
  leave(): Promise<void>;
}

/**
 * Registers this node with the cluster's Redis (its addresses are known:
 * call after the node listens). The connection was made before the node was
 * built (its KV and locks live there); once joined, an outage only makes
 * the registry stale.
 */
export async function joinCluster(client: RedisClient, membership: Membership, config: ClusterConfig, log: Logger): Promise<ClusterMember> {
  const self = membership.self;
  const registry = await NodeRegistry.join(client, self, { ttlMs: config.heartbeatTtlMs });
  membership.joined(registry, config.redis);
  registry.onChange((event) => {
    if (event.node.id === registry.self.id) return;
    if (event.type === 'join') log.info('node joined', { node: event.node.id, http: event.node.addresses.http });
    else log.warn('node left', { node: event.node.id, reason: event.reason });
  });
  return {
    client,
    registry,
    leave: () => registry.leave(),
  };
}
