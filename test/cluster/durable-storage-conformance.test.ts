import { useRedisTestServers } from '../support/redis-test-servers.js';
import { describe, expect, it } from 'vitest';
import type { DurableStorage } from '../../src/actors/durable-storage.js';
import { sqliteDurableStorage } from '../../src/actors/sqlite-durable-storage.js';
import { openNodeDatabase } from '../../src/coord/node-database.js';
import { connectRedis } from '../../src/cluster/redis-client.js';
import { redisDurableStorage } from '../../src/cluster/redis-coordination/redis-durable-storage.js';

// One contract for durable actors' journals, checkpoints and reminders, on
// three backends: the node's SQLite, one redis-server, and a three-master
// Redis Cluster. With Redis, a second "node" (its own connection, as another
// process would have) reads and continues what the first wrote: that is what
// recovering a durable actor on another node needs.

interface Backend {
  node: DurableStorage;
  /** Another node's view of the same storage (for SQLite: the same database, opened again). */
  other: () => DurableStorage;
}

const servers = useRedisTestServers();
let run = 0;

async function redisBackend(urls: readonly string[]): Promise<Backend> {
  const connect = async () => {
    const client = await connectRedis(urls);
    servers.clients.push(client);
    return redisDurableStorage(client);
  };
  const [node, second] = await Promise.all([connect(), connect()]);
  return { node, other: () => second };
}

const BACKENDS: Record<string, () => Promise<Backend>> = {
  'the node database (SQLite)': async () => {
    const db = openNodeDatabase(null);
    servers.closers.push(() => db.close());
    // A node restarted on the same file: a fresh store that knows nothing but what is stored.
    return { node: sqliteDurableStorage(db), other: () => sqliteDurableStorage(db) };
  },
  'one redis-server': () => redisBackend([servers.redis.url]),
  'Redis Cluster (3 masters)': () => redisBackend(servers.cluster.urls),
};

const bytes = (...values: number[]) => new Uint8Array(values);
const message = (type: string, payload = bytes(0, 255, 7), from = 'client') => ({ type, payload, from });

describe.each(Object.keys(BACKENDS))('durable storage on %s', (name) => {
  // Each test gets actor ids of its own: the Redis backends share one server across tests.
  const fresh = () => `actor-${run++}`;
  const backend = () => BACKENDS[name]();

  it('journal: appends get 1, 2, 3 per actor and read back in order, bytes intact, from another node too', async () => {
    const { node, other } = await backend();
    const a = fresh();
    const b = fresh();
    expect(await node.journal.append(a, message('deposit', bytes(0, 0, 1)))).toBe(1);
    expect(await node.journal.append(a, message('withdraw', bytes(), 'teller'))).toBe(2);
    expect(await node.journal.append(b, message('other'))).toBe(1);
    expect(await node.journal.append(a, message('deposit', bytes(255)))).toBe(3);
    const entries = await other().journal.entriesAfter(a, 0);
    expect(entries).toEqual([
      { seq: 1, type: 'deposit', payload: bytes(0, 0, 1), from: 'client', status: 0, effects: [] },
      { seq: 2, type: 'withdraw', payload: bytes(), from: 'teller', status: 0, effects: [] },
      { seq: 3, type: 'deposit', payload: bytes(255), from: 'client', status: 0, effects: [] },
    ]);
    expect((await other().journal.entriesAfter(a, 2)).map((e) => e.seq)).toEqual([3]);
    expect((await node.journal.entriesAfter(b, 0)).map((e) => e.type)).toEqual(['other']);
    expect(await node.journal.entriesAfter(fresh(), 0)).toEqual([]);
  });

  it('journal: ids that differ only around braces and % are different actors', async () => {
    const { node } = await backend();
    const base = fresh();
    const ids = [base, `${base}}`, `${base}{x}`, `${base}%7D`];
    for (const id of ids) await node.journal.append(id, message(id));
    for (const id of ids) expect((await node.journal.entriesAfter(id, 0)).map((e) => `${e.seq}:${e.type}`)).toEqual([`1:${id}`]);
  });

  it('effects: recorded per message in call order, a re-recorded index replaced; a failed message is marked', async () => {
    const { node, other } = await backend();
    const a = fresh();
    const first = await node.journal.append(a, message('m1'));
    const second = await node.journal.append(a, message('m2'));
    await node.journal.recordEffect(a, first, 1, { op: 7, status: 0, data: bytes(1, 2) });
    await node.journal.recordEffect(a, first, 0, { op: 3, status: 0, data: bytes() });
    await node.journal.recordEffect(a, second, 0, { op: 9, status: 1, data: bytes(9) });
    await node.journal.recordEffect(a, second, 0, { op: 4, status: 0, data: bytes(4) }); // a replay that took another path
    await node.journal.markFailed(a, second);
    const entries = await other().journal.entriesAfter(a, 0);
    expect(entries.map((e) => e.effects)).toEqual([
      [
        { op: 3, status: 0, data: bytes() },
        { op: 7, status: 0, data: bytes(1, 2) },
      ],
      [{ op: 4, status: 0, data: bytes(4) }],
    ]);
    expect(entries.map((e) => e.status)).toEqual([0, 2]);
  });

  it('checkpoints: the latest covers a seq, an older one never replaces it; truncation drops what it covers, seqs are not reused', async () => {
    const { node, other } = await backend();
    const a = fresh();
    expect(await node.checkpoints.latest(a)).toBeUndefined();
    for (let i = 1; i <= 4; i++) {
      const seq = await node.journal.append(a, message(`m${i}`));
      await node.journal.recordEffect(a, seq, 0, { op: 1, status: 0, data: bytes(i) });
    }
    await node.checkpoints.save(a, { seq: 3, state: bytes(3, 0) });
    await node.journal.truncate(a, 3);
    await node.checkpoints.save(a, { seq: 2, state: bytes(2) }); // a late, older snapshot
    expect(await other().checkpoints.latest(a)).toEqual({ seq: 3, state: bytes(3, 0) });
    expect(await other().journal.entriesAfter(a, 0)).toEqual([{ seq: 4, type: 'm4', payload: bytes(0, 255, 7), from: 'client', status: 0, effects: [{ op: 1, status: 0, data: bytes(4) }] }]);
    // Marking a message the checkpoint dropped changes nothing.
    await node.journal.markFailed(a, 2);
    // The next append, from whichever node, continues after every seq handed out.
    expect(await other().journal.append(a, message('m5'))).toBe(5);
    await node.journal.truncate(a, 5);
    await node.checkpoints.save(a, { seq: 5, state: bytes(5) });
    expect(await node.journal.entriesAfter(a, 0)).toEqual([]);
    expect(await other().journal.append(a, message('m6'))).toBe(6);
  });

  it('reminders: put, get, list soonest first, replace, delete; every actor’s in one listing', async () => {
    const { node, other } = await backend();
    const a = fresh();
    const b = fresh();
    await node.reminders.put({ actorId: a, name: 'later', dueAt: 2_000_000_000_000, type: 'wake', payload: bytes(0, 1) });
    await node.reminders.put({ actorId: a, name: 'soon', dueAt: 1_000_000_000_000, periodMs: 500, type: 'beat', payload: bytes() });
    await node.reminders.put({ actorId: b, name: 'soon', dueAt: 1_500_000_000_000, type: 'ping', payload: bytes() });
    expect(await other().reminders.get(a, 'later')).toEqual({ actorId: a, name: 'later', dueAt: 2_000_000_000_000, type: 'wake', payload: bytes(0, 1) });
    expect((await other().reminders.list(a)).map((r) => `${r.name}:${r.periodMs ?? '-'}`)).toEqual(['soon:500', 'later:-']);
    await node.reminders.put({ actorId: a, name: 'later', dueAt: 500_000_000_000, type: 'wake2', payload: bytes() });
    expect((await other().reminders.list(a)).map((r) => `${r.name}:${r.type}`)).toEqual(['later:wake2', 'soon:beat']);
    const everyone = (await other().reminders.list()).filter((r) => r.actorId === a || r.actorId === b);
    expect(everyone.map((r) => `${r.actorId === a ? 'a' : 'b'}:${r.name}`)).toEqual(['a:later', 'a:soon', 'b:soon']);
    expect(await other().reminders.delete(a, 'later')).toBe(true);
    expect(await node.reminders.delete(a, 'later')).toBe(false);
    expect(await node.reminders.get(a, 'later')).toBeUndefined();
    expect(await node.reminders.get(fresh(), 'none')).toBeUndefined();
  });

  it('reminders: of two nodes claiming the same firing one wins; a claim on a stale due time or a cancelled reminder fails', async () => {
    const { node, other } = await backend();
    const a = fresh();
    const dueAt = 1_700_000_000_000;
    await node.reminders.put({ actorId: a, name: 'tick', dueAt, periodMs: 1000, type: 'tick', payload: bytes() });
    const claims = await Promise.all([node.reminders.claim(a, 'tick', dueAt, dueAt + 1000), other().reminders.claim(a, 'tick', dueAt, dueAt + 1000)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await other().reminders.get(a, 'tick'))?.dueAt).toBe(dueAt + 1000);
    expect(await node.reminders.claim(a, 'tick', dueAt, dueAt + 1000)).toBe(false); // that firing is taken
    // A one-shot claim removes it.
    expect(await other().reminders.claim(a, 'tick', dueAt + 1000, null)).toBe(true);
    expect(await node.reminders.get(a, 'tick')).toBeUndefined();
    expect(await node.reminders.claim(a, 'tick', dueAt + 1000, null)).toBe(false);
  });
});
