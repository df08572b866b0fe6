import { useRedisTestServers } from '../support/redis-test-servers.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { localBlobs, type BlobService } from '../../src/coord/blob-service.js';
import { BlobStore } from '../../src/coord/blob-store.js';
import { localGroups, type GroupService } from '../../src/coord/group-service.js';
import { ProcessGroups, type GroupDelivery } from '../../src/coord/process-groups.js';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { RedisBlobs } from '../../src/cluster/redis-coordination/redis-blobs.js';
import { RedisProcessGroups } from '../../src/cluster/redis-coordination/redis-groups.js';
import { startRedisServer } from '../../src/cluster/redis-process.js';

// One contract, three backends: in process, one redis-server, and a
// three-master Redis Cluster. With Redis, nodes A and B have connections of
// their own (as two processes would) and identities of their own: a member
// joined on A lives on A, and a broadcast from B reaches it through A's
// delivery callback.

interface NodeView {
  groups: GroupService;
  blobs: BlobService;
  /** What this node's GroupDelivery was handed: `member<-from:type:payload`. */
  delivered: string[];
}

interface Backend {
  a: NodeView;
  /** Another node's view of the same state (in process: the same objects). */
  b: NodeView;
}

const acme = { tenant: 'acme', namespace: 'prod' };
const globex = { tenant: 'globex', namespace: 'prod' };
const MAX_BLOB = 64;
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const servers = useRedisTestServers();
let run = 0;

function recorder(): { delivered: string[]; deliver: GroupDelivery } {
  const delivered: string[] = [];
  return { delivered, deliver: (member, type, payload, from) => delivered.push(`${member}<-${from}:${type}:${text(payload)}`) };
}

async function redisNode(urls: readonly string[], id: string, incarnation = 'first'): Promise<NodeView & { client: RedisClient }> {
  const client = await connectRedis(urls);
  servers.clients.push(client);
  const { delivered, deliver } = recorder();
  const groups = new RedisProcessGroups(client, { id, incarnation }, deliver);
  servers.closers.push(() => groups.close());
  return { client, groups, blobs: new RedisBlobs(client, { maxBlobBytes: MAX_BLOB }), delivered };
}

const REDIS: Record<string, () => readonly string[]> = {
  'one redis-server': () => [servers.redis.url],
  'Redis Cluster (3 masters)': () => servers.cluster.urls,
};

const BACKENDS: Record<string, () => Promise<Backend>> = {
  'in process': async () => {
    const { delivered, deliver } = recorder();
    const view = { groups: localGroups(new ProcessGroups(deliver)), blobs: localBlobs(new BlobStore(null, { maxBlobBytes: MAX_BLOB })), delivered };
    return { a: view, b: view };
  },
  ...Object.fromEntries(
    Object.entries(REDIS).map(([name, urls]) => [
      name,
      async () => {
        const n = run++;
        const [a, b] = await Promise.all([redisNode(urls(), `node-a-${n}`), redisNode(urls(), `node-b-${n}`)]);
        return { a, b };
      },
    ]),
  ),
};

describe.each(Object.keys(BACKENDS))('process groups and blobs on %s', (name) => {
  // Each test gets names of its own: the Redis backends share one server across tests.
  const fresh = () => `g${run++}`;
  const backend = () => BACKENDS[name]();

  it('groups: members joined on A are seen on B in join order, with topics, per scope', async () => {
    const { a, b } = await backend();
    const room = fresh();
    await a.groups.join(acme, room, 'alice');
    await b.groups.join(acme, room, 'bob', ['sports']);
    await a.groups.join(acme, room, 'alice', ['news']); // a second join keeps alice's place and adds a topic
    await a.groups.join(globex, room, 'mallory');
    expect(await b.groups.members(acme, room)).toEqual(['alice', 'bob']);
    expect(await b.groups.subscribers(acme, room, 'news')).toEqual(['alice']);
    expect(await a.groups.subscribers(acme, room, 'sports')).toEqual(['bob']);
    await b.groups.subscribe(acme, room, 'alice', 'sports');
    expect(await a.groups.subscribers(acme, room, 'sports')).toEqual(['alice', 'bob']);
    expect(await a.groups.unsubscribe(acme, room, 'alice', 'sports')).toBe(true);
    expect(await a.groups.unsubscribe(acme, room, 'alice', 'sports')).toBe(false);
    await expect(b.groups.subscribe(acme, room, 'carol', 'sports')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(await b.groups.members(globex, room)).toEqual(['mallory']);
    expect(await b.groups.list(globex)).toContain(room);
  });

  it('groups: a broadcast from B reaches the members on A through A’s delivery, a publish only the topic’s subscribers', async () => {
    const { a, b } = await backend();
    const room = fresh();
    await a.groups.join(acme, room, 'alice');
    await a.groups.join(acme, room, 'amy', ['sports']);
    await b.groups.join(acme, room, 'bob', ['sports']);
    expect(await b.groups.broadcast(acme, room, 'say', bytes('hi\nthere'), 'bob')).toBe(3);
    await expect.poll(() => [...a.delivered].sort()).toEqual(expect.arrayContaining(['alice<-bob:say:hi\nthere', 'amy<-bob:say:hi\nthere']));
    expect(b.delivered).toContain('bob<-bob:say:hi\nthere');
    a.delivered.length = 0;
    b.delivered.length = 0;
    expect(await b.groups.publish(acme, room, 'sports', 'score', bytes('1-0'))).toBe(2);
    await expect.poll(() => a.delivered).toContain('amy<-:score:1-0');
    expect(b.delivered).toContain('bob<-:score:1-0');
    expect([...a.delivered, ...b.delivered].filter((d) => d.startsWith('alice'))).toEqual([]);
    expect(await a.groups.broadcast(acme, fresh(), 'say', bytes('nobody'))).toBe(0);
  });

  it('groups: leaveAll removes an exited actor from every group in every scope; an empty group disappears', async () => {
    const { a, b } = await backend();
    const [one, two] = [fresh(), fresh()];
    await a.groups.join(acme, one, 'x', ['t']);
    await a.groups.join(acme, two, 'x');
    await a.groups.join(globex, one, 'x');
    await b.groups.join(acme, one, 'y');
    expect(await a.groups.leaveAll('x')).toBe(3);
    expect(await b.groups.members(acme, one)).toEqual(['y']);
    expect(await b.groups.subscribers(acme, one, 't')).toEqual([]);
    expect(await b.groups.list(acme)).not.toContain(two);
    expect(await b.groups.list(globex)).not.toContain(one);
    expect(await a.groups.leave(acme, one, 'x')).toBe(false);
    expect(await b.groups.leave(acme, one, 'y')).toBe(true);
    expect(await a.groups.list(acme)).not.toContain(one);
  });

  it('groups: bad names and scopes are the same typed errors and join nothing', async () => {
    const { a } = await backend();
    const room = fresh();
    await expect(a.groups.join(acme, '', 'm')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.groups.join(acme, room, 'x'.repeat(257))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.groups.join(acme, room, 'm', [''])).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.groups.join({ tenant: '../x', namespace: 'p' }, room, 'm')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.groups.publish(acme, room, '', 'type', bytes('x'))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(await a.groups.members(acme, room)).toEqual([]);
  });

  it('blobs: put on A, get and head on B with content type and SHA-256; list by prefix in id order; delete', async () => {
    const { a, b } = await backend();
    const p = fresh();
    const info = await a.blobs.put(acme, `${p}/reports/q1.csv`, 'a,b\n1,2\n', 'text/csv');
    expect(info).toMatchObject({ blobId: `${p}/reports/q1.csv`, size: 8, contentType: 'text/csv', sha256: createHash('sha256').update('a,b\n1,2\n').digest('hex') });
    const got = await b.blobs.get(acme, `${p}/reports/q1.csv`);
    expect(text(got.data)).toBe('a,b\n1,2\n');
    expect(got.info).toEqual(info);
    expect(await b.blobs.head(acme, `${p}/reports/q1.csv`)).toEqual(info);
    const binary = new Uint8Array([0, 255, 10, 13, 128]);
    await b.blobs.put(acme, `${p}/reports/q2.bin`, binary);
    await b.blobs.put(acme, `${p}/empty`, new Uint8Array(0), 'text/plain');
    await a.blobs.put(acme, `${p}x`, 'not under the prefix');
    expect(Array.from((await a.blobs.get(acme, `${p}/reports/q2.bin`)).data)).toEqual(Array.from(binary));
    expect((await a.blobs.get(acme, `${p}/reports/q2.bin`)).info.contentType).toBe('application/octet-stream');
    expect((await a.blobs.get(acme, `${p}/empty`)).data.byteLength).toBe(0);
    expect((await a.blobs.list(acme, `${p}/`)).map((i) => i.blobId)).toEqual([`${p}/empty`, `${p}/reports/q1.csv`, `${p}/reports/q2.bin`]);
    expect((await b.blobs.list(acme, `${p}/reports/`)).map((i) => i.size)).toEqual([8, 5]);
    await expect(b.blobs.get(globex, `${p}/reports/q1.csv`)).rejects.toMatchObject({ code: 'PLEX_ERR_NOT_FOUND' });
    // A put replaces the blob whole.
    await a.blobs.put(acme, `${p}/empty`, 'now full', 'text/plain');
    expect(text((await b.blobs.get(acme, `${p}/empty`)).data)).toBe('now full');
    expect(await b.blobs.delete(acme, `${p}/empty`)).toBe(true);
    expect(await a.blobs.delete(acme, `${p}/empty`)).toBe(false);
    await expect(a.blobs.head(acme, `${p}/empty`)).rejects.toMatchObject({ code: 'PLEX_ERR_NOT_FOUND' });
    expect((await a.blobs.list(acme, `${p}/`)).map((i) => i.blobId)).toEqual([`${p}/reports/q1.csv`, `${p}/reports/q2.bin`]);
  });

  it('blobs: oversize blobs, bad ids, content types and scopes are refused and store nothing', async () => {
    const { a, b } = await backend();
    const p = fresh();
    expect(a.blobs.maxBlobBytes).toBe(MAX_BLOB);
    await expect(a.blobs.put(acme, `${p}/big`, 'x'.repeat(MAX_BLOB + 1))).rejects.toMatchObject({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' });
    await expect(a.blobs.put(acme, `${p}/bad`, 'x', 'not a type')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.blobs.put(acme, '', 'x')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.blobs.put(acme, 'x'.repeat(513), 'x')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.blobs.put(acme, `${p}/n`, 42 as unknown as string)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.blobs.put({ tenant: '..', namespace: 'x' }, `${p}/s`, 'x')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.blobs.get(acme, '')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await a.blobs.put(acme, `${p}/fits`, 'x'.repeat(MAX_BLOB));
    expect((await b.blobs.list(acme, `${p}/`)).map((i) => i.blobId)).toEqual([`${p}/fits`]);
  });
});

describe.each(Object.keys(REDIS))('process groups on %s when a node dies', (name) => {
  const urls = () => REDIS[name]();

  it('nodeLeft on any node removes exactly that node incarnation’s members; running it again removes nothing', async () => {
    const n = run++;
    const [a, b] = await Promise.all([redisNode(urls(), `dying-${n}`), redisNode(urls(), `survivor-${n}`)]);
    const room = `room-${n}`;
    await a.groups.join(acme, room, 'acme/prod/on-a', ['news']);
    await a.groups.join(globex, room, 'globex/prod/on-a');
    await b.groups.join(acme, room, 'acme/prod/on-b');
    // An actor that moved: joined on A first, then on B (activated there after A was gone).
    await a.groups.join(acme, room, 'acme/prod/moved');
    await b.groups.join(acme, room, 'acme/prod/moved');
    expect(await b.groups.nodeLeft(`dying-${n}`, 'some other incarnation')).toBe(0);
    expect(await b.groups.members(acme, room)).toEqual(['acme/prod/on-a', 'acme/prod/on-b', 'acme/prod/moved']);
    expect(await b.groups.nodeLeft(`dying-${n}`, 'first')).toBe(2);
    expect(await b.groups.members(acme, room)).toEqual(['acme/prod/on-b', 'acme/prod/moved']);
    expect(await b.groups.subscribers(acme, room, 'news')).toEqual([]);
    expect(await b.groups.list(globex)).not.toContain(room);
    // Every node that saw the leave runs it: the second finds nothing left.
    expect(await a.groups.nodeLeft(`dying-${n}`, 'first')).toBe(0);
    expect(await b.client.smembers(`{plex:pg-node:dying-${n}}:members`)).toEqual([]);
    // The moved member is B's: a broadcast reaches it there.
    expect(await a.groups.broadcast(acme, room, 'ping', bytes('?'))).toBe(2);
    expect(a.delivered).toEqual([]);
    await expect.poll(() => [...b.delivered].sort()).toEqual(['acme/prod/moved<-:ping:?', 'acme/prod/on-b<-:ping:?']);
  });

  it('a node declared dead while alive records its live actors’ memberships again, with their topics, when it rejoins', async () => {
    const n = run++;
    const [a, b] = await Promise.all([redisNode(urls(), `paused-${n}`), redisNode(urls(), `other-${n}`)]);
    const room = `room-${n}`;
    await a.groups.join(acme, room, 'acme/prod/x', ['news']);
    await a.groups.join(acme, room, 'acme/prod/y');
    await a.groups.subscribe(acme, room, 'acme/prod/y', 'sports');
    await a.groups.join(acme, room, 'acme/prod/gone');
    await a.groups.leave(acme, room, 'acme/prod/gone');
    // Its heartbeat lapsed (a long pause): the other node saw it leave.
    expect(await b.groups.nodeLeft(`paused-${n}`, 'first')).toBe(2);
    expect(await b.groups.members(acme, room)).toEqual([]);
    expect(await a.groups.rejoinedCluster()).toBe(2);
    expect(await b.groups.members(acme, room)).toEqual(['acme/prod/x', 'acme/prod/y']);
    expect(await b.groups.subscribers(acme, room, 'news')).toEqual(['acme/prod/x']);
    expect(await b.groups.subscribers(acme, room, 'sports')).toEqual(['acme/prod/y']);
    expect(await b.groups.publish(acme, room, 'sports', 'goal', bytes('1-0'))).toBe(1);
    await expect.poll(() => a.delivered).toEqual(['acme/prod/y<-:goal:1-0']);
    // Filed in its index again: a real death later still removes them.
    expect(await b.groups.nodeLeft(`paused-${n}`, 'first')).toBe(2);
  });

  it('a node restarted under the same id removes what its earlier incarnation left; messages for that incarnation are not delivered to the new one', async () => {
    const n = run++;
    const id = `phoenix-${n}`;
    const room = `room-${n}`;
    const [before, other] = await Promise.all([redisNode(urls(), id, 'before'), redisNode(urls(), `watcher-${n}`)]);
    await before.groups.join(acme, room, 'acme/prod/old-actor');
    // It crashes (nobody runs nodeLeft) and starts again with a new incarnation, whose actor joins before the cleanup runs.
    const after = await redisNode(urls(), id, 'after');
    await after.groups.join(acme, room, 'acme/prod/new-actor');
    before.groups.close();
    expect(await other.groups.broadcast(acme, room, 'hello', bytes('1'))).toBe(2);
    await expect.poll(() => after.delivered).toEqual(['acme/prod/new-actor<-:hello:1']);
    expect(await after.groups.joinedCluster()).toBe(1);
    expect(await other.groups.members(acme, room)).toEqual(['acme/prod/new-actor']);
    expect(await after.groups.joinedCluster()).toBe(0);
  });
});

describe('process groups and blobs when Redis is down', () => {
  it('every operation fails with PLEX_ERR_BACKEND_UNAVAILABLE', async () => {
    const server = await startRedisServer();
    try {
      const node = await redisNode([server.url], `lonely-${run++}`);
      await node.groups.join(acme, 'room', 'm');
      await node.blobs.put(acme, 'b', 'x');
      await server.kill9();
      const down = { code: 'PLEX_ERR_BACKEND_UNAVAILABLE' };
      await expect(node.groups.join(acme, 'room', 'n')).rejects.toMatchObject(down);
      await expect(node.groups.members(acme, 'room')).rejects.toMatchObject(down);
      await expect(node.groups.broadcast(acme, 'room', 't', bytes('x'))).rejects.toMatchObject(down);
      await expect(node.groups.leave(acme, 'room', 'm')).rejects.toMatchObject(down);
      await expect(node.groups.nodeLeft('gone', 'x')).rejects.toMatchObject(down);
      await expect(node.blobs.put(acme, 'b', 'y')).rejects.toMatchObject(down);
      await expect(node.blobs.get(acme, 'b')).rejects.toMatchObject(down);
      await expect(node.blobs.list(acme)).rejects.toMatchObject(down);
      await expect(node.blobs.delete(acme, 'b')).rejects.toMatchObject(down);
    } finally {
      await server.stop();
    }
  }, 30_000);
});
