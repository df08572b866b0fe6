export { RedisTupleSpace, DEFAULT_WAITER_LIVENESS_MS } from './redis-tuple-space.js';
export { RedisWakeups } from './wakeups.js';
export { spaceBaseKey } from './space-keys.js';
export type { RedisTupleSpaceOptions, RedisSpaceStats } from './redis-tuple-space.js';
