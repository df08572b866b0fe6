import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';

// Two real node processes on one redis-server, each running the same work
// queue application: the SDK actors' channel-* host calls reach one queue in
// Redis, so a job sent by an actor on one node is received, nacked and acked
// by actors on the other.

const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-channels-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let worker: Uint8Array;
let alpha: NodeProcess;
let beta: NodeProcess;

const MANIFEST = `[application]
name = "jobs"
version = "1.0.0"

[supervisor]
strategy = "one_for_one"

[[supervisor.children]]
id = "holder"
type = "worker"
module = "channel_worker.wasm"
restart = "permanent"

[[virtual]]
kind = "worker"
module = "channel_worker.wasm"
idle_timeout_seconds = 3600
`;

beforeAll(async () => {
  redis = await startRedisServer();
  const config = join(dir, 'cluster.toml');
  // A dead node is noticed within the test (3 s: deploying blocks a node's event loop for a while).
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 3000\n`);
  worker = (await buildActor(join(import.meta.dirname, '../fixtures/sdk/channel-worker.ts'))).component;
  const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });
  [alpha, beta] = await Promise.all([start('alpha'), start('beta')]);
  await Promise.all([deploy(alpha), deploy(beta)]);
}, 120_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function deploy(node: NodeProcess): Promise<void> {
  const form = new FormData();
  form.set('application_id', 'jobs');
  form.set('namespace', 'prod');
  form.set('manifest', new File([MANIFEST], 'app-config.toml'));
  form.append('wasm_file', new File([Buffer.from(worker)], 'channel_worker.wasm'));
  const response = await fetch(`${node.http}/api/v1/applications/deploy`, { method: 'POST', body: form });
  expect(response.status, await response.clone().text()).toBe(201);
}

async function ask(node: NodeProcess, actor: string, type: string, payload: unknown = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask?namespace=prod`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: type, payload, namespace: 'prod' }) });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${type} to ${actor}: ${JSON.stringify(body)}`);
  return body;
}

describe('channels across node processes', () => {
  it('jobs sent by an actor on alpha are taken by an actor on beta; a nack on beta is redelivered to alpha', async () => {
    expect(await ask(alpha, 'worker:producer', 'produce', { count: 3 })).toEqual({ sent: 3 });
    expect(await ask(beta, 'worker:b', 'work', { fail: true })).toEqual({ nacked: 0, attempt: 1 });
    expect(await ask(alpha, 'worker:a', 'work')).toEqual({ done: 0, attempt: 2 });
    expect(await ask(beta, 'worker:b', 'work')).toEqual({ done: 1, attempt: 1 });
    expect(await ask(beta, 'worker:b', 'work')).toEqual({ done: 2, attempt: 1 });
    expect(await ask(alpha, 'worker:a', 'work')).toEqual({ idle: true });
  }, 60_000);

  it('a job held by an actor on alpha goes to beta as soon as alpha undeploys the application (the actor exits)', async () => {
    expect(await ask(beta, 'worker:producer', 'produce', { count: 1 })).toEqual({ sent: 1 });
    expect(await ask(alpha, 'holder', 'grab')).toEqual({ grabbed: 0 });
    expect(await ask(beta, 'worker:b', 'work')).toEqual({ idle: true }); // in flight on alpha
    const undeployed = await fetch(`${alpha.http}/api/v1/applications/jobs?namespace=prod`, { method: 'DELETE' });
    expect(undeployed.status, await undeployed.clone().text()).toBe(200);
    expect(await ask(beta, 'worker:b', 'work')).toEqual({ done: 0, attempt: 2 });
  }, 60_000);

  it('a job held on alpha goes to beta when alpha is SIGKILLed and its heartbeat lapses, long before the 30 s visibility timeout', async () => {
    await deploy(alpha);
    expect(await ask(beta, 'worker:producer', 'produce', { count: 1 })).toEqual({ sent: 1 });
    expect(await ask(alpha, 'holder', 'grab')).toEqual({ grabbed: 0 });
    await kill9(alpha.child);
    await expect.poll(() => ask(beta, 'worker:b', 'work'), { timeout: 20_000, interval: 100 }).toEqual({ done: 0, attempt: 2 });
    // Within the poll's 20 s, so not the visibility timeout: the node's departure gave it back.
    expect(beta.out()).toMatch(/channel messages a departed node held came back/);
  }, 60_000);
});
