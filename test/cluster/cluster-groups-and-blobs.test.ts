import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';

// Two real node processes on one redis-server, each running the chat example:
// a member that joined the room's process group on one node gets the posts of
// the room on the other, and leaves the group when its node dies. A blob
// uploaded through one node's HTTP routes is downloaded through the other's.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-groups-'));
const children: ChildProcess[] = [];
const files = new Map<string, Uint8Array>();
let redis: RedisProcess;
let config: string;

beforeAll(async () => {
  redis = await startRedisServer();
  config = join(dir, 'cluster.toml');
  // Short enough that a dead node is noticed within the test, long enough that deploying (compiling
  // components blocks a node's event loop) on a busy machine does not make a live node lapse.
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 3000\n`);
  for (const name of ['chat-room', 'rate-limiter', 'chat-member']) {
    files.set(`${name.replace('-', '_')}.wasm`, (await buildActor(join(root, 'examples/chat', `${name}.ts`))).component);
  }
}, 120_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });

async function deployChat(node: NodeProcess): Promise<void> {
  // The room's posts are the test's probes: a rate limit must not cut them.
  const manifest = readFileSync(join(root, 'examples/chat/app-config.toml'), 'utf8').replace('max_tokens = "5"', 'max_tokens = "100000"');
  const form = new FormData();
  form.set('application_id', 'chat');
  form.set('namespace', 'prod');
  form.set('manifest', new File([manifest], 'app-config.toml'));
  for (const [name, bytes] of files) form.append('wasm_file', new File([Buffer.from(bytes)], name));
  const response = await fetch(`${node.http}/api/v1/applications/deploy`, { method: 'POST', body: form });
  expect(response.status, await response.clone().text()).toBe(201);
}

async function ask(node: NodeProcess, actor: string, type: string, payload: unknown = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask?namespace=prod`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: type, payload, namespace: 'prod' }) });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${type} to ${actor}: ${JSON.stringify(body)}`);
  return body;
}

const inbox = async (node: NodeProcess, member: string) => ((await ask(node, member, 'inbox')).inbox as { text: string }[]).map((m) => m.text);

describe('process groups and blobs across node processes', () => {
  it('a blob put through alpha is listed, downloaded and deleted through beta', async () => {
    const [alpha, beta] = [await start('blob-alpha'), await start('blob-beta')];
    const put = await fetch(`${alpha.http}/api/v1/blobs/acme/prod/reports/2026/q1.csv`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    expect(put.status).toBe(201);
    const got = await fetch(`${beta.http}/api/v1/blobs/acme/prod/reports/2026/q1.csv`);
    expect(got.headers.get('content-type')).toBe('text/csv');
    expect(await got.text()).toBe('a,b\n1,2\n');
    const listed = (await (await fetch(`${beta.http}/api/v1/blobs/acme/prod?prefix=reports/`)).json()) as { blobs: { blobId: string; size: number }[] };
    expect(listed.blobs).toMatchObject([{ blobId: 'reports/2026/q1.csv', size: 8 }]);
    expect(await (await fetch(`${beta.http}/api/v1/blobs/acme/prod/reports/2026/q1.csv`, { method: 'DELETE' })).json()).toEqual({ deleted: true });
    expect((await fetch(`${alpha.http}/api/v1/blobs/acme/prod/reports/2026/q1.csv`)).status).toBe(404);
  }, 60_000);

  it('a post on beta reaches a member on alpha; when alpha is SIGKILLed its member leaves the room for beta', async () => {
    const [alpha, beta] = [await start('alpha'), await start('beta')];
    await Promise.all([deployChat(alpha), deployChat(beta)]);
    expect(await ask(alpha, 'member:alice', 'join', { room: 'lobby' })).toEqual({ joined: 'lobby' });
    expect(await ask(beta, 'member:bob', 'join', { room: 'lobby' })).toEqual({ joined: 'lobby' });

    // beta's room broadcasts to both members: alice through alpha's channel.
    expect(await ask(beta, 'chat-room', 'post', { user: 'bob', text: 'hello from beta' })).toEqual({ delivered: 2 });
    await expect.poll(() => inbox(alpha, 'member:alice'), { timeout: 10_000 }).toEqual(['hello from beta']);
    await expect.poll(() => inbox(beta, 'member:bob'), { timeout: 10_000 }).toEqual(['hello from beta']);
    // And the other way round.
    expect(await ask(alpha, 'chat-room', 'post', { user: 'alice', text: 'hi bob' })).toEqual({ delivered: 2 });
    await expect.poll(() => inbox(beta, 'member:bob'), { timeout: 10_000 }).toEqual(['hello from beta', 'hi bob']);

    // alpha dies without a goodbye: once its heartbeat lapses, beta removes its members.
    await kill9(alpha.child);
    await expect.poll(async () => (await ask(beta, 'chat-room', 'post', { user: 'bob', text: 'anyone?' })).delivered, { timeout: 20_000, interval: 200 }).toBe(1);
  }, 120_000);
});
