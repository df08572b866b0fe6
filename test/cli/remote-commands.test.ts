import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { NodeServer } from '../../src/server/node-server.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
let node: PlexNode;
let server: NodeServer;
let http: string;
let dir: string;

/** Runs the CLI without blocking this process's event loop (the node under test lives here). */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plex-cli-remote-'));
  writeFileSync(join(dir, 'bank.wasm'), (await buildActor(join(import.meta.dirname, '../fixtures/sdk/bank-account.ts'))).component);
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  http = (await server.listen()).http;
}, 120_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI against a running node', () => {
  it('deploy, ask, tell', async () => {
    const deployed = await cli('deploy', join(dir, 'bank.wasm'), '--app', 'bank', '--name', 'bank-account', '--version', '1.2.3', '--node', http);
    expect(deployed.status, deployed.stderr).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ applicationId: 'bank', version: '1.2.3' });
    expect((await cli('tell', 'alice', 'deposit', '{"amount": 5}', '--app', 'bank', '--node', http)).status).toBe(0);
    const asked = await cli('ask', 'alice', 'deposit', '{"amount": 10}', '--app', 'bank', '--node', http);
    expect(JSON.parse(asked.stdout)).toEqual({ balance: 15 });
  });

  it('deploy of a bundle: the manifest and the modules it names, from its directory', async () => {
    writeFileSync(join(dir, 'app-config.toml'), '[supervisor]\nstrategy = "one_for_one"\n[[supervisor.children]]\nid = "vault"\nmodule = "bank.wasm"\ndurable = true\n');
    const deployed = await cli('deploy', join(dir, 'app-config.toml'), '--app', 'mini', '--namespace', 'ops', '--node', http);
    expect(deployed.status, deployed.stderr).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ applicationId: 'mini', kind: 'bundle', namespace: 'ops', actors: ['default/ops/vault'] });
    writeFileSync(join(dir, 'broken.toml'), '[supervisor]\n[[supervisor.children]]\nid = "x"\nmodule = "missing.wasm"\n');
    const missing = await cli('deploy', join(dir, 'broken.toml'), '--app', 'broken', '--node', http);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/missing\.wasm/);
  });

  it('ts write, count, take with a timeout', async () => {
    expect((await cli('ts', 'write', 'acme/jobs/q', '["job", 1, {"$int": "1234567890123456789"}]', '--node', http)).status).toBe(0);
    expect(JSON.parse((await cli('ts', 'count', 'acme/jobs/q', '["job", null, null]', '--node', http)).stdout)).toEqual({ count: 1 });
    const taken = await cli('ts', 'take', 'acme/jobs/q', '["job", null, null]', '--timeout', '1000', '--node', http);
    expect(JSON.parse(taken.stdout)).toEqual({ tuple: ['job', 1, { $int: '1234567890123456789' }] });
  });

  it('shards create, list, scatter-gather, delete', async () => {
    expect((await cli('shards', 'create', 'default/default/g1', '--app', 'bank', '--shards', '2', '--node', http)).status).toBe(0);
    expect(JSON.parse((await cli('shards', 'list', 'default/default', '--node', http)).stdout).groups).toEqual([expect.objectContaining({ id: 'g1', shards: 2 })]);
    const gathered = JSON.parse((await cli('shards', 'scatter-gather', 'default/default/g1', 'balance', '--node', http)).stdout) as { shards: unknown[] };
    expect(gathered.shards).toHaveLength(2);
    expect((await cli('shards', 'delete', 'default/default/g1', '--node', http)).status).toBe(0);
  });

  it('exit codes: 1 with the PLEX_ERR code when the node refuses or is unreachable, 2 on wrong usage', async () => {
    const refused = await cli('ts', 'write', 'acme/jobs/q', '[]', '--node', http);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/PLEX_ERR_INVALID_TUPLE/);
    const missing = await cli('ask', 'ghost', 'x', '--node', http);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/PLEX_ERR_ACTOR_NOT_FOUND/);
    const down = await cli('ts', 'count', 'a/b/c', '[null]', '--node', 'http://127.0.0.1:1');
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the node/);
    for (const args of [['ts', 'write', 'not-a-space', '[1]'], ['ts', 'write', 'a/b/c', '{not json'], ['ask', 'only-actor'], ['shards', 'frobnicate', 'a/b'], ['deploy', '/no/such.wasm', '--app', 'x']]) {
      expect((await cli(...args, '--node', http)).status, args.join(' ')).toBe(2);
    }
    expect((await cli('ts', '--help')).stdout).toContain('usage: plexspaces ts');
  });
});
