import { testReadme } from '../support/readme-commands.js';

// examples/polyglot/go/rate-limiter/README.md, run as written against a real node; the module is
// built from source with Go (GOOS=wasip1, -buildmode=c-shared) by the README's build command.
testReadme('rate-limiter', {
  examplesDir: 'examples/polyglot/go',
  timeoutMs: 120_000,
});
