import { PYTHON_EXAMPLE_TIMEOUT_MS, PYTHON_EXAMPLES } from '../support/python-components.js';
import { testReadme } from '../support/readme-commands.js';

// examples/polyglot/python/order-service/README.md: the article's Python order service asking and telling TypeScript actors, built from source, against a real node.
testReadme('order-service', { examplesDir: PYTHON_EXAMPLES, timeoutMs: PYTHON_EXAMPLE_TIMEOUT_MS });
