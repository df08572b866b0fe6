import { inProcessHarness } from './conformance/harness.js';
import { watchConformance } from './conformance/watch.js';

watchConformance(inProcessHarness);
