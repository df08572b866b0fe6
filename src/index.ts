/**
 * The public surface of `plexspaces`: values first, then types.
 */
export { TupleSpace } from './space/tuple-space.js';
export { ActorRuntime } from './runtime/actor-runtime.js';
export { HostOp } from './runtime/core-abi.js';
export { ShardGroup } from './shard/shard-group.js';
export { hashPartitioner, consistentHashPartitioner, rangePartitioner, customPartitioner, hashKey } from './shard/partitioner.js';
export { SpaceRegistry, spaceKey } from './space/space-registry.js';
export { sqlite, SqliteStore } from './space/storage/sqlite-store.js';
export { any, FieldTypes } from './tuple/types.js';
export { DEFAULT_TUPLE_LIMITS } from './tuple/limits.js';
export { DEFAULT_SPACE_OPTIONS } from './space/options.js';
export { fieldsEqual } from './tuple/equality.js';
export {
  ErrorCode,
  PlexError,
  InvalidTupleError,
  InvalidTemplateError,
  TupleTooLargeError,
  InvalidArgumentError,
  InvalidNameError,
  SpaceClosedError,
  AbortError,
  LeaseExpiredError,
  AlreadySettledError,
  WatchOverflowError,
  StorageError,
  UsageError,
  InvalidModuleError,
  ModuleNotFoundError,
  ActorNotFoundError,
  ActorExistsError,
  ActorCrashedError,
  AskTimeoutError,
  RuntimeClosedError,
  BackpressureError,
} from './errors.js';

export type { Field, Tuple, Template, TemplateField, TemplateOperator, FieldTypeName, RangeBound, Any } from './tuple/types.js';
export type { TupleLimits } from './tuple/limits.js';
export type {
  WriteOptions,
  BlockingOptions,
  AckTakeOptions,
  BulkOptions,
  SpaceStats,
} from './space/tuple-space.js';
export type { TupleSpaceOptions } from './space/options.js';
export type { Delivery } from './space/deliveries.js';
export type { SpaceTransaction } from './space/transaction.js';
export type { WatchEvent, WatchEventType, WatchOptions, WatchOverflowPolicy } from './space/watch.js';
export type { SpaceRef, SpaceRegistryOptions } from './space/space-registry.js';
export type { SpaceStorage, StoredRecord } from './space/storage/space-storage.js';
export type { SqliteOptions, SqliteSynchronous } from './space/storage/sqlite-store.js';
export type { ActorRuntimeOptions, SpawnOptions, AskOptions, ActorPlacement, WorkerStats, CrashReport } from './runtime/actor-runtime.js';
export type { CoreModuleOptions } from './runtime/core-module.js';
export type { ShardGroupOptions, GatherOptions, GatherResult, BulkUpdateResult } from './shard/shard-group.js';
export type { ShardResult, AggregateStrategy, ReduceOp } from './shard/gather.js';
export type { Partitioner, ShardKey } from './shard/partitioner.js';
