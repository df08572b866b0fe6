import { testReadme } from '../support/readme-commands.js';

// examples/seed/order-workflow/README.md, run as written against a real node.
testReadme('order-workflow');
