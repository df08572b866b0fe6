import { testReadme } from '../support/readme-commands.js';

// examples/seed/greeter/README.md, run as written against a real node.
testReadme('greeter');
