import { testReadme } from '../support/readme-commands.js';

// examples/seed/webhook-handler/README.md, run as written against a real node.
testReadme('webhook-handler');
