import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

export interface NodeProcess {
  readonly child: ChildProcess;
  /** The node's HTTP base URL, as it printed it. */
  readonly http: string;
  /** Everything it printed so far (stdout and stderr). */
  out(): string;
}

/**
 * Starts a real node process (`plexspaces start` through tsx) on `dataDir`
 * with free ports and resolves once it printed its endpoints. Every process
 * started is pushed to `children`, for the test's afterAll to kill.
 */
export async function startNodeProcess(dataDir: string, children: ChildProcess[], options: { workers?: number; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<NodeProcess> {
  const args = ['--import', 'tsx', CLI, 'start', '--data-dir', dataDir, '--http-port', '0', '--grpc-port', '0', '--workers', String(options.workers ?? 1), ...(options.args ?? [])];
  return startNodeCommand(process.execPath, args, children, { env: options.env });
}

/**
 * Starts a node with any command line that runs `plexspaces start` (an
 * installed `plexspaces`, a shell), and resolves once it printed its
 * endpoints. The command must pick free ports itself (`--http-port 0
 * --grpc-port 0`). The process is pushed to `children`.
 */
export async function startNodeCommand(command: string, args: string[], children: ChildProcess[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<NodeProcess> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`node exited with ${code}: ${out}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('websocket: ')) resolve();
    });
  });
  return { child, http: /http: (http:\/\/\S+)/.exec(out)![1], out: () => out };
}

/** SIGKILLs a node process and resolves once it is gone. */
export async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.removeAllListeners('exit').on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
