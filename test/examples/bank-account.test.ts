import { testReadme } from '../support/readme-commands.js';

// examples/seed/bank-account/README.md, run as written against a real node.
testReadme('bank-account');
