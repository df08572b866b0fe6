import { testReadme } from '../support/readme-commands.js';

// examples/seed/order-pipeline/README.md, run as written against a real node.
testReadme('order-pipeline');
