export { RedisTupleSpace } from './redis-tuple-space.js';
export { DEFAULT_LEASE_MS, DEFAULT_MAX_DELIVERIES, DEFAULT_WAITER_LIVENESS_MS } from './redis-space-options.js';
export { RedisWakeups } from './wakeups.js';
export { DEFAULT_TRANSACTION_ATTEMPTS } from './redis-atomically.js';
export { spaceBaseKey } from './space-keys.js';
export type { RedisSpaceStats, RedisTupleSpaceOptions } from './redis-space-options.js';
