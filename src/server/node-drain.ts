/**
 * Draining a node before a planned stop (`plexspaces drain`, or SIGTERM on
 * a node of a cluster with a secret): the order in which its shards and
 * actors move to the other nodes. NodeService.drain and drainBeforeStop
 * decide who may drain and when; this is the move itself.
 */
import type { Membership } from '../cluster/membership.js';
import type { PlexNode } from '../node/plex-node.js';
import type { ActorCalls } from './actor-calls.js';

/** Moves this node's shards, then its movable actors (ActorCalls.drain, ShardGroupRegistry.drainShards), and says what moved. */
export async function drainNode(
  registry: NonNullable<Membership['clustered']>,
  node: PlexNode,
  actors: ActorCalls,
  options: { ownGroups: boolean } = { ownGroups: true },
): Promise<{ node: string; moved: string[]; kept: string[]; shards: string[] }> {
  // Marked draining first, so the shards' new places (and the actors') are other nodes. The shards move
  // first; the actors move whatever became of them (a group that cannot move one rejects, after).
  await registry.drain();
  let shards: string[] = [];
  let shardFailure: unknown;
  try {
    shards = await node.shardGroups.drainShards(options);
  } catch (error) {
    shardFailure = error;
  }
  const moved = await actors.drain(registry);
  if (shardFailure !== undefined) throw shardFailure;
  return { node: registry.self.id, ...moved, shards };
}
