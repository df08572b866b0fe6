import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/actors/actor-system.js';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisCluster, startRedisServer, type RedisClusterProcess, type RedisProcess } from '../../src/cluster/redis-process.js';
import { eventually, HostOp, probeCall, probeLog, systemWithProbe, text } from '../actors/support.js';

// Two actor systems, as two nodes of a cluster: each its own data directory
// and its own Redis connection. What a durable actor journals and
// checkpoints on node A, node B recovers; its reminders follow it.

const dir = mkdtempSync(join(tmpdir(), 'plex-durable-redis-'));
const scope = { tenant: 'default', namespace: 'default' };
let redis: RedisProcess;
let cluster: RedisClusterProcess;
const clients: RedisClient[] = [];
const systems: ActorSystem[] = [];
let nodes = 0;

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedisServer(), startRedisCluster(3)]);
}, 60_000);
afterAll(async () => {
  for (const system of systems) await system.close().catch(() => undefined);
  for (const client of clients) client.disconnect();
  await Promise.all([redis.stop(), cluster.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A node: an actor system on its own data directory and connection. */
async function node(urls: readonly string[]): Promise<ActorSystem> {
  const client = await connectRedis(urls);
  clients.push(client);
  const system = await systemWithProbe({ workers: 1, dataDir: join(dir, `node-${nodes++}`), cluster: client });
  systems.push(system);
  return system;
}

const durable = (checkpointEvery: number) => ({ facets: [{ name: 'durability', checkpointEvery }] });

describe.each([
  ['one redis-server', () => [redis.url]],
  ['Redis Cluster (3 masters)', () => cluster.urls],
])('durable actors on %s', (_name, urls) => {
  let run = 0;
  const fresh = (what: string) => `${what}-${urls().length}-${run++}`;

  it('an actor stopped on node A comes back on node B with its state; B journals on after A’s seqs', async () => {
    const a = await node(urls());
    const id = fresh('account');
    await a.spawn('probe', { id, ...durable(3) });
    for (let i = 0; i < 5; i++) await a.ask(id, 'inc');
    await a.close(); // graceful: a last checkpoint covers all five

    const b = await node(urls());
    expect((await b.journal.latestCheckpoint(id))?.state).toEqual(new TextEncoder().encode('5'));
    await b.spawn('probe', { id, ...durable(3) });
    expect(text(await b.ask(id, 'inc'))).toBe('6');
    expect((await b.journal.entriesAfter(id, 0)).map((e) => e.seq)).toEqual([6]);
  });

  it('an actor that dies on node A without a checkpoint is rebuilt on node B from the journal, its side effects not repeated', async () => {
    const a = await node(urls());
    const id = fresh('counter');
    const key = fresh('effect');
    await a.spawn('probe', { id, ...durable(1000) });
    for (let i = 0; i < 3; i++) await a.ask(id, 'inc');
    expect(await probeCall(a, id, HostOp.KvPut, `${key}\n\nfrom the actor`)).toBe('ok');
    await a.ask(id, 'inc');
    await a.kill(id, 'node lost'); // no checkpoint: everything is in the journal only
    expect(await a.journal.latestCheckpoint(id)).toBeUndefined();
    await a.coordination.kv.put(scope, key, 'changed later by someone else');

    const b = await node(urls());
    await b.spawn('probe', { id, ...durable(1000) });
    expect(text(await b.ask(id, 'get'))).toBe('4');
    // The replayed kv-put was answered from the journal: B did not write it again.
    expect(await b.coordination.kv.get(scope, key)).toBe('changed later by someone else');
  });

  it('a reminder registered on node A fires on node B, where its actor starts after A is gone', async () => {
    const a = await node(urls());
    const id = fresh('sleeper');
    await a.spawn('probe', { id, ...durable(1000) });
    await a.timers.remind(id, 'wake-up', { delayMs: 300, type: 'wake', payload: 'from A' });
    await a.close(); // before it is due

    const b = await node(urls());
    expect((await b.timers.reminders(id)).map((r) => r.name)).toEqual(['wake-up']);
    await b.spawn('probe', { id, ...durable(1000) });
    await eventually(async () => (await probeLog(b, id)).some(([type]) => type === 'wake'));
    expect((await probeLog(b, id)).filter(([type]) => type === 'wake')).toEqual([['wake', 'from A']]);
    expect(await b.timers.reminders(id)).toEqual([]); // a one-shot: done
  });
});

describe('durable actors when Redis is down', () => {
  it('a message the journal cannot take is refused before the actor sees it (PLEX_ERR_BACKEND_UNAVAILABLE)', async () => {
    const own = await startRedisServer();
    try {
      const a = await node([own.url]);
      const id = 'refused-while-down';
      await a.spawn('probe', { id, ...durable(1000) });
      expect(text(await a.ask(id, 'inc'))).toBe('1');
      await own.kill9();
      await expect(a.ask(id, 'inc')).rejects.toMatchObject({ code: 'PLEX_ERR_BACKEND_UNAVAILABLE' });
      // The actor never saw it: its state is still 1 (read without the journal, straight from the runtime).
      expect(text(await a.runtime.getState(id))).toBe('1');
    } finally {
      await own.stop().catch(() => undefined);
    }
  });
});
