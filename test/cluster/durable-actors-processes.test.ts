import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';

// Real node processes joined through one redis-server: a durable counter
// counts on node A, A is SIGKILLed, and node B — another data directory,
// nothing on its disk — carries on from what A journaled in Redis.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-durable-processes-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let config: string;
let counter: Uint8Array;

beforeAll(async () => {
  [redis, { component: counter }] = await Promise.all([startRedisServer(), buildActor(join(root, 'test/fixtures/sdk/article-counter.ts'))]);
  config = join(dir, 'cluster.toml');
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\n`);
}, 120_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });

async function deployCounter(node: NodeProcess): Promise<void> {
  const form = new FormData();
  form.set('namespace', 'default');
  form.set('actor_type', 'counter');
  form.set('wasm', new Blob([Buffer.from(counter)]), 'actor.wasm');
  const response = await fetch(`${node.http}/api/v1/deploy`, { method: 'POST', body: form });
  expect(response.status, await response.clone().text()).toBe(201);
  expect(await response.json()).toMatchObject({ durable: true });
}

async function call(node: NodeProcess, action: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${node.http}/api/v1/actors/default/default/counter?invocation=call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action }) });
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('durable actors across node processes on Redis', () => {
  it('a counter SIGKILLed with node A counts on from node B, which shares only the Redis', async () => {
    const a = await start('alpha');
    await deployCounter(a);
    for (let i = 0; i < 3; i++) await call(a, 'increment');
    expect(await call(a, 'get')).toMatchObject({ count: 3 });
    await kill9(a.child); // no checkpoint on the way out: B rebuilds from the journal

    const b = await start('beta');
    await deployCounter(b); // applications are each node's own; the actor's journal is the cluster's
    expect(await call(b, 'get')).toMatchObject({ count: 3 });
    expect(await call(b, 'increment')).toMatchObject({ count: 4 });
    await kill9(b.child);
  }, 120_000);
});
