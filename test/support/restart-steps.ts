import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { kill9, startNodeProcess, type NodeProcess } from './node-process.js';
import type { ReadmeStep } from './readme-commands.js';

/**
 * README handlers for a node that a README starts (`plexspaces start
 * --data-dir …`, under `work`) and SIGKILLs (`kill -9`): the durable
 * examples' crash-and-recover walkthroughs. `starts` keeps each start's
 * output, so a test can check that the second was a restart.
 */
export function restartSteps(work: string, children: ChildProcess[]) {
  let node: NodeProcess | undefined;
  const starts: string[] = [];
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
  return { handlers, starts, http: () => node!.http };
}
