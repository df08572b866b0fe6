export { RedisTupleSpace, DEFAULT_WAITER_LIVENESS_MS, DEFAULT_MAX_DELIVERIES, DEFAULT_LEASE_MS } from './redis-tuple-space.js';
export { RedisWakeups } from './wakeups.js';
export { spaceBaseKey } from './space-keys.js';
export type { RedisTupleSpaceOptions, RedisSpaceStats } from './redis-tuple-space.js';
