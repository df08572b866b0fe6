import { testReadme } from '../support/readme-commands.js';

// examples/seed/leader-election/README.md, run as written against a real node: two candidates elect one
// leader, the second takes over when the first resigns, and again when a leader's lease lapses.
testReadme('leader-election');
