/**
 * The public surface of `plexspaces`: values first, then types.
 */
export { TupleSpace } from './space/tuple-space.js';
export { activeTupleFromJson, compute, Computation, type ActiveTuple, type EvalOptions } from './space/linda-eval.js';
export { ActorRuntime } from './runtime/actor-runtime.js';
export { ActorSystem } from './actors/actor-system.js';
export { Supervisor } from './actors/supervisor.js';
export { FacetPriority, FacetRegistry } from './actors/facet.js';
export { Coordination } from './coord/coordination.js';
export { KvStore } from './coord/kv-store.js';
export { LockManager } from './coord/lock-manager.js';
export { ProcessGroups } from './coord/process-groups.js';
export { Channels } from './coord/channels.js';
export { localChannels } from './coord/channel-service.js';
export { QueueChannel } from './coord/queue-channel.js';
export { TopicChannel } from './coord/topic-channel.js';
export { BlobStore } from './coord/blob-store.js';
export { parseManifest } from './node/app-manifest.js';
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
  NotFoundError,
  PayloadTooLargeError,
  LockTimeoutError,
  LockFencedError,
  ChannelClosedError,
  EscalatedError,
  InvalidManifestError,
  FacetRejectedError,
  TransactionConflictError,
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
export type { ActorRuntimeOptions, SpawnOptions, AskOptions, ActorPlacement, WorkerStats, CrashReport } from './runtime/actor-runtime-types.js';
export type { CoreModuleOptions } from './runtime/core-module.js';
export type { ExitReport } from './runtime/actor-runtime-types.js';
export type { ActorSystemOptions, ActorSpawnOptions, ExitSignal, DownMessage, VirtualKind } from './actors/actor-system.js';
export type { SupervisorSpec, ChildSpec, WorkerChildSpec, SupervisorChildSpec, SupervisionStrategy, RestartPolicy, SupervisorEvent, BackoffSpec } from './actors/supervisor.js';
export type { Envelope, FacetFactory, FacetInstance, FacetHost, FacetSpec, Next } from './actors/facet.js';
export type { ReminderSpec, ReminderInfo } from './actors/timer-service.js';
export type { Scope } from './coord/scope.js';
export type { KvEntry, KvPutOptions } from './coord/kv-store.js';
export type { LockGrant, AcquireOptions } from './coord/lock-manager.js';
export type { QueueChannelOptions, QueueDelivery, DeadLetter, QueueStats, SendOptions, ReceiveOptions } from './coord/queue-channel.js';
export type { SubscribeOptions, PublishOptions, TopicSubscription } from './coord/topic-channel.js';
export type { ChannelService } from './coord/channel-service.js';
export type { BlobInfo } from './coord/blob-store.js';
export type { AppManifest } from './node/app-manifest.js';
export type { ShardGroupOptions, GatherOptions, GatherResult, BulkUpdateResult } from './shard/shard-group.js';
export type { ShardResult, AggregateStrategy, ReduceOp } from './shard/gather.js';
export type { Partitioner, ShardKey } from './shard/partitioner.js';
