import { inProcessHarness } from './conformance/harness.js';
import { concurrencyConformance } from './conformance/concurrency.js';

concurrencyConformance(inProcessHarness);
