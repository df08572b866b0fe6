import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { PYTHON_EXAMPLE_TIMEOUT_MS } from '../support/python-components.js';
import { readmeSections, runSteps, type ReadmeStep } from '../support/readme-commands.js';

// examples/polyglot/python/durable-bank/README.md, run as written: the test starts the node where the README
// does (`plexspaces start --data-dir …`) and SIGKILLs it where the README says `kill -9`.
const README = join(import.meta.dirname, '../../examples/polyglot/python/durable-bank/README.md');
const work = mkdtempSync(join(tmpdir(), 'plex-python-durable-bank-'));
const children: ChildProcess[] = [];
let node: NodeProcess | undefined;
const starts: string[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const handlers = {
  'plexspaces start': async (step: ReadmeStep) => {
    const dataDir = /--data-dir (\S+)/.exec(step.command)?.[1];
    if (dataDir === undefined) throw new Error(`${step.where}: the start command names no --data-dir`);
    if (node !== undefined && node.child.exitCode === null && node.child.signalCode === null) throw new Error(`${step.where}: a node is still running`);
    node = await startNodeProcess(join(work, dataDir), children);
    starts.push(node.out());
  },
  'kill -9': async () => {
    if (node === undefined) throw new Error('kill -9 before any node started');
    await kill9(node.child);
  },
};

describe('examples/polyglot/python/durable-bank: the README’s commands print the replies it shows, across a kill -9', () => {
  for (const section of readmeSections(README)) {
    it(section.heading, () => runSteps(section.steps, { node: () => node!.http, cwd: work, handlers }), PYTHON_EXAMPLE_TIMEOUT_MS);
  }

  it('the second start was a restart of the same data directory: it deployed the application again', () => {
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatch(/applications: 1 restored/);
  });
});
