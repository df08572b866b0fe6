import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';

// Real node processes started with `--cluster`: the tuple spaces every
// surface reaches are the cluster's, in a real redis-server, unless the
// configuration keeps a space on its node.

const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-spaces-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let config: string;
let a: NodeProcess;
let b: NodeProcess;
let c: NodeProcess;

beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'always' });
  config = join(dir, 'cluster.toml');
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 900\nnode_spaces = ["acme/*/scratch"]\n`);
  const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });
  [a, b, c] = await Promise.all([start('alpha'), start('beta'), start('gamma')]);
}, 60_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function ts(node: NodeProcess, space: string, op: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${node.http}/api/v1/tuplespace/acme/jobs/${space}/${op}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('tuple spaces shared by the nodes of a cluster', () => {
  it('says at start where spaces live', () => {
    expect(a.out()).toMatch(/shared spaces: in the cluster's Redis \(every space; kept on the node: acme\/\*\/scratch\)/);
  });

  it('a take blocked on one node is served by a write on another, once; a third reads what a second wrote', async () => {
    const blocked = ts(a, 'queue', 'take', { template: ['job', null], timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300)); // alpha's take filed in Redis first
    const second = ts(c, 'queue', 'take', { template: ['job', null], timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300)); // then gamma's, both before the write
    expect((await ts(b, 'queue', 'write', { tuple: ['job', 1] })).status).toBe(201);
    expect((await ts(b, 'queue', 'write', { tuple: ['job', 2] })).status).toBe(201);
    const got = [(await blocked).body.tuple, (await second).body.tuple];
    expect(got).toEqual([['job', 1], ['job', 2]]); // arrival order across nodes: alpha filed first
    await ts(b, 'queue', 'write-all', { tuples: [['result', 'x', 1], ['result', 'y', 2]] });
    expect((await ts(c, 'queue', 'read', { template: ['result', 'y', null] })).body.tuple).toEqual(['result', 'y', 2]);
    expect((await ts(a, 'queue', 'count', { template: ['result', null, null] })).body.count).toBe(2);
    expect((await ts(a, 'queue', 'take-all', { template: ['result', null, null] })).body.tuples).toEqual([['result', 'x', 1], ['result', 'y', 2]]);
    expect((await ts(c, 'queue', 'count', { template: ['result', null, null] })).body.count).toBe(0);
  });

  it('a crash-safe take on one node is invisible to the others until nacked', async () => {
    await ts(a, 'work', 'write', { tuple: ['task', 7] });
    const held = await ts(b, 'work', 'take-with-ack', { template: ['task', null], leaseMs: 30_000 });
    expect(held.body).toMatchObject({ tuple: ['task', 7], deliveryId: expect.any(String) });
    expect((await ts(c, 'work', 'take', { template: ['task', null], timeoutMs: 0 })).body.tuple).toBeNull();
    const waiting = ts(c, 'work', 'take', { template: ['task', null], timeoutMs: 20_000 });
    const nack = await fetch(`${b.http}/api/v1/tuplespace/acme/jobs/deliveries/nack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deliveryId: held.body.deliveryId }) });
    expect(nack.status).toBe(200);
    expect((await waiting).body.tuple).toEqual(['task', 7]);
  });

  it('a delivery taken through one node is acked or nacked through any other, once, by its own tenant only', async () => {
    const settle = (node: NodeProcess, outcome: string, deliveryId: unknown, tenant = 'acme') =>
      fetch(`${node.http}/api/v1/tuplespace/${tenant}/jobs/deliveries/${outcome}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deliveryId }) });
    await ts(a, 'lb', 'write-all', { tuples: [['t', 1], ['t', 2]] });
    const first = await ts(b, 'lb', 'take-with-ack', { template: ['t', null], leaseMs: 30_000 });
    expect((await settle(a, 'ack', first.body.deliveryId, 'globex')).status).toBe(400); // another tenant: as unknown as a made-up id
    expect((await settle(c, 'ack', first.body.deliveryId)).status).toBe(200);
    expect((await settle(a, 'ack', first.body.deliveryId)).status).toBe(400); // settled once
    expect((await settle(b, 'ack', first.body.deliveryId)).status).toBe(410); // on the node that took it: its lease is over for it (PLEX_ERR_LEASE_EXPIRED)
    const second = await ts(c, 'lb', 'take-with-ack', { template: ['t', null], leaseMs: 30_000 });
    expect(second.body.tuple).toEqual(['t', 2]);
    expect((await settle(a, 'nack', second.body.deliveryId)).status).toBe(200);
    expect((await ts(b, 'lb', 'take', { template: ['t', null], timeoutMs: 0 })).body.tuple).toEqual(['t', 2]); // back after the nack
    expect((await ts(a, 'lb', 'count', { template: ['t', null] })).body.count).toBe(0);
    expect((await settle(a, 'ack', 'no-such-delivery')).status).toBe(400);
  });

  it('a space the configuration keeps on the node is not shared', async () => {
    await ts(a, 'scratch', 'write', { tuple: ['mine', 'alpha'] });
    expect((await ts(b, 'scratch', 'count', { template: ['mine', null] })).body.count).toBe(0);
    expect((await ts(a, 'scratch', 'count', { template: ['mine', null] })).body.count).toBe(1);
  });

  it('bad input on a shared space gets the same typed error and changes nothing', async () => {
    for (const [op, body] of [
      ['write', { tuple: 'not a tuple' }],
      ['write', { tuple: [] }],
      ['write-all', { tuples: [['ok', 1], 'bad'] }],
      ['take', { template: [{ $gt: [1] }], timeoutMs: 0 }],
      ['read', { template: ['x'], timeoutMs: -1 }],
    ] as const) {
      const shared = await ts(b, 'queue', op, body);
      const local = await ts(b, 'scratch', op, body); // the node's own space answers the same
      expect(shared.status, `${op} ${JSON.stringify(body)}`).toBe(400);
      expect(shared.body).toEqual(local.body);
    }
    expect((await ts(c, 'queue', 'count', { template: ['ok', null] })).body.count).toBe(0); // the batch was refused whole
  });

  it('Redis down: shared spaces fail fast with PLEX_ERR_BACKEND_UNAVAILABLE, node spaces keep serving, and the node reconnects by itself', async () => {
    await ts(a, 'durable', 'write', { tuple: ['kept', 1] }); // acknowledged with appendfsync always
    await redis.kill9();
    const down = await ts(a, 'durable', 'write', { tuple: ['lost?', 1] });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ error: { code: 'PLEX_ERR_BACKEND_UNAVAILABLE' } });
    const blockedDown = await ts(b, 'durable', 'take', { template: ['kept', null], timeoutMs: 5_000 });
    expect(blockedDown.status).toBe(503);
    // The node's own space is untouched by the outage.
    expect((await ts(a, 'scratch', 'write', { tuple: ['mine', 'during'] })).status).toBe(201);
    expect((await ts(a, 'scratch', 'count', { template: ['mine', null] })).body.count).toBe(2);
    expect((await (await fetch(`${a.http}/api/v1/health`)).json())).toEqual({ status: 'ok' });

    redis = await redis.restart();
    // Each node reconnects on its own schedule: every one serves the shared space again before it is used.
    for (const node of [c, b, a]) await expect.poll(async () => (await ts(node, 'durable', 'count', { template: ['kept', null] })).status, { timeout: 20_000 }).toBe(200);
    expect((await ts(c, 'durable', 'take', { template: ['kept', null], timeoutMs: 0 })).body.tuple).toEqual(['kept', 1]);
    expect((await ts(b, 'durable', 'count', { template: ['lost?', null] })).body.count).toBe(0); // the failed write did not happen
    // Blocking works again across nodes after the reconnect.
    const blocked = ts(a, 'durable', 'take', { template: ['after', null], timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ts(b, 'durable', 'write', { tuple: ['after', 1] });
    expect((await blocked).body.tuple).toEqual(['after', 1]);
  }, 60_000);
});
