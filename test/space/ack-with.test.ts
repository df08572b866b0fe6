import { TupleSpace } from '../../src/space/tuple-space.js';
import { ackWithConformance } from './conformance/ack-with.js';
import { inProcessHarness } from './conformance/harness.js';

// The suite the Redis space runs too (test/cluster/redis-space-conformance.test.ts).
ackWithConformance({ ...inProcessHarness, makeWithQuota: async (quota) => new TupleSpace(quota) });
