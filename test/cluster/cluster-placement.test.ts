import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { deployModule } from '../support/deploy-module.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { runCli as cli } from '../support/run-cli.js';

// Placement of a module application's actors over the nodes of a cluster
// (src/cluster/placement.ts): by node labels — the articles' resource
// affinity — by node id, least loaded, or (the default) on the node the
// first message reaches; observable with `plexspaces actors --where`.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-placement-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let counter: Uint8Array;
let alpha: NodeProcess;
let beta: NodeProcess;
let gamma: NodeProcess;

beforeAll(async () => {
  [redis, { component: counter }] = await Promise.all([startRedisServer(), buildActor(join(root, 'test/fixtures/sdk/article-counter.ts'))]);
  const config = join(dir, 'cluster.toml');
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 8000\nsecret = "placement across the cluster"\n`);
  const start = (id: string, ...labels: string[]) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id, ...labels.flatMap((l) => ['--label', l])] });
  [alpha, beta, gamma] = await Promise.all([start('alpha'), start('beta', 'gpu=true'), start('gamma', 'gpu=true', 'memory=high')]);
}, 180_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function deploy(node: NodeProcess, applicationId: string, placement?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return deployModule(node.http, applicationId, counter, { placement });
}

async function ask(node: NodeProcess, actor: string, application: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message_type: 'increment', payload: { amount: 1 }, application_id: application }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Where each actor runs, as `GET /api/v1/actors` on `node` says: id → node id. */
async function where(node: NodeProcess): Promise<Record<string, string>> {
  const { actors } = (await (await fetch(`${node.http}/api/v1/actors`)).json()) as { actors: { id: string; node: string; live: boolean }[] };
  return Object.fromEntries(actors.map((a) => [a.id, a.node]));
}

describe('placement of actors over the nodes of a cluster', () => {
  it('a bad placement is refused at deploy and deploys nothing', async () => {
    for (const [placement, message] of [
      ['{"labels": ', 'placement must be JSON'],
      ['{"labels": {"gpu": true}}', 'placement.labels must be an object of strings'],
      ['{"strategy": "random"}', 'placement.strategy must be one of local, least-loaded'],
      ['{"zone": "eu"}', 'unknown keys'],
    ]) {
      const refused = await deploy(alpha, 'broken-placement', placement);
      expect(refused.status).toBe(400);
      expect((refused.body.error as { message: string }).message).toContain(message);
    }
    const apps = (await (await fetch(`${alpha.http}/api/v1/applications`)).json()) as { applications: { applicationId: string }[] };
    expect(apps.applications.map((a) => a.applicationId)).not.toContain('broken-placement');
  });

  it('by labels: an actor asked through a node without them runs on the node that has them all', async () => {
    const deployed = await deploy(alpha, 'trainer', '{"labels": {"gpu": "true", "memory": "high"}}');
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    expect(deployed.body.placement).toEqual({ labels: { gpu: 'true', memory: 'high' } });
    expect((await ask(alpha, 'trainer-1', 'trainer')).body).toEqual({ count: 1 });
    expect((await ask(beta, 'trainer-1', 'trainer')).body).toEqual({ count: 2 });
    // Every node sees the same directory.
    for (const node of [alpha, beta, gamma]) expect((await where(node))['trainer-1']).toBe('gamma');
  });

  it('by node id, and the default: the node the first message reaches', async () => {
    expect((await deploy(beta, 'pinned', '{"node": "alpha"}')).status).toBe(201);
    expect((await deploy(beta, 'anywhere')).status).toBe(201);
    expect((await ask(gamma, 'pinned-1', 'pinned')).status).toBe(200);
    expect((await ask(beta, 'anywhere-1', 'anywhere')).status).toBe(200);
    const placed = await where(gamma);
    expect(placed['pinned-1']).toBe('alpha');
    expect(placed['anywhere-1']).toBe('beta');
  });

  it('least loaded among the nodes with the labels: a burst through one node spreads over both gpu nodes, none on the node asked', async () => {
    expect((await deploy(alpha, 'gpu-worker', '{"labels": {"gpu": "true"}, "strategy": "least-loaded"}')).status).toBe(201);
    for (let i = 0; i < 6; i++) expect((await ask(alpha, `gpu-worker-${i}`, 'gpu-worker')).status).toBe(200);
    const placed = await where(alpha);
    const nodes = Array.from({ length: 6 }, (_, i) => placed[`gpu-worker-${i}`]);
    expect(new Set(nodes)).toEqual(new Set(['beta', 'gamma']));
    // The load counts what was placed before the heartbeats report it: close to even, not all on one node.
    for (const node of ['beta', 'gamma']) expect(nodes.filter((n) => n === node).length).toBeGreaterThanOrEqual(2);
  });

  it('labels no live node has: PLEX_ERR_NO_MATCHING_NODE, and nothing is claimed', async () => {
    expect((await deploy(gamma, 'tpu-job', '{"labels": {"tpu": "v5"}}')).status).toBe(201);
    const refused = await ask(alpha, 'tpu-job-1', 'tpu-job');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'PLEX_ERR_NO_MATCHING_NODE' });
    expect((refused.body.error as { message: string }).message).toContain('tpu=v5');
    expect(await where(alpha)).not.toHaveProperty('tpu-job-1');
  });

  it('plexspaces actors --where prints each actor and its node, from any node', async () => {
    const listed = await cli('actors', '--where', '--node', beta.http);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ACTOR\s+NODE$/m);
    expect(listed.stdout).toMatch(/^trainer-1\s+gamma$/m);
    expect(listed.stdout).toMatch(/^pinned-1\s+alpha$/m);
    const ids = await cli('actors', '--node', alpha.http);
    expect(ids.stdout.split('\n')).toContain('anywhere-1');
    const wrong = await cli('actors', '--namespace', 'not a name', '--node', alpha.http);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('PLEX_ERR_INVALID_ARGUMENT');
  });
});
