import type { ProcessGroups } from './process-groups.js';
import { checkScope, type Scope } from './scope.js';

/**
 * Process groups as every caller uses them (actors' pg-* host calls, the
 * actor system's exit handling): in process (`localGroups`) or shared by the
 * nodes of a cluster (Redis, src/cluster/redis-coordination/redis-groups.ts),
 * where a member lives on the node that joined it and a broadcast reaches
 * members on every node. Both check names the same way and fail with the
 * same typed errors.
 */
export interface GroupService {
  join(scope: Scope, group: string, member: string, topics?: readonly string[]): Promise<void>;
  /** True when `member` was in the group. */
  leave(scope: Scope, group: string, member: string): Promise<boolean>;
  /** Removes an actor of this node from every group it joined here (it exited); how many it left. */
  leaveAll(member: string): Promise<number>;
  subscribe(scope: Scope, group: string, member: string, topic: string): Promise<void>;
  unsubscribe(scope: Scope, group: string, member: string, topic: string): Promise<boolean>;
  /** Members in join order. */
  members(scope: Scope, group: string): Promise<string[]>;
  /** Members subscribed to `topic`, in join order. */
  subscribers(scope: Scope, group: string, topic: string): Promise<string[]>;
  /** Group names of the scope, in the order they were created. */
  list(scope: Scope): Promise<string[]>;
  /** Sends to every member (the sender too, if it is one); how many it was sent to. */
  broadcast(scope: Scope, group: string, type: string, payload: Uint8Array, from?: string): Promise<number>;
  /** Sends to the members subscribed to `topic` within the group. */
  publish(scope: Scope, group: string, topic: string, type: string, payload: Uint8Array, from?: string): Promise<number>;
  /**
   * The cluster says node `nodeId` (that incarnation) is gone: the members it
   * had joined leave their groups. Idempotent; any node may run it. How many left.
   */
  nodeLeft(nodeId: string, incarnation: string): Promise<number>;
  /**
   * This node was accepted by the cluster under its id: members that an
   * earlier incarnation of the same id left behind (it crashed and nobody
   * saw it go) leave their groups. How many left.
   */
  joinedCluster(): Promise<number>;
  /**
   * This node was declared dead while alive and has registered again (the
   * others removed its members on its leave): its live actors' memberships
   * are recorded again, with their topics. How many.
   */
  rejoinedCluster(): Promise<number>;
  close(): void;
}

/** The in-process groups behind the async interface; a node alone has no other nodes to forget. */
export function localGroups(groups: ProcessGroups): GroupService {
  return {
    join: async (scope, group, member, topics) => groups.join(checkScope(scope), group, member, topics),
    leave: async (scope, group, member) => groups.leave(scope, group, member),
    leaveAll: async (member) => groups.leaveAll(member),
    subscribe: async (scope, group, member, topic) => groups.subscribe(scope, group, member, topic),
    unsubscribe: async (scope, group, member, topic) => groups.unsubscribe(scope, group, member, topic),
    members: async (scope, group) => groups.members(scope, group),
    subscribers: async (scope, group, topic) => groups.subscribers(scope, group, topic),
    list: async (scope) => groups.list(scope),
    broadcast: async (scope, group, type, payload, from) => groups.broadcast(scope, group, type, payload, from),
    publish: async (scope, group, topic, type, payload, from) => groups.publish(scope, group, topic, type, payload, from),
    nodeLeft: async () => 0,
    joinedCluster: async () => 0,
    rejoinedCluster: async () => 0,
    close: () => undefined,
  };
}
