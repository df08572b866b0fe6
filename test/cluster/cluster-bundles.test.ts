import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';

// A bundle deployed through one node of a cluster is the cluster's
// (src/cluster/cluster-applications.ts): every node installs its modules and
// its virtual kinds, so a virtual actor answers through any node and is
// active on exactly one (the directory's claim) — its count goes on
// whichever node is asked; the supervision tree runs on the node that
// deployed it only.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-bundles-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let counter: Uint8Array;
let alpha: NodeProcess;
let beta: NodeProcess;

const MANIFEST = `[application]
name = "tally"
version = "1.0.0"

[supervisor]
strategy = "one_for_one"

[[supervisor.children]]
id = "keeper"
type = "worker"
module = "counter.wasm"
restart = "permanent"

[[virtual]]
kind = "tally"
module = "counter.wasm"
idle_timeout_seconds = 3600
`;

beforeAll(async () => {
  [redis, { component: counter }] = await Promise.all([startRedisServer(), buildActor(join(root, 'test/fixtures/sdk/article-counter.ts'))]);
  const config = join(dir, 'cluster.toml');
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 8000\nsecret = "bundles across the cluster"\n`);
  const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });
  [alpha, beta] = await Promise.all([start('alpha'), start('beta')]);
}, 180_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function ask(node: NodeProcess, actor: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message_type: 'increment', payload: { amount: 1 } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function applications(node: NodeProcess): Promise<{ applicationId: string; kind: string; treeElsewhere?: boolean }[]> {
  return ((await (await fetch(`${node.http}/api/v1/applications`)).json()) as { applications: { applicationId: string; kind: string; treeElsewhere?: boolean }[] }).applications;
}

describe('a bundle deployed through one node of a cluster', () => {
  it('is installed on every node; its virtual actors answer through any node, active on one', async () => {
    const form = new FormData();
    form.set('application_id', 'tally');
    form.set('manifest', new File([MANIFEST], 'app-config.toml'));
    form.append('wasm_file', new File([Buffer.from(counter)], 'counter.wasm'));
    const deployed = await fetch(`${alpha.http}/api/v1/applications/deploy`, { method: 'POST', body: form });
    expect(deployed.status, await deployed.clone().text()).toBe(201);

    // Beta has it from the cluster (its tree runs on alpha) once it heard of the deploy.
    const deadline = Date.now() + 20_000;
    while (!(await applications(beta)).some((a) => a.applicationId === 'tally')) {
      if (Date.now() > deadline) throw new Error('beta never installed the bundle');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await applications(beta)).find((a) => a.applicationId === 'tally')).toMatchObject({ kind: 'bundle', treeElsewhere: true });
    expect((await applications(alpha)).find((a) => a.applicationId === 'tally')?.treeElsewhere).toBeUndefined();

    // One actor, whichever node is asked: its count goes on.
    const counts = [];
    for (const node of [beta, alpha, beta, alpha]) {
      const reply = await ask(node, 'tally:shared');
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      counts.push(reply.body.count);
    }
    expect(counts).toEqual([1, 2, 3, 4]);
    const { actors } = (await (await fetch(`${alpha.http}/api/v1/actors`)).json()) as { actors: { id: string; node: string }[] };
    expect(actors.filter((a) => a.id === 'tally:shared')).toHaveLength(1);
    // The tree's child runs on alpha only, and any node reaches it (it is in the directory).
    expect(actors.find((a) => a.id === 'keeper')?.node).toBe('alpha');
    const keeper = [];
    for (const node of [beta, alpha, beta]) {
      const reply = await ask(node, 'keeper');
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      keeper.push(reply.body.count);
    }
    expect(keeper).toEqual([1, 2, 3]);
    const { actors: betaOwn } = (await (await fetch(`${beta.http}/api/v1/actors`)).json()) as { actors: { id: string; node: string }[] };
    expect(betaOwn.filter((a) => a.node === 'beta').map((a) => a.id)).not.toContain('keeper');
  });

  it('its tree moves to a survivor when its node is SIGKILLed, and the node back does not run it twice', async () => {
    await kill9(alpha.child);
    // Once alpha's heartbeat lapsed, beta claims the tree and starts it: keeper answers from beta.
    const deadline = Date.now() + 40_000;
    let reply = await ask(beta, 'keeper').catch((error: Error) => {
      throw new Error(`${error.message}: beta said ${beta.out().slice(-3000)}`);
    });
    while (reply.status !== 200) {
      if (Date.now() > deadline) throw new Error(`keeper never came back on beta: ${JSON.stringify(reply.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      reply = await ask(beta, 'keeper');
    }
    expect(typeof reply.body.count).toBe('number');
    expect((await applications(beta)).find((a) => a.applicationId === 'tally')?.treeElsewhere).toBeUndefined();
    const where = async (node: NodeProcess) => ((await (await fetch(`${node.http}/api/v1/actors`)).json()) as { actors: { id: string; node: string }[] }).actors.find((a) => a.id === 'keeper')?.node;
    expect(await where(beta)).toBe('beta');

    // Alpha restarts with its kept copy of the bundle: the tree is beta's now, so alpha stops its own.
    alpha = await startNodeProcess(join(dir, 'alpha'), children, { args: ['--config', join(dir, 'cluster.toml'), '--node-id', 'alpha'] });
    const settled = Date.now() + 20_000;
    const onAlpha = () =>
      applications(alpha).catch((error: Error) => {
        throw new Error(`${error.message}: alpha said ${alpha.out().slice(-3000)}`);
      });
    while ((await onAlpha()).find((a) => a.applicationId === 'tally')?.treeElsewhere !== true) {
      if (Date.now() > settled) throw new Error('alpha kept running the tree beta took over');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await where(alpha)).toBe('beta');
    const before = (await ask(beta, 'keeper')).body.count as number;
    expect((await ask(alpha, 'keeper')).body.count).toBe(before + 1);
  });

  it('redeployed through a node that does not run its tree, the tree stays where it runs and takes the new version', async () => {
    // The tree is beta's now (the test above); alpha deploys version 2. Starting a second tree on alpha would fight
    // beta's over the workers' names: alpha installs it without the tree, and beta restarts its tree in version 2.
    const form = new FormData();
    form.set('application_id', 'tally');
    form.set('manifest', new File([MANIFEST.replace('version = "1.0.0"', 'version = "2.0.0"')], 'app-config.toml'));
    form.append('wasm_file', new File([Buffer.from(counter)], 'counter.wasm'));
    const deployed = await fetch(`${alpha.http}/api/v1/applications/deploy`, { method: 'POST', body: form });
    expect(deployed.status, await deployed.clone().text()).toBe(201);
    expect(await deployed.json()).toMatchObject({ applicationId: 'tally', version: '2.0.0', treeElsewhere: true, treeNode: 'beta', actors: [] });
    const deadline = Date.now() + 20_000;
    const onBeta = async () => (await applications(beta)).find((a) => a.applicationId === 'tally') as { version?: string; treeElsewhere?: boolean } | undefined;
    while ((await onBeta())?.version !== '2.0.0') {
      if (Date.now() > deadline) throw new Error(`beta never installed version 2: ${JSON.stringify(await onBeta())}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await onBeta())?.treeElsewhere).toBeUndefined();
    // keeper runs once, on beta, and answers through either node.
    let reply = await ask(alpha, 'keeper');
    while (reply.status !== 200) {
      if (Date.now() > deadline) throw new Error(`keeper does not answer after the redeploy: ${JSON.stringify(reply.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      reply = await ask(alpha, 'keeper');
    }
    const { actors } = (await (await fetch(`${alpha.http}/api/v1/actors`)).json()) as { actors: { id: string; node: string }[] };
    expect(actors.filter((a) => a.id === 'keeper').map((a) => a.node)).toEqual(['beta']);
    expect((await ask(beta, 'keeper')).body.count).toBe((reply.body.count as number) + 1);
  });

  it('undeployed through the node that deployed it, it is gone from the others', async () => {
    expect((await fetch(`${alpha.http}/api/v1/applications/tally`, { method: 'DELETE' })).status).toBe(200);
    const deadline = Date.now() + 20_000;
    while ((await applications(beta)).some((a) => a.applicationId === 'tally')) {
      if (Date.now() > deadline) throw new Error('beta still has the bundle');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The nodes converge on the cluster's applications: within the deadline no node activates the kind any more.
    let last = await ask(beta, 'tally:other');
    while (last.status !== 404) {
      if (Date.now() > deadline) throw new Error(`a virtual actor of the undeployed bundle still answers through beta: ${last.status} ${JSON.stringify(last.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      last = await ask(beta, `tally:other-${Date.now()}`);
    }
    expect(last.status).toBe(404);
  });
});
