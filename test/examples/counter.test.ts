import { testReadme } from '../support/readme-commands.js';

// examples/seed/counter/README.md, run as written against a real node.
testReadme('counter');
