import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexClient } from '../../src/client/index.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { deployModule } from '../support/deploy-module.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';

// Links and monitors between actors of different node processes of one
// cluster (src/cluster/remote-exits.ts): a monitor hears the exit of an actor
// that runs elsewhere, and a node SIGKILLed counts as the exit of its actors
// with reason `noconnection` — monitors get `down`, linked actors die with
// them, on whichever side of the link they run.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-monitors-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let alpha: NodeProcess;
let beta: NodeProcess;
let gamma: NodeProcess;

beforeAll(async () => {
  let counter: Uint8Array;
  let relay: Uint8Array;
  [redis, { component: counter }, { component: relay }] = await Promise.all([
    startRedisServer(),
    buildActor(join(root, 'test/fixtures/sdk/article-counter.ts')),
    buildActor(join(root, 'test/fixtures/sdk/relay.ts')),
  ]);
  const config = join(dir, 'cluster.toml');
  // A short heartbeat TTL (long enough for a loaded CI machine): the SIGKILLed node is declared dead within seconds.
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 6000\nsecret = "monitors across the cluster"\n`);
  const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });
  [alpha, beta, gamma] = await Promise.all([start('alpha'), start('beta'), start('gamma')]);
  await deploy(alpha, 'counter-app', 'counter', counter);
  await deploy(alpha, 'relay-app', 'relay', relay);
}, 180_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function deploy(node: NodeProcess, applicationId: string, name: string, wasm: Uint8Array): Promise<void> {
  const deployed = await deployModule(node.http, applicationId, wasm, { name, durable: false });
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
}

async function ask(node: NodeProcess, actor: string, type: string, payload: unknown = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: type, payload }) });
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** The `down` messages relay `id` has got, through `node`. */
async function downs(node: NodeProcess, id: string): Promise<{ ref: string; actor: string; reason: string; normal: boolean }[]> {
  return (await ask(node, id, 'downs')).downs as { ref: string; actor: string; reason: string; normal: boolean }[];
}

/** Whether `actor` runs on `node` (its own actor list, over its websocket). */
async function runsOn(node: NodeProcess, actor: string): Promise<boolean> {
  const client = await PlexClient.connect(`${node.http.replace('http', 'ws')}/ws`);
  try {
    return (await client.actors.list()).includes(actor);
  } finally {
    client.close();
  }
}

describe('links and monitors across the nodes of a cluster', () => {
  it('a monitor hears the exit of an actor on another node; one on an actor no node runs gets noproc', async () => {
    // The first node an actor is asked through runs it: the watcher on alpha, the target on beta.
    await ask(alpha, 'relay-1', 'downs');
    await ask(beta, 'counter-a', 'increment', { amount: 1 });
    expect(await runsOn(beta, 'counter-a')).toBe(true);
    const { ref } = (await ask(alpha, 'relay-1', 'watch', { to: 'counter-a' })) as { ref: string };
    const { ref: nowhere } = (await ask(alpha, 'relay-1', 'watch', { to: 'nobody-runs-this' })) as { ref: string };
    await expect.poll(() => downs(alpha, 'relay-1'), { timeout: 10_000 }).toEqual([{ ref: nowhere, actor: 'default/default/nobody-runs-this', reason: 'noproc', normal: false }]);

    // Stopped through a third node: beta runs it, stops it, and tells alpha.
    const stopped = await fetch(`${gamma.http}/api/v1/actors/counter-a`, { method: 'DELETE' });
    expect(stopped.status, await stopped.text()).toBeLessThan(300);
    await expect.poll(() => downs(alpha, 'relay-1'), { timeout: 10_000 }).toContainEqual({ ref, actor: 'default/default/counter-a', reason: 'normal', normal: true });
    expect(await downs(alpha, 'relay-1')).toHaveLength(2);
  });

  it('an actor spawned by an actor is reached through every node, keeps its name cluster-wide, and leaves the directory when it stops', async () => {
    const { spawned } = (await ask(alpha, 'relay-9', 'spawn', { module: 'counter-app' })) as { spawned: string };
    // A generated id carries the spawning node's incarnation: two nodes never generate the same one.
    expect(spawned).toMatch(/^default\/default\/counter-app-\d+-[0-9a-f]{8}$/);
    const id = spawned.slice('default/default/'.length);
    expect(await ask(gamma, id, 'increment', { amount: 2 })).toEqual({ count: 2 });
    expect(await ask(beta, id, 'increment', { amount: 3 })).toEqual({ count: 5 });
    const listed = (await (await fetch(`${beta.http}/api/v1/actors`)).json()) as { actors: { id: string; node: string }[] };
    expect(listed.actors).toContainEqual({ id, node: 'alpha', live: true });

    // A chosen name is the cluster's: another node's actor cannot take it.
    expect(await ask(gamma, 'relay-10', 'spawn', { module: 'counter-app', id: 'named-counter' })).toEqual({ spawned: 'default/default/named-counter' });
    const taken = (await ask(alpha, 'relay-9', 'spawn', { module: 'counter-app', id: 'named-counter' })) as { spawned: null; error: string };
    expect(taken.spawned).toBeNull();
    expect(taken.error).toContain('PLEX_ERR_ACTOR_EXISTS');
    expect(taken.error).toContain('on node gamma');

    expect((await fetch(`${beta.http}/api/v1/actors/${id}`, { method: 'DELETE' })).status).toBe(200);
    const after = (await (await fetch(`${gamma.http}/api/v1/actors`)).json()) as { actors: { id: string }[] };
    expect(after.actors.map((a) => a.id)).not.toContain(id);
    expect(after.actors.map((a) => a.id)).toContain('named-counter');
  });

  it('a link to an actor no node runs is refused to the caller, as on one node', async () => {
    const refused = (await ask(alpha, 'relay-2', 'link-to', { to: 'nobody-runs-this' })) as { linked: boolean; error: string };
    expect(refused.linked).toBe(false);
    expect(refused.error).toContain('PLEX_ERR_ACTOR_NOT_FOUND');
    expect(await runsOn(alpha, 'relay-2')).toBe(true);
  });

  it('a node SIGKILLed: monitors of its actors get down noconnection, and actors linked to them die on either side of the link', async () => {
    await ask(beta, 'counter-b', 'increment', { amount: 1 });
    const { ref } = (await ask(alpha, 'relay-1', 'watch', { to: 'counter-b' })) as { ref: string };
    // alpha's relay-2 links to beta's counter-b (alpha asked beta to report counter-b's exit) …
    expect(await ask(alpha, 'relay-2', 'link-to', { to: 'counter-b' })).toEqual({ linked: true });
    // … and beta's relay-3 links to gamma's relay-4 (gamma holds the half that hears of beta's relay-3).
    await ask(gamma, 'relay-4', 'downs');
    expect(await ask(beta, 'relay-3', 'link-to', { to: 'relay-4' })).toEqual({ linked: true });
    // A normal stop of one end leaves the other running: relay-5 on alpha is linked to counter-c on beta.
    await ask(beta, 'counter-c', 'increment', { amount: 1 });
    expect(await ask(alpha, 'relay-5', 'link-to', { to: 'counter-c' })).toEqual({ linked: true });
    expect((await fetch(`${beta.http}/api/v1/actors/counter-c`, { method: 'DELETE' })).status).toBeLessThan(300);

    await kill9(beta.child);
    await expect.poll(() => downs(alpha, 'relay-1'), { timeout: 20_000 }).toContainEqual({ ref, actor: 'default/default/counter-b', reason: 'noconnection', normal: false });
    await expect.poll(() => runsOn(alpha, 'relay-2'), { timeout: 20_000 }).toBe(false);
    await expect.poll(() => runsOn(gamma, 'relay-4'), { timeout: 20_000 }).toBe(false);
    expect(await runsOn(alpha, 'relay-5')).toBe(true);
  });
});
