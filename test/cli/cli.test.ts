import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpaceRegistry } from '../../src/space/space-registry.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('plexspaces CLI', () => {
  it('prints help with exit 0, and exits 2 on wrong usage', () => {
    expect(run('--help').status).toBe(0);
    expect(run('start', '--help').stdout).toContain('--data-dir');
    const unknown = run('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(run('start', '--no-such-flag').status).toBe(2);
    expect(run('bench', 'nope').status).toBe(2);
    expect(run('bench').status).toBe(2);
  });

  it('start runs a node on a data directory and stops cleanly on SIGTERM, keeping durable state', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plex-cli-'));
    dirs.push(dataDir);
    const seed = new SpaceRegistry({ dataDir });
    await seed.open({ tenant: 't', namespace: 'n', name: 'q' }).write(['kept']);
    await seed.close();

    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', '--data-dir', dataDir, '--http-port', '0', '--grpc-port', '0', '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('(1 stored)') && out.includes('websocket: ')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    });
    expect(out).toContain('plexspaces node ready');
    // The HTTP gateway answers on the port it printed.
    const http = /http: (http:\/\/\S+)/.exec(out)![1];
    expect(await (await fetch(`${http}/api/v1/health`)).json()).toEqual({ status: 'ok' });
    const counted = await fetch(`${http}/api/v1/tuplespace/t/n/q/count`, { method: 'POST', body: JSON.stringify({ template: ['kept'] }) });
    expect(await counted.json()).toEqual({ count: 1 });
    const exit = new Promise<number | null>((resolve) => child.removeAllListeners('exit').on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toContain('durable state flushed');

    const after = new SpaceRegistry({ dataDir });
    expect(await after.open({ tenant: 't', namespace: 'n', name: 'q' }).count(['kept'])).toBe(1);
    await after.close();
  });
});
