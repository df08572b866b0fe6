import { PYTHON_EXAMPLE_TIMEOUT_MS, PYTHON_EXAMPLES } from '../support/python-components.js';
import { testReadme } from '../support/readme-commands.js';

// examples/polyglot/python/order-pipeline/README.md: the article's Python order producer and processor, built from source, against a real node.
testReadme('order-pipeline', { examplesDir: PYTHON_EXAMPLES, timeoutMs: PYTHON_EXAMPLE_TIMEOUT_MS });
