import { useRedisTestServers } from '../support/redis-test-servers.js';
import { describe, expect, it } from 'vitest';
import { localChannels, type ChannelService } from '../../src/coord/channel-service.js';
import { Channels } from '../../src/coord/channels.js';
import type { QueueDelivery } from '../../src/coord/queue-channel.js';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { releaseProcessQueueDeliveries } from '../../src/cluster/redis-coordination/process-queues.js';
import { RedisChannels } from '../../src/cluster/redis-coordination/redis-channels.js';
import { startRedisServer } from '../../src/cluster/redis-process.js';

// One channel contract, three backends: the node's in-process channels, one
// redis-server, and a three-master Redis Cluster. With Redis, two "nodes"
// (two connections and two RedisChannels, as two node processes would have)
// share the queues and topics: what one sends, the other receives.

interface Backend {
  a: ChannelService;
  /** A second node's view (in process: the same service). */
  b: ChannelService;
}

const acme = { tenant: 'acme', namespace: 'prod' };
const globex = { tenant: 'globex', namespace: 'prod' };
const servers = useRedisTestServers();
let run = 0;

async function redisBackend(urls: readonly string[]): Promise<Backend> {
  const node = async () => {
    const client = await connectRedis(urls);
    servers.clients.push(client);
    const channels = new RedisChannels(client);
    servers.closers.push(() => channels.close());
    return channels;
  };
  const [a, b] = await Promise.all([node(), node()]);
  return { a, b };
}

const BACKENDS: Record<string, () => Promise<Backend>> = {
  'in process': async () => {
    const channels = localChannels(new Channels());
    servers.closers.push(() => channels.close());
    return { a: channels, b: channels };
  },
  'one redis-server': () => redisBackend([servers.redis.url]),
  'Redis Cluster (3 masters)': () => redisBackend(servers.cluster.urls),
};

describe.each(Object.keys(BACKENDS))('channels on %s', (backendName) => {
  // Each test gets names of its own: the Redis backends share one server across tests.
  const fresh = () => `q${run++}`;
  const backend = () => BACKENDS[backendName]();

  it('queue: sent on one node, received on the other in order; an ack settles it once', async () => {
    const { a, b } = await backend();
    const q = fresh();
    for (const n of [1, 2, 3]) await a.send(acme, q, { n });
    await a.send(acme, q, new Uint8Array([0, 255]));
    const got: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const d = (await b.receive(acme, q, { timeoutMs: 0, consumer: 'worker' }))!;
      expect(d).toMatchObject({ attempt: 1, consumer: 'worker' });
      got.push(d.message);
      await b.ack(acme, q, d.id);
      if (i === 0) await expect(a.ack(acme, q, d.id)).rejects.toMatchObject({ code: 'PLEX_ERR_ALREADY_SETTLED' });
    }
    expect(got.slice(0, 3)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect([...(got[3] as Uint8Array)]).toEqual([0, 255]);
    expect(await b.receive(acme, q, { timeoutMs: 0 })).toBeNull();
    expect(await a.receive(globex, q, { timeoutMs: 0 })).toBeNull(); // another scope's queue of that name is another queue
    expect(await a.stats(acme, q)).toMatchObject({ ready: 0, inFlight: 0, sent: 4, acked: 4, redelivered: 0 });
  });

  it('queue: a receive waiting on one node gets the next send on the other; a receive times out with null', async () => {
    const { a, b } = await backend();
    const q = fresh();
    const waiting = b.receive<string>(acme, q, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 30)); // b is waiting before the send
    await a.send(acme, q, 'hello');
    const d = (await waiting)!;
    expect(d.message).toBe('hello');
    await b.ack(acme, q, d.id);
    expect(await b.receive(acme, q, { timeoutMs: 30 })).toBeNull();
  });

  it('queue: receives waiting on one node are served in arrival order by sends on the other', async () => {
    const { a, b } = await backend();
    const q = fresh();
    const first = b.receive<number>(acme, q, { timeoutMs: 10_000, consumer: 'first' });
    const second = b.receive<number>(acme, q, { timeoutMs: 10_000, consumer: 'second' });
    await new Promise((r) => setTimeout(r, 30)); // both wait before the sends
    await a.send(acme, q, 1);
    await a.send(acme, q, 2);
    expect([await first, await second]).toEqual([expect.objectContaining({ message: 1, consumer: 'first' }), expect.objectContaining({ message: 2, consumer: 'second' })]);
  });

  it('queue: a nack redelivers at the head with the next attempt, on either node', async () => {
    const { a, b } = await backend();
    const q = fresh();
    await a.send(acme, q, 'first');
    await a.send(acme, q, 'second');
    const d1 = (await a.receive<string>(acme, q, { timeoutMs: 0 }))!;
    expect(d1).toMatchObject({ message: 'first', attempt: 1 });
    await a.nack(acme, q, d1.id);
    await expect(a.ack(acme, q, d1.id)).rejects.toMatchObject({ code: 'PLEX_ERR_ALREADY_SETTLED' });
    const d2 = (await b.receive<string>(acme, q, { timeoutMs: 0 }))!;
    expect(d2).toMatchObject({ message: 'first', attempt: 2 });
    expect(d2.id).not.toBe(d1.id);
    await b.ack(acme, q, d2.id);
    const d3 = (await b.receive<string>(acme, q, { timeoutMs: 0 }))!;
    expect(d3).toMatchObject({ message: 'second', attempt: 1 });
    await b.ack(acme, q, d3.id);
    expect(await a.stats(acme, q)).toMatchObject({ redelivered: 1, acked: 2, ready: 0, inFlight: 0 });
  });

  it('queue: a delivery left unacked past the visibility timeout goes to a receiver waiting on the other node', async () => {
    const { a, b } = await backend();
    const q = fresh();
    await a.declareQueue(acme, q, { visibilityTimeoutMs: 150 });
    await a.send(acme, q, 'job');
    const held = (await a.receive<string>(acme, q, { timeoutMs: 0, consumer: 'slow' }))!;
    // Nothing else happens on the queue: the waiting receiver must notice the lapse by itself.
    const again = (await b.receive<string>(acme, q, { timeoutMs: 10_000, consumer: 'fast' }))!;
    expect(again).toMatchObject({ message: 'job', attempt: 2, consumer: 'fast' });
    await expect(a.ack(acme, q, held.id)).rejects.toMatchObject({ code: 'PLEX_ERR_ALREADY_SETTLED' });
    await b.ack(acme, q, again.id);
    expect(await a.stats(acme, q)).toMatchObject({ redelivered: 1, acked: 1, ready: 0, inFlight: 0 });
  });

  it('queue: after maxDeliveries a message goes to the dead letters; nack without requeue dead-letters at once; drain empties them', async () => {
    const { a, b } = await backend();
    const q = fresh();
    await a.declareQueue(acme, q, { maxDeliveries: 3, deadLetterCapacity: 2 });
    await a.send(acme, q, 'poison');
    await a.send(acme, q, 'fine');
    const attempts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const node = i % 2 === 0 ? a : b;
      const d = (await node.receive<string>(acme, q, { timeoutMs: 0 }))!;
      expect(d.message).toBe('poison');
      attempts.push(d.attempt);
      await node.nack(acme, q, d.id);
    }
    expect(attempts).toEqual([1, 2, 3]);
    const fine = (await b.receive<string>(acme, q, { timeoutMs: 0 }))!;
    expect(fine.message).toBe('fine');
    await b.nack(acme, q, fine.id, { requeue: false });
    await a.send(acme, q, 'third');
    const third = (await a.receive<string>(acme, q, { timeoutMs: 0 }))!;
    await a.nack(acme, q, third.id, { requeue: false }); // past deadLetterCapacity: the oldest is dropped
    expect(await b.deadLetters(acme, q)).toEqual([
      expect.objectContaining({ message: 'fine', attempts: 1, reason: 'nack' }),
      expect.objectContaining({ message: 'third', attempts: 1, reason: 'nack' }),
    ]);
    expect(await a.stats(acme, q)).toMatchObject({ deadLettered: 3, deadLettersDropped: 1, deadLetters: 2, redelivered: 2, ready: 0, inFlight: 0 });
    expect((await a.deadLetters(acme, q, true)).length).toBe(2);
    expect(await b.deadLetters(acme, q)).toEqual([]);
  });

  it('queue: capacity counts messages in flight; a sender waiting on one node gets in when the other node acks', async () => {
    const { a, b } = await backend();
    const q = fresh();
    await a.declareQueue(acme, q, { capacity: 2 });
    await a.send(acme, q, 1);
    await a.send(acme, q, 2);
    await expect(b.send(acme, q, 3, { onFull: 'fail' })).rejects.toMatchObject({ code: 'PLEX_ERR_BACKPRESSURE' });
    await expect(b.send(acme, q, 3, { timeoutMs: 30 })).rejects.toMatchObject({ code: 'PLEX_ERR_BACKPRESSURE' });
    const d1 = (await a.receive<number>(acme, q, { timeoutMs: 0 }))!;
    let sent = false;
    const third = b.send(acme, q, 3, { timeoutMs: 10_000 }).then(() => (sent = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toBe(false); // d1 is in flight: still counts
    await a.ack(acme, q, d1.id);
    await third;
    const rest: number[] = [];
    for (let d = await b.receive<number>(acme, q, { timeoutMs: 0 }); d !== null; d = await b.receive<number>(acme, q, { timeoutMs: 0 })) {
      rest.push(d.message);
      await b.ack(acme, q, d.id);
    }
    expect(rest).toEqual([2, 3]);
    expect(await a.stats(acme, q)).toMatchObject({ sent: 3, acked: 3, capacity: 2 });
  });

  it('queue: releaseConsumer redelivers what an exited consumer held, and only that', async () => {
    const { a, b } = await backend();
    const q = fresh();
    for (const m of ['x', 'y', 'z']) await a.send(acme, q, m);
    const held = [(await a.receive<string>(acme, q, { timeoutMs: 0, consumer: 'acme/prod/actor-1' }))!, (await a.receive<string>(acme, q, { timeoutMs: 0, consumer: 'acme/prod/actor-1' }))!];
    const other = (await a.receive<string>(acme, q, { timeoutMs: 0, consumer: 'acme/prod/actor-2' }))!;
    expect(await a.releaseConsumer('acme/prod/actor-1')).toBe(2);
    const redelivered: QueueDelivery<string>[] = [];
    for (let d = await b.receive<string>(acme, q, { timeoutMs: 0 }); d !== null; d = await b.receive<string>(acme, q, { timeoutMs: 0 })) redelivered.push(d);
    expect(redelivered.map((d) => d.message).sort()).toEqual(held.map((d) => d.message).sort());
    expect(redelivered.every((d) => d.attempt === 2)).toBe(true);
    await a.ack(acme, q, other.id); // the other consumer's delivery was untouched
    for (const d of redelivered) await b.ack(acme, q, d.id);
    expect(await a.releaseConsumer('acme/prod/actor-1')).toBe(0);
    expect(await b.stats(acme, q)).toMatchObject({ redelivered: 2, acked: 3, ready: 0, inFlight: 0 });
  });

  it('topic: a publish on one node reaches the subscribers of both, with their filters', async () => {
    const { a, b } = await backend();
    const t = fresh();
    const onA = await a.subscribe<{ n: number }>(acme, t);
    const onB = await b.subscribe<{ n: number }>(acme, t);
    const evenOnB = await b.subscribe<{ n: number }>(acme, t, { filter: (m) => m.n % 2 === 0 });
    for (const n of [1, 2, 3]) await a.publish(acme, t, { n });
    const take = async (s: typeof onA, count: number) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) out.push((await s.receive({ timeoutMs: 10_000 }))!.n);
      return out;
    };
    expect(await take(onA, 3)).toEqual([1, 2, 3]);
    expect(await take(onB, 3)).toEqual([1, 2, 3]);
    expect(await take(evenOnB, 1)).toEqual([2]);
    onA.close();
    evenOnB.close();
    await new Promise((r) => setTimeout(r, 50)); // the unsubscriptions reach the count
    expect(await b.publish(acme, t, { n: 4 })).toBe(1);
    expect((await onB.receive({ timeoutMs: 10_000 }))?.n).toBe(4);
    expect(await onA.receive({ timeoutMs: 0 })).toBeNull();
    onB.close();
    expect(await a.publish(globex, t, { n: 5 })).toBe(0);
  });

  it('kinds, listing and delete: a name is one kind; delete ends the waiters of every node', async () => {
    const { a, b } = await backend();
    const q = fresh();
    const t = fresh();
    await a.send(acme, q, 'm');
    const sub = await b.subscribe(acme, t);
    await expect(b.subscribe(acme, q)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(b.publish(acme, q, 'x')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.send(acme, t, 'x')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.declareQueue(acme, t)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    const listed = await b.list(acme);
    expect(listed).toEqual(expect.arrayContaining([{ name: q, kind: 'queue' }, { name: t, kind: 'topic' }]));
    expect(await a.list(globex)).not.toEqual(expect.arrayContaining([{ name: q, kind: 'queue' }]));

    const d = (await a.receive(acme, q, { timeoutMs: 0 }))!;
    await a.ack(acme, q, d.id);
    // Settled into a value at once: the other node's waiter may fail before a's delete returns.
    const waiting = b.receive(acme, q, { timeoutMs: 10_000 }).catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 30));
    expect(await a.delete(acme, q)).toBe(true);
    expect(await waiting).toMatchObject({ code: 'PLEX_ERR_CHANNEL_CLOSED' });
    expect(await a.delete(acme, t)).toBe(true);
    expect(await sub.receive({ timeoutMs: 10_000 })).toBeNull(); // the subscription ended
    expect(await b.delete(acme, q)).toBe(false);
    await expect(a.stats(acme, q)).rejects.toMatchObject({ code: 'PLEX_ERR_NOT_FOUND' });
    expect((await b.list(acme)).map((c) => c.name)).not.toContain(q);
  });

  it('bad input: the same typed errors, and nothing changes', async () => {
    const { a, b } = await backend();
    const q = fresh();
    const t = fresh();
    await a.declareQueue(acme, q, { maxMessageBytes: 16 });
    for (const name of ['', '.hidden', 'a/b', 'x'.repeat(129), 42 as unknown as string]) {
      await expect(a.send(acme, name, 'm')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(a.publish(acme, name, 'm')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    }
    await expect(a.send({ tenant: '../x', namespace: 'p' }, q, 'm')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(b.send(acme, q, 'x'.repeat(17))).rejects.toMatchObject({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' });
    await expect(b.send(acme, q, undefined)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(b.send(acme, q, 'ok', { timeoutMs: -1 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(b.receive(acme, q, { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.declareQueue(acme, fresh(), { capacity: 0 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.declareQueue(acme, fresh(), { visibilityTimeoutMs: 1.5 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.declareTopic(acme, fresh(), { maxMessageBytes: -1 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.ack(acme, fresh(), 1)).rejects.toMatchObject({ code: 'PLEX_ERR_NOT_FOUND' });
    await expect(a.ack(acme, q, 12345)).rejects.toMatchObject({ code: 'PLEX_ERR_ALREADY_SETTLED' });
    await expect(a.nack(acme, q, Number.NaN)).rejects.toMatchObject({ code: 'PLEX_ERR_ALREADY_SETTLED' });
    expect(await a.stats(acme, q)).toMatchObject({ sent: 0, ready: 0, inFlight: 0, acked: 0 });

    await a.declareTopic(acme, t, { maxMessageBytes: 16 });
    const sub = await b.subscribe<string>(acme, t);
    await expect(b.subscribe(acme, t, { capacity: 0 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(a.publish(acme, t, 'x'.repeat(17))).rejects.toMatchObject({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' });
    await expect(a.publish(acme, t, undefined)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(await a.publish(acme, t, 'fits')).toBe(1);
    expect(await sub.receive({ timeoutMs: 10_000 })).toBe('fits'); // nothing was delivered before it
    sub.close();
  });

  it('a waiting receive ends with null at its timeout and an aborted one with PLEX_ERR_ABORTED; neither takes a message', async () => {
    const { a, b } = await backend();
    const q = fresh();
    await a.declareQueue(acme, q);
    expect(await b.receive(acme, q, { timeoutMs: 40 })).toBeNull();
    const controller = new AbortController();
    const aborted = b.receive(acme, q, { timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(aborted).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    await a.send(acme, q, 'after');
    expect((await b.receive(acme, q, { timeoutMs: 0 }))?.message).toBe('after');
    expect(await a.stats(acme, q)).toMatchObject({ receiversWaiting: 0, inFlight: 1, ready: 0 });
  });
});

describe.each([
  ['one redis-server', () => [servers.redis.url]],
  ['Redis Cluster (3 masters)', () => servers.cluster.urls],
] as const)('channel deliveries of a departed node on %s', (_, urls) => {
  it('come back at once when its process is released, in every queue it received from; others are untouched', async () => {
    const node = async (id: string) => {
      const client = await connectRedis(urls());
      servers.clients.push(client);
      const channels = new RedisChannels(client, { id, incarnation: 'i1' });
      servers.closers.push(() => channels.close());
      return { client, channels };
    };
    const alpha = await node(`alpha-${run}`);
    const beta = await node(`beta-${run}`);
    const [q1, q2] = [`gone${run++}`, `gone${run++}`];
    for (const q of [q1, q2]) await alpha.channels.send(acme, q, `${q}-a`);
    await alpha.channels.send(acme, q1, `${q1}-b`);
    const held = [(await alpha.channels.receive(acme, q1, { timeoutMs: 0, consumer: 'x' }))!, (await alpha.channels.receive(acme, q2, { timeoutMs: 0, consumer: 'y' }))!];
    const betas = (await beta.channels.receive<string>(acme, q1, { timeoutMs: 0, consumer: 'z' }))!;
    expect(betas.message).toBe(`${q1}-b`);
    // Another incarnation of the same id holds nothing.
    expect(await releaseProcessQueueDeliveries(beta.client, `alpha-${run - 2}.i2`)).toBe(0);
    expect(await releaseProcessQueueDeliveries(beta.client, `alpha-${run - 2}.i1`)).toBe(2);
    expect(await releaseProcessQueueDeliveries(beta.client, `alpha-${run - 2}.i1`)).toBe(0); // idempotent
    for (const [q, d] of [[q1, held[0]], [q2, held[1]]] as const) {
      await expect(alpha.channels.ack(acme, q, d.id)).rejects.toMatchObject({ code: 'PLEX_ERR_ALREADY_SETTLED' });
      expect(await beta.channels.receive(acme, q, { timeoutMs: 0 })).toMatchObject({ message: d.message, attempt: 2 });
    }
    await beta.channels.ack(acme, q1, betas.id); // beta's own delivery was not released
    expect(await beta.channels.stats(acme, q1)).toMatchObject({ inFlight: 1, redelivered: 1, acked: 1 });
  });
});

describe('channels on Redis: waiting without polling', () => {
  const scriptCalls = async (client: RedisClient) => {
    const info = await client.info('commandstats');
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(info)?.[1] ?? 0);
  };

  it('a waiting receive runs its script twice (before and after subscribing) and then only when told; then it unsubscribes', async () => {
    const client = await connectRedis([servers.redis.url]);
    servers.clients.push(client);
    const channels = new RedisChannels(client);
    servers.closers.push(() => channels.close());
    await channels.declareQueue(acme, 'idle-wait');
    const before = await scriptCalls(client);
    const waiting = channels.receive(acme, 'idle-wait', { timeoutMs: 1000 });
    await expect.poll(() => client.pubsub('CHANNELS', '*idle-wait*'), { timeout: 900 }).toHaveLength(1); // subscribed while it waits
    expect(await waiting).toBeNull();
    expect((await scriptCalls(client)) - before).toBe(2);
    // Nothing left behind: with no waiter, the process is no longer subscribed to the queue's notices.
    await expect.poll(() => client.pubsub('CHANNELS', '*idle-wait*'), { timeout: 5_000 }).toEqual([]);
    expect(await channels.stats(acme, 'idle-wait')).toMatchObject({ receiversWaiting: 0, sendersWaiting: 0 });
  });
});

describe('channels on Redis while Redis is down', () => {
  it('every operation fails with PLEX_ERR_BACKEND_UNAVAILABLE, a waiting receive too, and nothing changes; it works again when Redis is back', async () => {
    let server = await startRedisServer();
    const client = await connectRedis([server.url]);
    const channels = new RedisChannels(client);
    try {
      await channels.send(acme, 'jobs', 'before');
      // Settled into a value at once: it fails while the test is still stopping the server.
      const waiting = channels.receive(acme, 'other', { timeoutMs: 20_000 }).catch((error: unknown) => error);
      await new Promise((r) => setTimeout(r, 50));
      await server.kill9();
      const down = { code: 'PLEX_ERR_BACKEND_UNAVAILABLE' };
      expect(await waiting).toMatchObject(down); // its notices are gone with the connection
      await expect(channels.send(acme, 'jobs', 'during')).rejects.toMatchObject(down);
      await expect(channels.receive(acme, 'jobs', { timeoutMs: 0 })).rejects.toMatchObject(down);
      await expect(channels.ack(acme, 'jobs', 1)).rejects.toMatchObject(down);
      await expect(channels.stats(acme, 'jobs')).rejects.toMatchObject(down);
      await expect(channels.publish(acme, 'news', 'x')).rejects.toMatchObject(down);
      await expect(channels.subscribe(acme, 'news')).rejects.toMatchObject(down);
      await expect(channels.list(acme)).rejects.toMatchObject(down);
      await expect(channels.releaseConsumer('nobody')).resolves.toBe(0);
      server = await server.restart();
      await expect.poll(() => client.ping().catch(() => 'down'), { timeout: 10_000 }).toBe('PONG');
      const next = channels.receive<string>(acme, 'other', { timeoutMs: 20_000 }).catch((error: unknown) => error);
      await channels.send(acme, 'other', 'after');
      expect(await next).toMatchObject({ message: 'after' });
      const d = (await channels.receive<string>(acme, 'jobs', { timeoutMs: 0 }))!;
      expect(d.message).toBe('before'); // the AOF kept it; 'during' was never sent
      await channels.ack(acme, 'jobs', d.id);
      expect(await channels.receive(acme, 'jobs', { timeoutMs: 0 })).toBeNull();
    } finally {
      channels.close();
      client.disconnect();
      await server.stop();
    }
  }, 30_000);
});
