import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { RedisTupleSpace, RedisWakeups, spaceBaseKey } from '../../src/cluster/redis-space/index.js';
import { releaseProcessDeliveries } from '../../src/cluster/redis-space/node-deliveries.js';
import { ErrorCode } from '../../src/errors.js';
import { any } from '../../src/tuple/types.js';

// Crash-safe take on Redis, with real leases (the in-process suite runs on fake timers, which
// cannot move Redis's clock). Two instances with their own connections stand for two processes.
let redis: RedisProcess;
let client: RedisClient;
let otherClient: RedisClient;
let made = 0;

beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'no' });
  client = await connectRedis([redis.url]);
  otherClient = await connectRedis([redis.url]);
});
afterAll(async () => {
  client?.disconnect();
  otherClient?.disconnect();
  await redis?.stop();
});

/** The same space seen from two "processes". */
async function pair(options: { maxDeliveries?: number } = {}): Promise<[RedisTupleSpace, RedisTupleSpace]> {
  const name = `crash-safe-${made++}`;
  return [await RedisTupleSpace.open({ name, redis: client, ...options }), await RedisTupleSpace.open({ name, redis: otherClient, ...options })];
}

describe('crash-safe take on Redis (ack: true)', () => {
  it('ack consumes the tuple for good; a second ack is refused', async () => {
    const [a, b] = await pair();
    await b.write(['job', 1]);
    const d = (await a.take(['job', any], { ack: true, leaseMs: 60_000 }))!;
    expect(d).toMatchObject({ tuple: ['job', 1], deliveries: 1 });
    expect(await b.count(['job', any])).toBe(0);
    expect(await a.stats()).toMatchObject({ inflight: 1 });
    await d.ack();
    expect(await a.stats()).toMatchObject({ inflight: 0, timers: 0 });
    await expect(d.ack()).rejects.toMatchObject({ code: ErrorCode.AlreadySettled });
    expect(await b.count(['job', any])).toBe(0);
    expect(await client.hlen(`${spaceBaseKey(a.name)}:d`)).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('an unacked tuple returns when its lease ends, one delivery older, to any process', async () => {
    const [a, b] = await pair();
    await b.write(['job', 1]);
    const d1 = (await a.tryTake(['job', any], { ack: true, leaseMs: 30 }))!;
    expect(d1.deliveries).toBe(1);
    const d2 = (await b.take(['job', any], { ack: true, leaseMs: 60_000, timeoutMs: 30_000 }))!;
    expect(d2).toMatchObject({ tuple: ['job', 1], deliveries: 2 });
    await expect(d1.ack()).rejects.toMatchObject({ code: ErrorCode.LeaseExpired });
    await d2.ack();
    await Promise.all([a.close(), b.close()]);
  });

  it('a holder that dies keeps nothing: the lease deadline in Redis brings the tuple back', async () => {
    const [a, b] = await pair();
    await b.write(['job', 'orphan']);
    expect(await a.take(['job', any], { ack: true, leaseMs: 50 })).not.toBeNull();
    await a.close(); // no lease timer left in that "process"
    await expect.poll(() => b.tryRead(['job', any]), { timeout: 5_000, interval: 20 }).toEqual(['job', 'orphan']);
    await b.close();
  });

  it('a taker blocked in another process is served when a dead holder\'s lease ends, with no other operation', async () => {
    const [a, b] = await pair();
    await b.write(['job', 'orphan']);
    expect(await a.take(['job', any], { ack: true, leaseMs: 50 })).not.toBeNull();
    await a.close(); // dies holding it: no lease timer, no further calls
    expect(await b.take(['job', any], { timeoutMs: 30_000 })).toEqual(['job', 'orphan']);
    expect(await b.stats()).toMatchObject({ waiters: 0, timers: 0 });
    await b.close();
  });

  it('nack returns the tuple at once and wakes a taker blocked in another process', async () => {
    const [a, b] = await pair();
    await a.write(['job', 1]);
    const d = (await a.take(['job', any], { ack: true }))!;
    const waiting = b.take(['job', any]);
    await b.count(['sync']);
    await d.nack();
    expect(await waiting).toEqual(['job', 1]);
    await Promise.all([a.close(), b.close()]);
  });

  it('a blocked crash-safe taker gets a delivery when a write arrives, and the tuple returns after its lease', async () => {
    const [a, b] = await pair();
    const pending = a.take(['job', any], { ack: true, leaseMs: 30 });
    await a.count(['sync']);
    await b.write(['job', 'w']);
    expect(await pending).toMatchObject({ tuple: ['job', 'w'], deliveries: 1 });
    await expect.poll(() => b.tryRead(['job', any]), { timeout: 5_000, interval: 20 }).toEqual(['job', 'w']);
    await Promise.all([a.close(), b.close()]);
  });

  it('moves a tuple to the dead-letter space after maxDeliveries', async () => {
    const [a, b] = await pair({ maxDeliveries: 3 });
    await a.write(['poison']);
    for (let i = 1; i <= 3; i++) {
      const d = (await (i % 2 === 0 ? b : a).take(['poison'], { ack: true, leaseMs: 60_000 }))!;
      expect(d.deliveries).toBe(i);
      await d.nack();
    }
    expect(await a.tryTake(['poison'])).toBeNull();
    expect(await b.deadLetters.tryTake(['poison'])).toEqual(['poison']);
    expect(await a.stats()).toMatchObject({ inflight: 0, timers: 0 });
    await Promise.all([a.close(), b.close()]);
  });

  it('heldBy counts a holder\'s deliveries in every process, and not once they are settled or lapsed', async () => {
    const [a, b] = await pair();
    await a.writeAll([['t', 1], ['t', 2], ['t', 3]]);
    const first = (await a.take(['t', any], { ack: true, holder: 'stage', leaseMs: 60_000 }))!;
    const second = (await b.take(['t', any], { ack: true, holder: 'stage', leaseMs: 300 }))!;
    await b.take(['t', any], { ack: true, holder: 'other', leaseMs: 60_000 });
    expect([await a.heldBy('stage'), await b.heldBy('stage'), await a.heldBy('other'), await a.heldBy('nobody')]).toEqual([2, 2, 1, 0]);
    await first.ack();
    expect(await b.heldBy('stage')).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    // The lapsed lease is given back by the count itself: nothing has to tick first.
    expect(await a.heldBy('stage')).toBe(0);
    expect(await a.count(['t', any])).toBe(1);
    await expect(second.ack()).rejects.toMatchObject({ code: ErrorCode.LeaseExpired });
    await expect(a.heldBy(7 as never)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await Promise.all([a.close(), b.close()]);
  });

  it('releaseHolder returns every tuple of that holder, whichever process took them', async () => {
    const [a, b] = await pair();
    await a.writeAll([['t', 1], ['t', 2], ['t', 3]]);
    await a.take(['t', any], { ack: true, holder: 'conn-1' });
    await b.take(['t', any], { ack: true, holder: 'conn-1' });
    const kept = (await b.tryTake(['t', any], { ack: true, holder: 'conn-2' }))!;
    expect(await a.releaseHolder('conn-1')).toBe(2);
    expect(await b.readAll(['t', any])).toEqual([['t', 1], ['t', 2]]);
    await kept.ack();
    await Promise.all([a.close(), b.close()]);
  });

  it('a delivery opened for a blocked taker that aborts at that moment is withdrawn, uncounted', async () => {
    const [a, b] = await pair();
    const controller = new AbortController();
    const taker = a.take(['job'], { ack: true, leaseMs: 60_000, signal: controller.signal }).catch((e: { code: string }) => e.code);
    await a.count(['sync']);
    // The write opens the delivery and hands it over in Redis; the abort lands before the message.
    const write = a.write(['job']);
    controller.abort();
    await write;
    expect(await taker).toBe(ErrorCode.Aborted);
    // Withdrawn by the time the abort is heard: no sync needed before looking.
    expect(await client.hlen(`${spaceBaseKey(a.name)}:d`)).toBe(0);
    expect(await b.count(['job'])).toBe(1);
    const d = (await b.tryTake(['job'], { ack: true }))!;
    expect(d.deliveries).toBe(1);
    await d.ack();
    await Promise.all([a.close(), b.close()]);
  });

  it('rejects a bad leaseMs or ack without taking anything', async () => {
    const [a, b] = await pair();
    await a.write(['a']);
    await expect(a.take(['a'], { ack: true, leaseMs: -1 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(a.tryTake(['a'], { ack: 'yes' as never })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    expect(await b.count(['a'])).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('deliveries of a node that left the cluster', () => {
  it('come back at once when its process is released, from a take and from a handoff; a second release finds none', async () => {
    const name = `node-release-${made++}`;
    const dead = await RedisWakeups.open(client, 'deadnode.inc1');
    const live = await RedisWakeups.open(otherClient, 'livenode.inc2');
    const a = await RedisTupleSpace.open({ name, redis: client, wakeups: dead });
    const b = await RedisTupleSpace.open({ name, redis: otherClient, wakeups: live });
    await b.writeAll([['job', 1], ['job', 2]]);
    const taken = (await a.tryTake(['job', any], { ack: true, leaseMs: 600_000 }))!;
    // A crash-safe take blocked on the dead node, served by a write's handoff.
    const handed = a.take(['late', any], { ack: true, leaseMs: 600_000, timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await b.write(['late', 3]);
    expect((await handed)!.tuple).toEqual(['late', 3]);
    const kept = (await b.tryTake(['job', any], { ack: true, leaseMs: 600_000 }))!; // the live node's own: untouched
    expect(taken.tuple).toEqual(['job', 1]);

    expect(await releaseProcessDeliveries(otherClient, 'deadnode.inc1')).toBe(2);
    expect(await b.readAll([any, any])).toEqual([['job', 1], ['late', 3]]);
    expect(await releaseProcessDeliveries(otherClient, 'deadnode.inc1')).toBe(0);
    expect(await releaseProcessDeliveries(otherClient, 'deadnode.other-incarnation')).toBe(0);
    // The released deliveries are closed: the dead node's late ack is refused, the live node's ack holds.
    await expect(taken.ack()).rejects.toMatchObject({ code: ErrorCode.LeaseExpired });
    await kept.ack();
    expect(await b.count(['job', any])).toBe(1);
    await Promise.all([a.close(), b.close()]);
    await Promise.all([dead.close(), live.close()]);
  });
});
