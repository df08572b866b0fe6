import { nativeBuildHandler } from '../support/native-builds.js';
import { testReadme, type ReadmeSuite } from '../support/readme-commands.js';

// examples/polyglot/go/rate-limiter/README.md, run as written against a real node; the module is
// built from source with Go (GOOS=wasip1, -buildmode=c-shared) by the README's build command.
const suite: ReadmeSuite = testReadme('rate-limiter', {
  examplesDir: 'examples/polyglot/go',
  handlers: nativeBuildHandler(() => suite.work),
  timeoutMs: 120_000,
});
