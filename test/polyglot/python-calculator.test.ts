import { PYTHON_EXAMPLE_TIMEOUT_MS, PYTHON_EXAMPLES } from '../support/python-components.js';
import { testReadme } from '../support/readme-commands.js';

// examples/polyglot/python/calculator/README.md: the article's Python calculator, built from source, against a real node.
testReadme('calculator', { examplesDir: PYTHON_EXAMPLES, timeoutMs: PYTHON_EXAMPLE_TIMEOUT_MS });
