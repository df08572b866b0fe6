import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { deployModule } from '../support/deploy-module.js';
import { pointerOf, SchemaChecker } from '../support/openapi-check.js';
import { runCli as cli } from '../support/run-cli.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';

// `plexspaces drain` before a planned stop: the drained node takes nothing
// new, its durable actors continue on the other node with their state, and
// the ones whose state lives only there stay and are named.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-drain-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let alpha: NodeProcess;
let beta: NodeProcess;

beforeAll(async () => {
  let counter: Uint8Array;
  [redis, { component: counter }] = await Promise.all([startRedisServer(), buildActor(join(root, 'test/fixtures/sdk/article-counter.ts'))]);
  const config = join(dir, 'cluster.toml');
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 8000\nsecret = "drain before a planned stop"\n`);
  const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });
  [alpha, beta] = await Promise.all([start('alpha'), start('beta')]);
  for (const [applicationId, durable] of [['bank', true], ['scratch', false]] as const) {
    const deployed = await deployModule(alpha.http, applicationId, counter, { durable });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
  }
}, 180_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function ask(node: NodeProcess, actor: string, application: string, type: string, payload: unknown = {}): Promise<unknown> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message_type: type, payload, application_id: application }),
  });
  const body = (await response.json()) as unknown;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function where(node: NodeProcess): Promise<Record<string, string>> {
  const { actors } = (await (await fetch(`${node.http}/api/v1/actors`)).json()) as { actors: { id: string; node: string }[] };
  return Object.fromEntries(actors.map((a) => [a.id, a.node]));
}

describe('draining a node before a planned stop', () => {
  it('its durable actors continue on the other node with their state; the others stay and are named; nothing new lands on it', async () => {
    // First asked through alpha: they run there.
    expect(await ask(alpha, 'acct-1', 'bank', 'increment', { amount: 5 })).toEqual({ count: 5 });
    expect(await ask(alpha, 'acct-2', 'bank', 'increment', { amount: 7 })).toEqual({ count: 7 });
    expect(await ask(alpha, 'scratch-1', 'scratch', 'increment', { amount: 1 })).toEqual({ count: 1 });
    expect(await where(beta)).toMatchObject({ 'acct-1': 'alpha', 'acct-2': 'alpha', 'scratch-1': 'alpha' });

    // By id, through the other node: it finds alpha's address in the registry.
    const drained = await cli('drain', 'alpha', '--node', beta.http);
    expect(drained.status, drained.stderr).toBe(0);
    expect(drained.stdout).toContain('node alpha is draining: 2 actors moved to the other nodes');
    expect(drained.stdout).toContain('1 kept');
    expect(drained.stdout).toContain('default/default/scratch-1');

    // The state came along: the next message activates each on beta, through either node.
    expect(await ask(alpha, 'acct-1', 'bank', 'get')).toEqual({ count: 5 });
    expect(await ask(beta, 'acct-2', 'bank', 'increment', { amount: 1 })).toEqual({ count: 8 });
    // A new actor asked through the drained node is placed on the other one; the kept one is still there.
    expect(await ask(alpha, 'acct-3', 'bank', 'increment', { amount: 2 })).toEqual({ count: 2 });
    expect(await ask(alpha, 'scratch-1', 'scratch', 'get')).toEqual({ count: 1 });
    expect(await where(alpha)).toMatchObject({ 'acct-1': 'beta', 'acct-2': 'beta', 'acct-3': 'beta', 'scratch-1': 'alpha' });
  });

  it('an unknown node id is refused, naming the live ones', async () => {
    const refused = await cli('drain', 'omega', '--node', beta.http);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('no live node "omega"');
    expect(refused.stderr).toMatch(/live: (alpha, beta|beta, alpha)/);
  });

  it('draining again moves nothing more, and its reply is the documented one', async () => {
    const response = await fetch(`${alpha.http}/api/v1/cluster/drain`, { method: 'POST' });
    const body = (await response.json()) as unknown;
    expect(response.status).toBe(200);
    expect(body).toEqual({ node: 'alpha', moved: [], kept: ['default/default/scratch-1'], shards: [] });
    const document = (await (await fetch(`${alpha.http}/api/v1/openapi.json`)).json()) as Record<string, unknown>;
    const pointer = pointerOf('paths', '/api/v1/cluster/drain', 'post', 'responses', '200', 'content', 'application/json', 'schema');
    expect(new SchemaChecker(document).errors(pointer, body)).toEqual([]);
  });
});
