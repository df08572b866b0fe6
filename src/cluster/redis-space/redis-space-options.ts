import { InvalidArgumentError } from '../../errors.js';
import { optionalDuration, positiveInteger } from '../../space/options.js';
import { resolveSpaceQuota, type SpaceQuotaOptions } from '../../space/space-quota.js';
import type { TupleLimits } from '../../tuple/limits.js';
import type { RedisClient } from '../redis-client.js';
import type { RedisWakeups } from './wakeups.js';

export interface RedisTupleSpaceOptions {
  /** The space's name, e.g. `tenant/namespace/name`: every process that opens this name shares one space. */
  name: string;
  /** The connection commands and scripts go through (`connectRedis`). The space never closes it. */
  redis: RedisClient;
  /** This process's handoff subscriber, shared by a node's spaces. Default: one of the space's own, closed with it. */
  wakeups?: RedisWakeups;
  /** Tuple and template limits. Default 1 MiB encoded, depth 32, 1024 fields (as the in-process space). */
  limits?: Partial<TupleLimits>;
  /**
   * How long this process's blocked operations stay valid in Redis without a
   * renewal; renewed every third of it while any is blocked. A write skips
   * (and drops) waiters of a process that stopped renewing, so a dead
   * process does not swallow tuples. Default 15 000 ms.
   */
  waiterLivenessMs?: number;
  /** Deliveries of a crash-safe take before the tuple moves to `deadLetters`. Default 5 (stored in Redis: the last process to open the space sets it). */
  maxDeliveries?: number;
  /** Lease of a crash-safe take when the call gives none. Default 30 000 ms. */
  defaultLeaseMs?: number;
  /** Bounds on what the space holds, for every process sharing it (the in-process `maxTuples`, `maxBytes`, `maxWaiters`; stored in Redis: the last process to open the space sets them). */
  quota?: SpaceQuotaOptions;
  /** Runs once before the space's first operation (a node's registry lists the space there, against the tenant's quota); its failure fails that operation. */
  register?: () => Promise<void>;
}

export interface RedisSpaceStats {
  /** Tuples stored in Redis (every process's). */
  readonly tuples: number;
  /** Stored tuples with a lease (`ttlMs`). */
  readonly leased: number;
  /** Blocked operations of this instance. */
  readonly waiters: number;
  /** Watches of this instance. */
  readonly watchers: number;
  /** Crash-safe deliveries this instance holds. */
  readonly inflight: number;
  /** Timers this instance holds (blocked-operation timeouts, the liveness renewal). */
  readonly timers: number;
}

export const DEFAULT_WAITER_LIVENESS_MS = 15_000;
export const DEFAULT_MAX_DELIVERIES = 5;
export const DEFAULT_LEASE_MS = 30_000;

/** Validates `RedisTupleSpace.open`'s options at the boundary, naming the bad one. */
export function checkRedisSpaceOptions(options: RedisTupleSpaceOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('RedisTupleSpace.open takes { name, redis }');
  if (typeof options.name !== 'string' || options.name === '') throw new InvalidArgumentError(`name must be a non-empty string, got ${String(options.name)}`);
  if (options.redis === undefined) throw new InvalidArgumentError('redis: a connection from connectRedis is required');
  const liveness = options.waiterLivenessMs;
  if (liveness !== undefined && (!Number.isSafeInteger(liveness) || liveness < 30)) {
    throw new InvalidArgumentError(`waiterLivenessMs must be an integer ≥ 30, got ${String(liveness)}`);
  }
  if (options.maxDeliveries !== undefined) positiveInteger('maxDeliveries', options.maxDeliveries);
  if (options.defaultLeaseMs !== undefined) positiveInteger('defaultLeaseMs', options.defaultLeaseMs);
  optionalDuration('defaultLeaseMs', options.defaultLeaseMs);
  if (options.quota !== undefined) resolveSpaceQuota(options.quota);
}
