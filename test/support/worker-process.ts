import { spawn } from 'node:child_process';

/**
 * Starts a TypeScript worker script (through tsx) with `args`; `started` resolves once it prints
 * "started" (and rejects if it exits first), `exited` with its exit code; `stderr()` is what it
 * printed there so far. For the tests that SIGKILL pipeline workers.
 */
export function startWorkerProcess(script: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) before it started: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, started, exited, stderr: () => stderr };
}
