import type { AskOptions } from '../runtime/actor-runtime-types.js';

// What the actor system reaches actors of other nodes through, set on a node of a cluster with a secret
// (src/cluster/remote-actor-calls.ts, src/cluster/remote-exits.ts).

/** Asks and sends for actors that run elsewhere (a cluster's other nodes); undefined / false: not elsewhere. */
export interface RemoteActors {
  ask(to: string, type: string, payload: Uint8Array, options: AskOptions): Promise<Uint8Array | undefined>;
  send(to: string, type: string, payload: Uint8Array, from: string): Promise<boolean>;
}

/**
 * Links and monitors on actors that run on other nodes (src/cluster/remote-exits.ts): the node
 * that runs the target is asked to report its exit here, and a node that leaves the cluster counts
 * as an exit of its actors with reason `noconnection`, as in Erlang.
 */
export interface RemoteExitWatch {
  /**
   * Has the exit of `target` (not running here) reported to this node: 'watching', or 'noproc'
   * when no node runs it; rejects (PLEX_ERR_NODE_DOWN) when its node is gone or unreachable. With
   * `linkedFrom`, the target's node also links it to that actor of this node, so that actor's exit
   * reaches the target.
   */
  watch(target: string, linkedFrom?: string): Promise<'watching' | 'noproc'>;
  /** An actor of this node exited: the nodes that watch it hear of it. */
  exited(actorId: string, reason: string, normal: boolean): void;
}
