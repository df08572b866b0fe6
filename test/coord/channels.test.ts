import { describe, expect, it } from 'vitest';
import { Channels } from '../../src/coord/channels.js';
import { QueueChannel } from '../../src/coord/queue-channel.js';
import { TopicChannel } from '../../src/coord/topic-channel.js';

const acme = { tenant: 'acme', namespace: 'prod' };
const globex = { tenant: 'globex', namespace: 'prod' };

describe('QueueChannel', () => {
  it('delivers in order, once acked never again', async () => {
    const q = new QueueChannel<number>('jobs');
    for (let i = 0; i < 5; i++) await q.send(i);
    const got: number[] = [];
    for (let i = 0; i < 5; i++) {
      const d = (await q.receive({ timeoutMs: 0 }))!;
      got.push(d.message);
      q.ack(d.id);
    }
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(await q.receive({ timeoutMs: 0 })).toBeNull();
    expect(() => q.ack(1)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_ALREADY_SETTLED' }));
  });

  it('a waiting receiver gets the next send; a receive times out with null', async () => {
    const q = new QueueChannel<string>('jobs');
    const waiting = q.receive({ timeoutMs: 2000 });
    await q.send('hello');
    expect((await waiting)?.message).toBe('hello');
    expect(await q.receive({ timeoutMs: 20 })).toBeNull();
  });

  it('is bounded: a full channel makes senders wait in order (or fail), in-flight messages count', async () => {
    const q = new QueueChannel<number>('jobs', { capacity: 2 });
    await q.send(1);
    await q.send(2);
    await expect(q.send(3, { onFull: 'fail' })).rejects.toMatchObject({ code: 'PLEX_ERR_BACKPRESSURE' });
    expect(q.trySend(3)).toBe(false);
    await expect(q.send(3, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'PLEX_ERR_BACKPRESSURE' });
    const sent: number[] = [];
    const s3 = q.send(3).then(() => sent.push(3));
    const s4 = q.send(4).then(() => sent.push(4));
    const d1 = (await q.receive())!; // in flight: still counts
    await new Promise((r) => setTimeout(r, 10));
    expect(sent).toEqual([]);
    expect(q.size).toBe(2);
    q.ack(d1.id);
    await s3;
    expect(sent).toEqual([3]);
    expect(q.size).toBe(2);
    const d2 = (await q.receive())!;
    q.ack(d2.id);
    await s4;
    const rest: number[] = [];
    for (let d = await q.receive({ timeoutMs: 0 }); d !== null; d = await q.receive({ timeoutMs: 0 })) {
      rest.push(d.message);
      q.ack(d.id);
    }
    expect(rest).toEqual([3, 4]);
    expect(q.stats()).toMatchObject({ sent: 4, acked: 4, ready: 0, inFlight: 0, sendersWaiting: 0 });
  });

  it('nack redelivers first with a higher attempt; at maxDeliveries the message is dead-lettered', async () => {
    const q = new QueueChannel<string>('jobs', { maxDeliveries: 3 });
    await q.send('poison');
    await q.send('fine');
    const attempts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = (await q.receive({ timeoutMs: 0 }))!;
      expect(d.message).toBe('poison');
      attempts.push(d.attempt);
      q.nack(d.id);
    }
    expect(attempts).toEqual([1, 2, 3]);
    const next = (await q.receive({ timeoutMs: 0 }))!;
    expect(next.message).toBe('fine');
    q.ack(next.id);
    expect(q.deadLetters()).toEqual([expect.objectContaining({ message: 'poison', attempts: 3, reason: 'nack' })]);
    expect(q.stats()).toMatchObject({ deadLettered: 1, redelivered: 2, acked: 1, ready: 0, inFlight: 0 });
  });

  it('redelivers what a crashed consumer held and what outlived the visibility timeout', async () => {
    const q = new QueueChannel<string>('jobs', { visibilityTimeoutMs: 30 });
    await q.send('a');
    await q.send('b');
    const a = (await q.receive({ consumer: 'worker-1' }))!;
    expect(q.releaseConsumer('worker-1')).toBe(1);
    expect(() => q.ack(a.id)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_ALREADY_SETTLED' }));
    const again = (await q.receive({ consumer: 'worker-2' }))!;
    expect(again).toMatchObject({ message: 'a', attempt: 2 });
    q.ack(again.id);
    const b = (await q.receive({ consumer: 'worker-2' }))!;
    expect(b.message).toBe('b');
    await new Promise((r) => setTimeout(r, 60)); // not acked in time
    const b2 = (await q.receive({ timeoutMs: 0 }))!;
    expect(b2).toMatchObject({ message: 'b', attempt: 2 });
    q.ack(b2.id);
  });

  it('loses nothing when consumers crash at random: every message is acked once, redeliveries are bounded', async () => {
    const q = new QueueChannel<number>('jobs', { capacity: 64, maxDeliveries: 10 });
    const total = 2000;
    const acked = new Map<number, number>();
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const producer = (async () => {
      for (let i = 0; i < total; i++) await q.send(i);
    })();
    const consumer = async (name: string) => {
      let incarnation = 0;
      while (acked.size < total) {
        const me = `${name}#${incarnation}`;
        const d = await q.receive({ consumer: me, timeoutMs: 50 });
        if (d === null) continue;
        if (random() < 0.1) {
          // crash while holding the delivery: its supervisor restarts it, the channel redelivers
          q.releaseConsumer(me);
          incarnation++;
          continue;
        }
        acked.set(d.message, (acked.get(d.message) ?? 0) + 1);
        q.ack(d.id);
      }
    };
    await Promise.all([producer, consumer('c1'), consumer('c2'), consumer('c3')]);
    expect(acked.size).toBe(total);
    expect([...acked.values()].every((n) => n === 1)).toBe(true);
    expect(q.deadLetters()).toEqual([]);
    expect(q.stats()).toMatchObject({ ready: 0, inFlight: 0, acked: total });
  });

  it('close fails waiting senders and receivers', async () => {
    const q = new QueueChannel<number>('jobs', { capacity: 1 });
    await q.send(1);
    const sender = q.send(2);
    const other = new QueueChannel<number>('empty');
    const receiver = other.receive();
    q.close();
    other.close();
    await expect(sender).rejects.toMatchObject({ code: 'PLEX_ERR_CHANNEL_CLOSED' });
    await expect(receiver).rejects.toMatchObject({ code: 'PLEX_ERR_CHANNEL_CLOSED' });
    await expect(q.send(3)).rejects.toMatchObject({ code: 'PLEX_ERR_CHANNEL_CLOSED' });
  });

  it('rejects oversize and undefined messages without queueing them', async () => {
    const q = new QueueChannel<unknown>('jobs', { maxMessageBytes: 16 });
    await expect(q.send('x'.repeat(17))).rejects.toMatchObject({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' });
    await expect(q.send(undefined)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(q.size).toBe(0);
  });
});

describe('TopicChannel', () => {
  it('fans out to every subscriber whose filter accepts, in publish order', async () => {
    const t = new TopicChannel<{ level: string; n: number }>('events');
    const all = t.subscribe();
    const errors = t.subscribe({ filter: (m) => m.level === 'error' });
    expect(await t.publish({ level: 'info', n: 1 })).toBe(1);
    expect(await t.publish({ level: 'error', n: 2 })).toBe(2);
    expect(await all.receive()).toEqual({ level: 'info', n: 1 });
    expect(await all.receive()).toEqual({ level: 'error', n: 2 });
    expect(await errors.receive()).toEqual({ level: 'error', n: 2 });
    expect(await errors.receive({ timeoutMs: 10 })).toBeNull();
  });

  it('a slow subscriber holds publishers back instead of losing or piling up messages', async () => {
    const t = new TopicChannel<number>('ticks');
    const slow = t.subscribe({ capacity: 2 });
    await t.publish(1);
    await t.publish(2);
    await expect(t.publish(3, { onFull: 'fail' })).rejects.toMatchObject({ code: 'PLEX_ERR_BACKPRESSURE' });
    const fast = t.subscribe();
    let done = false;
    const blocked = t.publish(4).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    expect(fast.pending).toBe(0); // delivered to all at once or to none
    expect(await slow.receive()).toBe(1);
    await blocked;
    expect(await fast.receive()).toBe(4);
    expect([await slow.receive(), await slow.receive()]).toEqual([2, 4]);
    slow.close();
    fast.close();
    expect(t.subscriberCount).toBe(0);
  });

  it('iterates with for await until the subscription closes', async () => {
    const t = new TopicChannel<number>('n');
    const sub = t.subscribe();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const m of sub) seen.push(m);
    })();
    for (let i = 0; i < 3; i++) await t.publish(i);
    await new Promise((r) => setTimeout(r, 5));
    sub.close();
    await reading;
    expect(seen).toEqual([0, 1, 2]);
  });
});

describe('Channels registry', () => {
  it('keeps tenants apart, one kind per name, and validates names', () => {
    const channels = new Channels();
    const a = channels.queue(acme, 'jobs');
    expect(channels.queue(acme, 'jobs')).toBe(a);
    expect(channels.queue(globex, 'jobs')).not.toBe(a);
    expect(() => channels.topic(acme, 'jobs')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(() => channels.queue(acme, '../x')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(() => channels.existingQueue(acme, 'nope')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_NOT_FOUND' }));
    channels.topic(acme, 'events');
    expect(channels.list(acme)).toEqual([
      { name: 'jobs', kind: 'queue' },
      { name: 'events', kind: 'topic' },
    ]);
    expect(channels.delete(acme, 'jobs')).toBe(true);
    expect(channels.list(globex)).toEqual([{ name: 'jobs', kind: 'queue' }]);
    channels.close();
  });
});
