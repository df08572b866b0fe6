import type { ActorRuntime } from '../runtime/actor-runtime.js';
import type { AskOptions } from '../runtime/actor-runtime-types.js';

/** What a shard is started from: the same for every shard of a group but its id. */
export interface ShardSpec {
  readonly module: string;
  readonly id: string;
  readonly config?: string;
  /** A shared memory registered with `runtime.shareMemory` (its shards then run on this node only). */
  readonly memory?: string;
  /** The hosting node restarts the shard when it crashes (a fresh instance, same id). */
  readonly restartCrashed: boolean;
}

/**
 * Where a shard group's actors run and how it reaches them: this node's
 * workers (`localShardHost`), or the nodes of a cluster
 * (src/cluster/cluster-shards.ts). A ShardGroup speaks only to this, so
 * every collective works the same whether its shards are on one node or
 * spread over several.
 */
export interface ShardHost {
  /**
   * Starts shard `index` of a group. `siblings` are the ids of the group's
   * other running shards, so a host can spread the group (a cluster puts it
   * on the node with the fewest of them).
   */
  spawn(spec: ShardSpec, index: number, siblings: readonly string[]): Promise<string>;
  ask(actorId: string, type: string, payload: Uint8Array | string, options: Pick<AskOptions, 'timeoutMs' | 'signal'>): Promise<Uint8Array>;
  /** One-way, in order with the other messages to the same shard. */
  tell(actorId: string, type: string, payload: Uint8Array | string): void;
  stop(actorId: string): Promise<void>;
  /**
   * Shards this host can no longer reach, that the group should start again
   * (a crash here; on a cluster, also every shard of a node that left).
   * Shards whose host restarts them itself (`restartCrashed` on another
   * node) are not reported.
   */
  onLost(listener: (actorId: string, why: string) => void): () => void;
  /** The node that runs a shard (its id), for status and listings; undefined when this host does not know it. */
  nodeOf(actorId: string): string | undefined;
  /**
   * Shards that must move off their node (it drains): the group relocates
   * the ones that are its own (ShardGroup.relocate) and resolves when done.
   */
  onEvict?(listener: (actorIds: readonly string[]) => Promise<void>): () => void;
  /**
   * Moves every shard this node runs to the other nodes (`plexspaces drain`); resolves with their ids.
   * `ownGroups: false` (a node that stops): only the shards of other nodes' groups, since this node's
   * own groups end with it.
   */
  drain?(options: { ownGroups: boolean }): Promise<string[]>;
}

/** Shards on this node's workers, spread by shard index: what a node alone (and the library) uses. */
export function localShardHost(runtime: ActorRuntime, nodeId?: string): ShardHost {
  return {
    spawn: (spec, index) => runtime.spawn(spec.module, { id: spec.id, config: spec.config, memory: spec.memory, worker: index % runtime.workerCount }),
    ask: (actorId, type, payload, options) => runtime.ask(actorId, type, payload, options),
    tell: (actorId, type, payload) => runtime.tell(actorId, type, payload),
    stop: (actorId) => runtime.stop(actorId),
    onLost: (listener) => runtime.onCrash((report) => listener(report.actorId, report.error.message)),
    nodeOf: (actorId) => (runtime.has(actorId) ? nodeId : undefined),
  };
}
