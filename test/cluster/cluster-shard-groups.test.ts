import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { deployModule } from '../support/deploy-module.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { runCli } from '../support/run-cli.js';

// A shard group created on one node of a cluster runs its shards on every
// node (src/cluster/cluster-shards.ts): its collectives reach them over the
// node links, `scale` after a node joined puts the new shards there and
// moves each key once, and a node SIGKILLed mid-gather costs that gather
// its shards' answers (reported per shard, never a hang) and the group the
// keys those shards held — they start again, empty, on the survivors.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-shards-'));
const children: ChildProcess[] = [];
const GROUPS = '/api/v1/shard-groups/default/default';
let redis: RedisProcess;
let config: string;
let alpha: NodeProcess;
let beta: NodeProcess;
let gamma: NodeProcess;

interface ShardResult {
  shard: number;
  status: 'ok' | 'error' | 'timeout';
  node?: string;
  value?: unknown;
  errorCode?: string;
}

const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });

beforeAll(async () => {
  let kvShard: Uint8Array;
  [redis, { component: kvShard }] = await Promise.all([startRedisServer(), buildActor(join(root, 'examples/actors/kv-shard.ts'))]);
  config = join(dir, 'cluster.toml');
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 4000\nsecret = "shards across the cluster"\n`);
  [alpha, beta, gamma] = await Promise.all([start('alpha'), start('beta'), start('gamma')]);
  const deployed = await deployModule(alpha.http, 'kv', kvShard);
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
}, 180_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function post(node: NodeProcess, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${node.http}${GROUPS}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function groupNodes(node: NodeProcess, id: string): Promise<string[]> {
  const { groups } = (await (await fetch(`${node.http}${GROUPS}`)).json()) as { groups: { id: string; nodes: string[] }[] };
  return groups.find((g) => g.id === id)!.nodes;
}

async function gather(node: NodeProcess, type: string, options: Record<string, unknown> = {}) {
  const reply = await post(node, '/users/scatter-gather', { type, aggregate: 'concat', ...options });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body as { value: unknown; shards: ShardResult[]; satisfied: boolean };
}

async function clusterNodes(node: NodeProcess): Promise<string[]> {
  const { nodes } = (await (await fetch(`${node.http}/api/v1/nodes`)).json()) as { nodes: { id: string }[] };
  return nodes.map((n) => n.id).sort();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const keys = Array.from({ length: 600 }, (_, i) => `user-${i}`);

describe('a shard group over the nodes of a cluster', () => {
  it('spreads its shards over every node and its collectives reach them all', async () => {
    const created = await post(alpha, '', { id: 'users', application: 'kv', shards: 6 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await groupNodes(alpha, 'users')).sort()).toEqual(['alpha', 'alpha', 'beta', 'beta', 'gamma', 'gamma']);

    const update = await post(alpha, '/users/bulk-update', { entries: keys.map((key, i) => [key, i]) });
    expect(update.status, JSON.stringify(update.body)).toBe(200);
    expect((update.body.shards as ShardResult[]).every((s) => s.status === 'ok')).toBe(true);

    const reduced = await post(alpha, '/users/reduce', { type: 'stats', op: 'sum', path: 'count' });
    expect(reduced.body.value).toBe(600);
    const sum = await post(alpha, '/users/reduce', { type: 'stats', op: 'sum', path: 'sum' });
    expect(sum.body.value).toBe((599 * 600) / 2);

    const barrier = await post(alpha, '/users/barrier', { round: 3 });
    expect(barrier.body.satisfied).toBe(true);
    expect((barrier.body.shards as ShardResult[]).map((s) => s.value)).toEqual(Array(6).fill({ round: 3 }));

    const all = await gather(alpha, 'keys');
    expect((all.value as string[]).sort()).toEqual([...keys].sort());
    // Each shard's status says where it ran; the three nodes all answered.
    expect(new Set(all.shards.map((s) => s.node))).toEqual(new Set(['alpha', 'beta', 'gamma']));
    expect(all.shards.map((s) => s.node)).toEqual(await groupNodes(alpha, 'users'));

    // Any node answers for the group (its calls go to alpha, which drives it), and its name is the cluster's.
    expect((await post(beta, '/users/reduce', { type: 'stats', op: 'sum', path: 'count' })).body.value).toBe(600);
    expect((await post(gamma, '/users/barrier', { round: 4 })).body.satisfied).toBe(true);
    expect(await groupNodes(gamma, 'users')).toEqual(await groupNodes(alpha, 'users'));
    const twice = await post(beta, '', { id: 'users', application: 'kv', shards: 2 });
    expect(twice.status).toBe(409);
    expect((twice.body.error as { code: string; message: string }).message).toContain('on node alpha');
    const unknown = await post(beta, '/nobody/reduce', { type: 'stats', op: 'sum', path: 'count' });
    expect(unknown.status).toBe(404);
    expect((unknown.body.error as { code: string }).code).toBe('PLEX_ERR_SHARD_GROUP_NOT_FOUND');

    // The shards are in the cluster's directory: every node lists where they run.
    const { actors } = (await (await fetch(`${beta.http}/api/v1/actors`)).json()) as { actors: { id: string; node: string }[] };
    const shardActors = actors.filter((a) => a.id.includes('/shard-'));
    expect(shardActors.map((a) => a.node).sort()).toEqual(['alpha', 'alpha', 'beta', 'beta', 'gamma', 'gamma']);
  });

  it('scale after a node joined puts the new shards on it and moves each key once; its planned stop moves them on', async () => {
    const delta = await start('delta');
    await until('alpha to see delta', async () => ((await clusterNodes(alpha)).includes('delta') ? true : undefined));
    const before = await gather(alpha, 'keys');
    const owner = new Map<string, number>();
    for (const s of before.shards) for (const key of s.value as string[]) owner.set(key, s.shard);

    const scaled = await post(alpha, '/users/scale', { shards: 8 });
    expect(scaled.status, JSON.stringify(scaled.body)).toBe(200);
    const nodes = await groupNodes(alpha, 'users');
    expect(nodes.slice(6)).toEqual(['delta', 'delta']);
    expect(nodes.slice(0, 6).sort()).toEqual(['alpha', 'alpha', 'beta', 'beta', 'gamma', 'gamma']);

    const after = await gather(alpha, 'keys');
    const held = after.shards.flatMap((s) => s.value as string[]);
    expect(held.length).toBe(600); // none lost, none held twice
    expect(new Set(held)).toEqual(new Set(keys));
    const movedKeys = after.shards.flatMap((s) => (s.value as string[]).filter((key) => owner.get(key) !== s.shard));
    expect(movedKeys.length).toBeGreaterThan(0);
    expect(scaled.body).toMatchObject({ from: 6, to: 8, keys: 600, moved: movedKeys.length });
    // Consistent hashing moves keys only onto the new shards, which run on delta.
    expect(after.shards.filter((s) => s.node === 'delta').flatMap((s) => s.value as string[]).sort()).toEqual(movedKeys.sort());
    // The values came along.
    const sum = await post(alpha, '/users/reduce', { type: 'stats', op: 'sum', path: 'sum' });
    expect(sum.body.value).toBe((599 * 600) / 2);

    // A planned stop (SIGTERM) drains first: delta's shards move to the others with their keys.
    const exited = new Promise((resolve) => delta.child.once('exit', resolve));
    delta.child.kill('SIGTERM');
    await exited;
    expect((await groupNodes(alpha, 'users')).slice(6).every((node) => node !== 'delta' && node !== null)).toBe(true);
    expect((await post(alpha, '/users/reduce', { type: 'stats', op: 'sum', path: 'count' })).body.value).toBe(600);
    expect((await post(alpha, '/users/reduce', { type: 'stats', op: 'sum', path: 'sum' })).body.value).toBe((599 * 600) / 2);
    await post(alpha, '/users/scale', { shards: 6 });
    expect((await post(alpha, '/users/reduce', { type: 'stats', op: 'sum', path: 'count' })).body.value).toBe(600);
    await until('delta to leave', async () => (!(await clusterNodes(alpha)).includes('delta') ? true : undefined));
  });

  it('a node SIGKILLed mid-gather: its shards are reported, the gather answers, the group goes on without its keys', async () => {
    const nodes = await groupNodes(alpha, 'users');
    const onGamma = nodes.flatMap((node, shard) => (node === 'gamma' ? [shard] : []));
    expect(onGamma.length).toBeGreaterThan(0);
    const stats = await gather(alpha, 'stats');
    const lostKeys = stats.shards.filter((s) => onGamma.includes(s.shard)).reduce((n, s) => n + (s.value as { count: number }).count, 0);

    // Gathers in flight while gamma dies: each answers (200) with the survivors' shards, none hangs.
    const inFlight = Array.from({ length: 8 }, () => gather(alpha, 'keys', { deadlineMs: 4_000, minResponses: nodes.length - onGamma.length }));
    await kill9(gamma.child);
    const during = await Promise.all(inFlight);
    for (const answer of during) {
      expect(answer.satisfied).toBe(true);
      for (const s of answer.shards) if (!onGamma.includes(s.shard)) expect(s.status).toBe('ok');
    }
    const afterKill = await gather(alpha, 'keys', { deadlineMs: 4_000, minResponses: nodes.length - onGamma.length });
    for (const shard of onGamma) {
      const status = afterKill.shards[shard];
      // Until the registry sees gamma gone its shards fail fast on the closed link, or are already restarted empty.
      if (status.status !== 'ok') expect(['PLEX_ERR_NODE_DOWN', 'PLEX_ERR_ACTOR_NOT_FOUND', 'PLEX_ERR_ASK_TIMEOUT']).toContain(status.errorCode);
    }

    // Once gamma's heartbeat lapsed its shards start again on the survivors.
    const moved = await until('gamma’s shards to restart elsewhere', async () => {
      const now = await groupNodes(alpha, 'users');
      return now.every((node) => node === 'alpha' || node === 'beta') ? now : undefined; // null while a shard is not running
    });
    expect(moved.length).toBe(nodes.length);
    let last: unknown;
    const whole = await until("every shard to answer", async () => {
      const answer = await gather(alpha, 'stats', { deadlineMs: 4_000 });
      last = answer.shards;
      return answer.shards.every((s) => s.status === 'ok') ? answer : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(last)}`);
    });
    const count = whole.shards.reduce((n, s) => n + (s.value as { count: number }).count, 0);
    expect(count).toBe(600 - lostKeys);
    // The restarted shards take writes again.
    const update = await post(alpha, '/users/bulk-update', { entries: keys.map((key, i) => [key, i]) });
    expect((update.body.shards as ShardResult[]).every((s) => s.status === 'ok')).toBe(true);
    expect((await post(alpha, '/users/reduce', { type: 'stats', op: 'sum', path: 'count' })).body.value).toBe(600);
  });

  it('plexspaces run matmul|nbody --cluster compute over shards on the nodes, checked as on one node', async () => {
    const refused = await runCli('run', 'matmul', '--cluster', redis.url, '--n', '64');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('needs the cluster secret');

    const run = await runCli('run', 'matmul', '--cluster', redis.url, '--config', config, '--n', '256', '--json', '--quiet');
    expect(run.status, run.stderr).toBe(0);
    const [result] = (JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { runs: { shards: number; placement: Record<string, number>; maxRelError: number; bytesBetweenNodes: number; tiles: number }[] }).runs;
    // One shard per worker of each live node (alpha and beta, one worker each); the driver took none.
    expect(result.placement).toEqual({ alpha: 1, beta: 1 });
    expect(result.maxRelError).toBeLessThan(1e-4);
    // B to both shards, every row of A out and of C back: at least 4 n² floats crossed.
    expect(result.bytesBetweenNodes).toBeGreaterThanOrEqual(4 * 256 * 256 * 4);

    // Linda's master/worker across the nodes: the tiles are tuples in the cluster's space, taken by the workers on
    // both nodes as they finish; every tile once, the product checked, and no tuple of the job left behind.
    const linda = await runCli('run', 'matmul', '--cluster', redis.url, '--config', config, '--n', '256', '--mode', 'linda', '--json', '--quiet');
    expect(linda.status, linda.stderr).toBe(0);
    const [bag] = (JSON.parse(linda.stdout.slice(linda.stdout.indexOf('{'))) as { runs: { mode: string; placement: Record<string, number>; maxRelError: number; tiles: number; tilesPerShard: number[] }[] }).runs;
    expect(bag.mode).toBe('linda');
    expect(bag.placement).toEqual({ alpha: 1, beta: 1 });
    expect(bag.maxRelError).toBeLessThan(1e-4);
    expect(bag.tilesPerShard.reduce((a, b) => a + b, 0)).toBe(bag.tiles);
    expect(bag.tilesPerShard.every((taken) => taken > 0)).toBe(true);
    for (const template of [['tile', null, null, null, null], ['c', null, null, null, null]]) {
      const counted = await fetch(`${alpha.http}/api/v1/tuplespace/default/default/default/count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ template }) });
      expect(await counted.json(), JSON.stringify(template)).toEqual({ count: 0 });
    }

    // n-body the same way: the same energies as on one node, within rounding of the sums' order.
    const over = await runCli('run', 'nbody', '--cluster', redis.url, '--config', config, '--bodies', '256', '--steps', '5', '--json', '--quiet');
    expect(over.status, over.stderr).toBe(0);
    const alone = await runCli('run', 'nbody', '--bodies', '256', '--steps', '5', '--workers', '1', '--json', '--quiet');
    expect(alone.status, alone.stderr).toBe(0);
    type Nbody = { placement?: Record<string, number>; energyStart: number; energyEnd: number; relativeEnergyDrift: number; bytesBetweenNodes?: number };
    const [spread] = (JSON.parse(over.stdout.slice(over.stdout.indexOf('{'))) as { runs: Nbody[] }).runs;
    const [single] = (JSON.parse(alone.stdout.slice(alone.stdout.indexOf('{'))) as { runs: Nbody[] }).runs;
    expect(spread.placement).toEqual({ alpha: 1, beta: 1 });
    expect(spread.relativeEnergyDrift).toBeLessThan(1e-4);
    expect(Math.abs(spread.energyStart - single.energyStart) / Math.abs(single.energyStart)).toBeLessThan(1e-12);
    expect(Math.abs(spread.energyEnd - single.energyEnd) / Math.abs(single.energyEnd)).toBeLessThan(1e-9);
    expect(spread.bytesBetweenNodes).toBeGreaterThan(0);

    // It left nothing behind: no shard, and the node it ran as is gone.
    await until('the jobs’ nodes to leave', async () => ((await clusterNodes(alpha)).some((id) => id.startsWith('run-')) ? undefined : true));
    const { actors } = (await (await fetch(`${alpha.http}/api/v1/actors`)).json()) as { actors: { id: string }[] };
    expect(actors.filter((a) => a.id.startsWith('run-'))).toEqual([]);
    const { applications } = (await (await fetch(`${alpha.http}/api/v1/applications`)).json()) as { applications: { applicationId: string }[] };
    expect(applications.map((a) => a.applicationId)).toEqual(['kv']);
  });

  it('drain moves the shards off a node, with their keys, while writes keep coming', async () => {
    const before = await groupNodes(alpha, 'users');
    expect(before).toContain('beta');
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        const batch = Array.from({ length: 20 }, (_, i): [string, number] => [`late-${written + i}`, 1]);
        const update = await post(alpha, '/users/bulk-update', { entries: batch });
        expect((update.body.shards as ShardResult[]).every((s) => s.status === 'ok'), JSON.stringify(update.body)).toBe(true);
        written += batch.length;
      }
    })();
    const drained = await fetch(`${beta.http}/api/v1/cluster/drain`, { method: 'POST' });
    const body = (await drained.json()) as { shards: string[] };
    writing = false;
    await writer;
    expect(drained.status, JSON.stringify(body)).toBe(200);
    // Shard actors are `tenant/namespace/g<n>-<incarnation>/shard-<i>`: unique across the cluster's nodes.
    expect(body.shards.map((id) => /^default\/default\/g1-[0-9a-z]+\/shard-(\d+)$/.exec(id)?.[1]).sort()).toEqual(before.flatMap((node, shard) => (node === 'beta' ? [String(shard)] : [])).sort());
    expect(await groupNodes(alpha, 'users')).toEqual(before.map(() => 'alpha'));
    expect(written).toBeGreaterThan(0);
    // Every key, old and new, once: none lost in the move, none applied twice.
    const held = (await gather(alpha, 'keys')).shards.flatMap((s) => s.value as string[]);
    expect(held.length).toBe(600 + written);
    expect(new Set(held).size).toBe(held.length);
    const sum = await post(alpha, '/users/reduce', { type: 'stats', op: 'sum', path: 'sum' });
    expect(sum.body.value).toBe((599 * 600) / 2 + written);
  });

  it('deleting the group (through another node) stops its shards on every node and frees its name', async () => {
    const response = await fetch(`${beta.http}${GROUPS}/users`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const { groups } = (await (await fetch(`${alpha.http}${GROUPS}`)).json()) as { groups: unknown[] };
    expect(groups).toEqual([]);
    const again = await post(beta, '', { id: 'users', application: 'kv', shards: 2 });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect((await fetch(`${beta.http}${GROUPS}/users`, { method: 'DELETE' })).status).toBe(200);
    await until('the shards to leave the directory', async () => {
      const { actors } = (await (await fetch(`${beta.http}/api/v1/actors`)).json()) as { actors: { id: string }[] };
      return actors.some((a) => a.id.includes('/shard-')) ? undefined : true;
    });
  });
});
