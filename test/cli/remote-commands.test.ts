import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  return cliWithStdin(undefined, ...args);
}

/** The same, with `stdin` written to the CLI's standard input. */
function cliWithStdin(stdin: string | undefined, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin ?? '');
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plex-cli-remote-'));
  writeFileSync(join(dir, 'bank.wasm'), (await buildActor(join(import.meta.dirname, '../fixtures/sdk/bank-account.ts'))).component);
  // The articles' account actor answers failures as {"error": …}; kv-shard speaks the shard protocol.
  writeFileSync(join(dir, 'account.wasm'), (await buildActor(join(import.meta.dirname, '../fixtures/seed-ts/account_actor.ts'))).component);
  writeFileSync(join(dir, 'kv.wasm'), (await buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts'))).component);
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  http = (await server.listen()).http;
}, 120_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Every CLI run starts tsx afresh (seconds each on a loaded machine); the tests make many.
describe('CLI against a running node', { timeout: 300_000 }, () => {
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
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/PLEX_ERR_FILE_UNREADABLE.*missing\.wasm/);
    // --namespace reaches the bundle's actors; without it the default namespace has no vault.
    const vault = await cli('ask', 'vault', 'balance', '--namespace', 'ops', '--node', http);
    expect(vault.status, vault.stderr).toBe(0);
    expect(JSON.parse(vault.stdout)).toMatchObject({ balance: 0, self: 'default/ops/vault' });
    expect((await cli('ask', 'vault', 'balance', '--node', http)).stderr).toMatch(/PLEX_ERR_ACTOR_NOT_FOUND/);
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
    for (const args of [
      ['ts', 'write', 'a/b', '[1]'],
      ['ts', 'write', 'a/b/c', '{not json'],
      ['ts', 'write', 'a/b/c', '[1]', '--namespace', 'other'],
      ['ask', 'only-actor'],
      ['shards', 'frobnicate', 'a/b'],
      ['shards', 'bulk-update', 'a/b/g'],
      ['deploy', join(dir, 'bank.wasm'), '--app', 'x', '--namespace', 'ops'],
    ]) {
      expect((await cli(...args, '--node', http)).status, args.join(' ')).toBe(2);
    }
    expect((await cli('ts', '--help')).stdout).toContain('usage: plexspaces ts');
  });

  it('a file that cannot be read is a failure (1) naming the file, not wrong usage', async () => {
    const module = await cli('deploy', '/no/such.wasm', '--app', 'x', '--node', http);
    expect(module.status).toBe(1);
    expect(module.stderr).toMatch(/PLEX_ERR_FILE_UNREADABLE: cannot read the module from \/no\/such\.wasm/);
    const input = await cli('ts', 'write', 'a/b/c', '@/no/such.json', '--node', http);
    expect(input.status).toBe(1);
    expect(input.stderr).toMatch(/PLEX_ERR_FILE_UNREADABLE.*\/no\/such\.json/);
  });

  it('ask TYPE:KEY keeps its colon; a reply with an "error" key exits 1 and is still printed', async () => {
    expect((await cli('deploy', join(dir, 'account.wasm'), '--app', 'account', '--node', http)).status).toBe(0);
    const deposit = await cli('ask', 'account:alice', 'deposit', '{"amount": 100}', '--app', 'account', '--node', http);
    expect(deposit.status, deposit.stderr).toBe(0);
    expect(JSON.parse(deposit.stdout)).toEqual({ status: 'ok', balance: 100 });
    const overdrawn = await cli('ask', 'account:alice', 'withdraw', '{"amount": 5000}', '--app', 'account', '--node', http);
    expect(overdrawn.status).toBe(1);
    expect(JSON.parse(overdrawn.stdout)).toEqual({ error: 'insufficient_funds', balance: 100 });
    expect(overdrawn.stderr).toMatch(/PLEX_ERR_ACTOR_REPLY_ERROR: the actor replied with an error: "insufficient_funds"/);
    // The refused withdrawal changed nothing.
    expect(JSON.parse((await cli('ask', 'account:alice', 'deposit', '{"amount": 1}', '--app', 'account', '--node', http)).stdout)).toEqual({ status: 'ok', balance: 101 });
  });

  it('JSON from @file and from stdin: 10,000 bulk-update entries; a payload; --tenant/--namespace in place of the path', async () => {
    expect((await cli('deploy', join(dir, 'kv.wasm'), '--app', 'kv', '--tenant', 'acme', '--node', http)).status).toBe(0);
    expect((await cli('shards', 'create', 'big', '--app', 'kv', '--shards', '3', '--tenant', 'acme', '--namespace', 'data', '--node', http)).status).toBe(0);
    const entries = Array.from({ length: 10_000 }, (_, i) => [`key-${i}-${'x'.repeat(40)}`, i]);
    writeFileSync(join(dir, 'entries.json'), JSON.stringify(entries.slice(0, 5_000)));
    const fromFile = await cli('shards', 'bulk-update', 'acme/data/big', `@${join(dir, 'entries.json')}`, '--node', http);
    expect(fromFile.status, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ entries: 5_000 });
    const fromStdin = await cliWithStdin(JSON.stringify(entries.slice(5_000)), 'shards', 'bulk-update', 'big', '-', '--tenant', 'acme', '--namespace', 'data', '--node', http);
    expect(fromStdin.status, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ entries: 5_000 });
    const sum = await cli('shards', 'reduce', 'acme/data/big', 'stats', '--op', 'sum', '--path', 'sum', '--node', http);
    expect(JSON.parse(sum.stdout)).toMatchObject({ value: (9_999 * 10_000) / 2, satisfied: true });
    // ts: a tuple from stdin, the scope from flags; a template from a file.
    expect((await cliWithStdin('["job", 7]', 'ts', 'write', 'q', '-', '--tenant', 'acme', '--namespace', 'jobs', '--node', http)).status).toBe(0);
    writeFileSync(join(dir, 'template.json'), '["job", null]');
    expect(JSON.parse((await cli('ts', 'count', 'acme/jobs/q', `@${join(dir, 'template.json')}`, '--node', http)).stdout)).toEqual({ count: 1 });
    // A payload from a file.
    writeFileSync(join(dir, 'payload.json'), '{"amount": 3}');
    expect(JSON.parse((await cli('ask', 'carol', 'deposit', `@${join(dir, 'payload.json')}`, '--app', 'bank', '--node', http)).stdout)).toEqual({ balance: 3 });
    const bad = await cliWithStdin('{not json', 'shards', 'bulk-update', 'acme/data/big', '-', '--node', http);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/ENTRIES_JSON must be JSON \(read from stdin\)/);
  });

  it('a scatter-gather that is not satisfied exits 1 and prints the result; --min-responses 0 accepts it', async () => {
    expect((await cli('shards', 'create', 'default/default/g2', '--app', 'bank', '--shards', '2', '--node', http)).status).toBe(0);
    // The bank account has no handler for "no-such-message": every shard answers with an error.
    const failed = await cli('shards', 'scatter-gather', 'default/default/g2', 'no-such-message', '--node', http);
    expect(failed.status).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ satisfied: false, shards: [expect.objectContaining({ status: expect.not.stringMatching(/^ok$/) }), expect.anything()] });
    expect(failed.stderr).toMatch(/PLEX_ERR_GATHER_UNSATISFIED/);
    const lenient = await cli('shards', 'scatter-gather', 'default/default/g2', 'no-such-message', '--min-responses', '0', '--node', http);
    expect(lenient.status, lenient.stderr).toBe(0);
    expect(JSON.parse(lenient.stdout)).toMatchObject({ satisfied: true });
    expect((await cli('shards', 'delete', 'g2', '--node', http)).status).toBe(0);
  });

  it('deploy --help cites docs/applications.md, which exists', async () => {
    const help = await cli('deploy', '--help');
    expect(help.stdout).toContain('docs/applications.md');
    expect(existsSync(join(import.meta.dirname, '../../docs/applications.md'))).toBe(true);
  });
});
