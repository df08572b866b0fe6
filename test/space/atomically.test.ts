import { inProcessHarness } from './conformance/harness.js';
import { atomicallyConformance, type TransactionalSpace } from './conformance/atomically.js';

// One process: the peer of a space is the space itself.
atomicallyConformance({ ...inProcessHarness, openPeer: async (space: TransactionalSpace) => space });
