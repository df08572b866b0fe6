import { TupleSpace } from '../../src/space/tuple-space.js';
import { inProcessHarness } from './conformance/harness.js';
import { quotaConformance } from './conformance/quotas.js';

// The quota suite the Redis space runs too (test/cluster/redis-space-conformance.test.ts).
quotaConformance({ ...inProcessHarness, makeWithQuota: async (quota) => new TupleSpace(quota) });
