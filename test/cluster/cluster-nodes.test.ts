import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeListing } from '../../src/cluster/membership.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';

// Real node processes joined through a real redis-server: what
// `plexspaces start --cluster redis://…` does on each machine.

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-nodes-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let config: string;

beforeAll(async () => {
  redis = await startRedisServer();
  config = join(dir, 'cluster.toml');
  // A short TTL so a dead node is noticed within the test.
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 900\n`);
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = (id: string, extra: string[] = []) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id, ...extra] });
const listing = async (node: NodeProcess): Promise<NodeListing> => (await (await fetch(`${node.http}/api/v1/nodes`)).json()) as NodeListing;
const ids = async (node: NodeProcess) => (await listing(node)).nodes.map((n) => n.id);

describe('nodes joined through Redis', () => {
  it('every node lists every live node; a SIGKILLed one drops out when its heartbeat lapses, a stopped one at once', async () => {
    const a = await start('alpha', ['--label', 'zone=a']);
    expect(a.out()).toMatch(/cluster: node alpha on redis:\/\/127\.0\.0\.1:\d+ \(1 live\)/);
    const b = await start('beta');
    const c = await start('gamma');
    for (const node of [a, b, c]) await expect.poll(() => ids(node), { timeout: 10_000 }).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
    const seen = await listing(b);
    expect(seen.self).toBe('beta');
    expect(seen.nodes[0].id).toBe('beta'); // this node first
    expect(seen.nodes.map((n) => n.id).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(seen.cluster).toEqual({ backend: 'redis', seeds: [redis.url], heartbeatTtlMs: 900 });
    expect(seen.nodes.find((n) => n.id === 'alpha')).toMatchObject({ labels: { zone: 'a' }, workers: 1, addresses: { http: a.http } });

    // KV is shared: what one node stores, every node reads (locks likewise, test/cluster/coordination-conformance.test.ts).
    const kv = (node: NodeProcess, op: string, body: unknown) => fetch(`${node.http}/api/v1/kv/acme/prod/${op}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
    await kv(a, 'put', { key: 'config/feature', value: 'on' });
    expect(await kv(c, 'get', { key: 'config/feature' })).toMatchObject({ entry: { key: 'config/feature', value: 'on' } });
    expect(await kv(b, 'list', { prefix: 'config/' })).toEqual({ entries: [{ key: 'config/feature', value: 'on' }] });

    // The CLI lists them too, this node marked.
    const cli = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'nodes', '--node', a.http], { encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/3 nodes/);
    expect(cli.stdout).toMatch(/^\* alpha .*zone=a$/m);
    expect(cli.stdout).toMatch(/^ {2}beta /m);

    await kill9(c.child);
    for (const node of [a, b]) await expect.poll(() => ids(node).then((l) => l.sort()), { timeout: 10_000 }).toEqual(['alpha', 'beta']);

    const exited = new Promise((resolve) => b.child.removeAllListeners('exit').on('exit', resolve));
    b.child.kill('SIGTERM');
    await exited;
    expect(await ids(a)).toEqual(['alpha']); // it said goodbye: gone without waiting for the TTL
    expect(a.out()).toMatch(/node left.*gamma.*heartbeat-lapsed/);
    await kill9(a.child);
  }, 60_000);

  it('a second live node with the same id is refused at start, naming the first', async () => {
    const a = await start('solo');
    const second = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'start', '--config', config, '--node-id', 'solo', '--data-dir', join(dir, 'solo2'), '--http-port', '0', '--grpc-port', '0'], { encoding: 'utf8', timeout: 30_000 });
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(/node id solo is in use by a live node/);
    expect(await ids(a)).toEqual(['solo']);
    await kill9(a.child);
  }, 60_000);

  it('an unreachable Redis stops the start with PLEX_ERR_BACKEND_UNAVAILABLE; a node alone lists itself', async () => {
    const down = await startRedisServer();
    await down.stop();
    const failed = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'start', '--cluster', down.url, '--memory', '--http-port', '0', '--grpc-port', '0'], { encoding: 'utf8', timeout: 30_000 });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/PLEX_ERR_BACKEND_UNAVAILABLE.*cannot reach Redis at redis:\/\/127\.0\.0\.1/);

    const alone = await startNodeProcess(join(dir, 'alone'), children, { args: ['--node-id', 'lonely'] });
    expect(await listing(alone)).toMatchObject({ cluster: null, self: 'lonely', nodes: [{ id: 'lonely', expiresAt: null, addresses: { http: alone.http } }] });
    await kill9(alone.child);
  }, 60_000);
});
