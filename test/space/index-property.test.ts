import { inProcessHarness } from './conformance/harness.js';
import { indexPropertyConformance } from './conformance/index-property.js';

indexPropertyConformance(inProcessHarness);
