import { PYTHON_EXAMPLE_TIMEOUT_MS, PYTHON_EXAMPLES } from '../support/python-components.js';
import { testReadme } from '../support/readme-commands.js';

// examples/polyglot/python/chat-room/README.md: the article's Python chat room, built from source, against a real node.
testReadme('chat-room', { examplesDir: PYTHON_EXAMPLES, timeoutMs: PYTHON_EXAMPLE_TIMEOUT_MS });
