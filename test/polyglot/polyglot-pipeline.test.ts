import { PYTHON_EXAMPLE_TIMEOUT_MS } from '../support/python-components.js';
import { testReadme } from '../support/readme-commands.js';

// examples/polyglot/pipeline/README.md: one bundle in five languages (a Python producer, a Rust
// transform asking a C tax actor, a Go aggregator, a TypeScript report) — each actor built from
// source with its own toolchain, deployed together, and the README's commands run against a real
// node: the orders pass through the tuple space and asks and tells across languages, the totals
// match the ones computed by hand, nothing is left between the stages, bad input is refused and a
// malformed order is kept aside, not lost.
testReadme('pipeline', { examplesDir: 'examples/polyglot', workers: 2, timeoutMs: Math.max(PYTHON_EXAMPLE_TIMEOUT_MS, 240_000) });
