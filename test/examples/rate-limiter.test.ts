import { testReadme } from '../support/readme-commands.js';

// examples/seed/rate-limiter/README.md, run as written against a real node.
testReadme('rate-limiter');
