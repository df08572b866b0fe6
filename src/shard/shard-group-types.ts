import type { ShardCodec } from './shard-codec.js';
import type { ShardResult } from './gather.js';
import type { Partitioner } from './partitioner.js';
import type { ShardHost } from './shard-host.js';

// The options and results of ShardGroup (shard-group.ts), on their own so the class stays readable.

export interface ShardGroupOptions {
  /** Group id; shard actors are named `<actorPrefix><id>/shard-<i>`. */
  readonly id: string;
  /**
   * Put before every shard actor's id. A node gives a tenant's group
   * `tenant/namespace/`, so its shards' host calls run in that tenant's
   * scope (coord/scope.ts) like every other actor of the tenant. Default ''.
   */
  readonly actorPrefix?: string;
  /** A deployed module that speaks the shard protocol (docs/shard-groups.md). */
  readonly module: string;
  readonly shards: number;
  /** Default `consistent-hash` (160 virtual nodes). */
  readonly partition?: 'hash' | 'consistent-hash' | Partitioner;
  /** Config handed to every shard's init. */
  readonly config?: string;
  /** Message encoding: `json` (default, SDK shards), `bytes` (core-module shards) or your own. */
  readonly codec?: 'json' | 'bytes' | ShardCodec;
  /**
   * Run every shard on this shared memory (registered with
   * `runtime.shareMemory`): payloads then carry offsets into it and the
   * numbers themselves never cross threads.
   */
  readonly memory?: string;
  /** Shards hold no keyed state: `scale` adds or removes shards without moving keys. Default false. */
  readonly stateless?: boolean;
  /**
   * Messages in flight for the whole group. When reached, new operations
   * wait for room (each still honours its deadline and signal) instead of
   * queueing without bound. Default 10 000.
   */
  readonly maxInFlight?: number;
  /** Restart a shard that crashes (a fresh instance with the same id). Default true. */
  readonly restartCrashed?: boolean;
  /**
   * Where the shards run: by default this runtime's workers; a node of a
   * cluster passes the cluster's nodes (src/cluster/cluster-shards.ts).
   * With `memory` the shards run on this node whatever the host.
   */
  readonly host?: ShardHost;
}

export interface GatherOptions {
  /** Shards that do not answer within this many ms are reported as `timeout`. Default 5000. */
  readonly deadlineMs?: number;
  /** Resolve as soon as this many shards answered `ok`; the rest are reported as `timeout`. Default: all. */
  readonly minResponses?: number;
  readonly signal?: AbortSignal;
}

export interface GatherResult<T = unknown> {
  /** The aggregated `ok` answers. */
  readonly value: T;
  /** One entry per shard, in shard order. */
  readonly shards: ShardResult[];
  /** At least `minResponses` (default: every shard) answered `ok`. */
  readonly satisfied: boolean;
}

export interface BulkUpdateResult {
  readonly entries: number;
  /** Per-shard status of the batches (`ok` without waiting under `eventual`). */
  readonly shards: ShardResult[];
}

/** Items for `mapItems`: a JSON array, or a typed array sent as raw bytes. */
export type MapItems = readonly unknown[] | Int32Array | Uint32Array | Float32Array | Float64Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

export interface MapItemsResult<T> {
  /** One result per item, in item order (same typed-array type for typed input); items of a failed chunk are `undefined` / 0. */
  readonly values: T;
  /** One status per chunk, in chunk order (`shard` says where it ran). */
  readonly chunks: ShardResult[];
  /** Every chunk answered `ok`. */
  readonly complete: boolean;
}

export interface ScaleResult {
  readonly from: number;
  readonly to: number;
  /** Keys each shard held before, summed. */
  readonly keys: number;
  /** Keys that changed owner (moved shard to shard). */
  readonly moved: number;
  readonly elapsedMs: number;
}

export interface RelocateResult {
  /** The shards that moved, now running where the host placed them. */
  readonly moved: string[];
  /** Entries carried over. */
  readonly keys: number;
}
