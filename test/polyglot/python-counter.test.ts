import { PYTHON_EXAMPLE_TIMEOUT_MS, PYTHON_EXAMPLES } from '../support/python-components.js';
import { testReadme } from '../support/readme-commands.js';

// examples/polyglot/python/counter/README.md: the article's Python counter, built from source, against a real node.
testReadme('counter', { examplesDir: PYTHON_EXAMPLES, timeoutMs: PYTHON_EXAMPLE_TIMEOUT_MS });
