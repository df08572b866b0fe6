import { testReadme } from '../support/readme-commands.js';

// examples/seed/calculator/README.md, run as written against a real node.
testReadme('calculator');
