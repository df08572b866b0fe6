import { testReadme } from '../support/readme-commands.js';

// examples/polyglot/c/counter/README.md, run as written against a real node; the module is built
// from source with clang and wasi-libc by the README's build command.
testReadme('counter', { examplesDir: 'examples/polyglot/c' });
