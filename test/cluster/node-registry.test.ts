import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeRegistry, type MembershipEvent } from '../../src/cluster/node-registry.js';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { ErrorCode } from '../../src/errors.js';

let redis: RedisProcess;
const clients: RedisClient[] = [];
beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'always' });
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis.stop();
});

async function client(): Promise<RedisClient> {
  const c = await connectRedis([redis.url]);
  clients.push(c);
  return c;
}

const self = (id: string) => ({ id, addresses: { http: `http://127.0.0.1/${id}` }, workers: 2, labels: { zone: id.endsWith('1') ? 'a' : 'b' }, version: '0.1.0', startedAt: new Date().toISOString() });

function recorder(registry: NodeRegistry): MembershipEvent[] {
  const events: MembershipEvent[] = [];
  registry.onChange((e) => events.push(e));
  return events;
}

describe('the node registry on Redis', () => {
  it('every node sees every join; a goodbye and a lapsed heartbeat are both a leave, seen by all', async () => {
    const ttl = { ttlMs: 600, heartbeatMs: 150 };
    const a = await NodeRegistry.join(await client(), self('n1'), ttl);
    const seenByA = recorder(a);
    const b = await NodeRegistry.join(await client(), self('n2'), ttl);
    const c = await NodeRegistry.join(await client(), self('n3'), ttl);
    const ids = (r: NodeRegistry) => r.nodes().map((n) => n.id).sort();
    for (const r of [a, b, c]) await expect.poll(() => ids(r), { timeout: 5_000 }).toEqual(['n1', 'n2', 'n3']);
    expect(b.nodes()[0]).toMatchObject({ id: 'n2', workers: 2, labels: { zone: 'b' }, addresses: { http: 'http://127.0.0.1/n2' } });
    expect(seenByA.filter((e) => e.type === 'join').map((e) => e.node.id).sort()).toEqual(['n2', 'n3']);

    await b.leave();
    for (const r of [a, c]) await expect.poll(() => ids(r), { timeout: 5_000 }).toEqual(['n1', 'n3']);
    expect(seenByA.find((e) => e.type === 'leave' && e.node.id === 'n2')).toMatchObject({ reason: 'left' });

    c.abandon(); // as a SIGKILL would: no goodbye
    await expect.poll(() => ids(a), { timeout: 5_000 }).toEqual(['n1']);
    expect(seenByA.find((e) => e.type === 'leave' && e.node.id === 'n3')).toMatchObject({ reason: 'heartbeat-lapsed' });
    // Exactly one leave per node, however many nodes reap.
    expect(seenByA.filter((e) => e.type === 'leave').length).toBe(2);
    await a.leave();
  }, 30_000);

  it('a second live process under the same id is refused; once the first has lapsed, the id is taken over', async () => {
    const ttl = { ttlMs: 400, heartbeatMs: 100 };
    const first = await NodeRegistry.join(await client(), self('twin'), ttl);
    await expect(NodeRegistry.join(await client(), self('twin'), ttl)).rejects.toMatchObject({ code: ErrorCode.Usage, message: expect.stringMatching(/node id twin is in use by a live node/) });
    first.abandon();
    await new Promise((r) => setTimeout(r, 500));
    const second = await NodeRegistry.join(await client(), self('twin'), ttl);
    expect(second.nodes().find((n) => n.id === 'twin')?.incarnation).toBe(second.self.incarnation);
    await second.leave();
  }, 30_000);

  it('a node reaped while alive registers again at its next beat and is told it rejoined', async () => {
    const ttl = { ttlMs: 600, heartbeatMs: 150 };
    const c = await client();
    const a = await NodeRegistry.join(c, self('r1'), ttl);
    let rejoined = 0;
    a.onRejoin(() => rejoined++);
    // What another node's reap does once a long pause let the heartbeat lapse.
    await c.zrem('{plex:nodes}:members', 'r1');
    await c.del('{plex:nodes}:info:r1');
    await expect.poll(() => rejoined, { timeout: 5_000 }).toBe(1);
    expect((await a.refresh()).find((n) => n.id === 'r1')?.incarnation).toBe(a.self.incarnation);
    await a.leave();
  }, 30_000);

  it('rejects a bad id and a heartbeat that is not shorter than the TTL', async () => {
    const c = await client();
    await expect(NodeRegistry.join(c, self('bad id!'))).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(NodeRegistry.join(c, self('n9'), { ttlMs: 1000, heartbeatMs: 1000 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });

  it('keeps its view while Redis is down, and joins again when Redis is back', async () => {
    const ttl = { ttlMs: 600, heartbeatMs: 150 };
    const a = await NodeRegistry.join(await client(), self('s1'), ttl);
    const b = await NodeRegistry.join(await client(), self('s2'), ttl);
    await expect.poll(() => a.nodes().length, { timeout: 5_000 }).toBe(2);
    await redis.kill9();
    await expect.poll(() => a.backendError?.message ?? '', { timeout: 5_000 }).toMatch(/unavailable/);
    expect(a.nodes().map((n) => n.id)).toEqual(['s1', 's2']); // the last view stays
    redis = await redis.restart();
    // Both beat again: after the outage (longer than the TTL) each joins anew and sees the other.
    await expect.poll(() => a.backendError, { timeout: 10_000 }).toBeUndefined();
    await expect.poll(() => b.nodes().map((n) => n.id), { timeout: 10_000 }).toEqual(['s2', 's1']);
    await a.leave();
    await b.leave();
  }, 30_000);
});
