import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restartSteps } from '../support/restart-steps.js';
import { readmeSections, runSteps } from '../support/readme-commands.js';

// examples/seed/durable-bank/README.md, run as written: the test starts the node where the README
// does (`plexspaces start --data-dir …`) and SIGKILLs it where the README says `kill -9`.
const README = join(import.meta.dirname, '../../examples/seed/durable-bank/README.md');
const work = mkdtempSync(join(tmpdir(), 'plex-seed-durable-bank-'));
const children: ChildProcess[] = [];
const { handlers, starts, http } = restartSteps(work, children);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('examples/seed/durable-bank: the README’s commands print the replies it shows, across a kill -9', () => {
  for (const section of readmeSections(README)) {
    it(section.heading, () => runSteps(section.steps, { node: http, cwd: work, handlers }));
  }

  it('the second start was a restart of the same data directory: it deployed the application again', () => {
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatch(/applications: 1 restored/);
  });
});
