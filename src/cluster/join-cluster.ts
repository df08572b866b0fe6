import type { Coordination } from '../coord/coordination.js';
import type { Logger } from '../node/logger.js';
import type { ClusterConfig } from '../node/node-config.js';
import type { Membership } from './membership.js';
import { NodeRegistry } from './node-registry.js';
import { releaseProcessQueueDeliveries } from './redis-coordination/process-queues.js';
import { releaseProcessDeliveries } from './redis-space/node-deliveries.js';
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
 *
 * A node that leaves (a goodbye or a lapsed heartbeat) takes its process-group
 * members with it: every node that sees the leave removes them (idempotent,
 * so the nodes may race). Once registered, this node removes what an earlier
 * incarnation under its id left behind (a crash nobody saw). A node that was
 * declared dead while alive and registers again records its members again.
 */
export async function joinCluster(
  client: RedisClient,
  membership: Membership,
  config: ClusterConfig,
  log: Logger,
  coordination: Pick<Coordination, 'nodeLeft' | 'joinedCluster' | 'rejoinedCluster'>,
): Promise<ClusterMember> {
  const self = membership.self;
  const registry = await NodeRegistry.join(client, self, { ttlMs: config.heartbeatTtlMs });
  membership.joined(registry, config.redis);
  registry.onChange((event) => {
    if (event.node.id === registry.self.id) return;
    if (event.type === 'join') {
      log.info('node joined', { node: event.node.id, http: event.node.addresses.http });
      return;
    }
    log.warn('node left', { node: event.node.id, reason: event.reason });
    // Its crash-safe takes on shared spaces come back now rather than at their lease end (idempotent: every node runs it).
    releaseProcessDeliveries(client, `${event.node.id}.${event.node.incarnation}`).then(
      (back) => back > 0 && log.info('deliveries of a departed node came back', { node: event.node.id, deliveries: back }),
      (error: unknown) => log.warn('cannot give back a departed node’s deliveries (their leases still end)', { node: event.node.id, error: (error as Error).message }),
    );
    // So do the channel messages its actors held (rather than at their visibility timeout).
    releaseProcessQueueDeliveries(client, `${event.node.id}.${event.node.incarnation}`).then(
      (back) => back > 0 && log.info('channel messages a departed node held came back', { node: event.node.id, deliveries: back }),
      (error: unknown) => log.warn('cannot give back a departed node’s channel messages (their visibility timeout still ends)', { node: event.node.id, error: (error as Error).message }),
    );
    coordination.nodeLeft(event.node.id, event.node.incarnation).then(
      (left) => left > 0 && log.info('group members of a departed node left', { node: event.node.id, members: left }),
      (error: unknown) => log.warn('cannot remove a departed node’s group members', { node: event.node.id, error: (error as Error).message }),
    );
  });
  registry.onRejoin(() => {
    log.warn('this node was declared dead and has joined again: recording its group members again');
    const refile = () =>
      coordination.rejoinedCluster().catch((error: unknown) => log.warn('cannot record this node’s group members again', { error: (error as Error).message }));
    void refile();
    // Every node acts on the one leave announcement when it arrives; one that acts after the first pass removed them again, so a second pass a TTL later restores them.
    setTimeout(() => void refile(), registry.ttlMs).unref();
  });
  // Registered: no other live process holds this id now, so what is recorded under it by another incarnation is a dead one's.
  await coordination.joinedCluster().then(
    (left) => left > 0 && log.info('group members of an earlier incarnation left', { members: left }),
    (error: unknown) => log.warn('cannot remove an earlier incarnation’s group members', { error: (error as Error).message }),
  );
  return {
    client,
    registry,
    leave: () => registry.leave(),
  };
}
