import { inProcessHarness } from './conformance/harness.js';
import { blockingConformance } from './conformance/blocking.js';

blockingConformance(inProcessHarness);
