import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimerService } from '../../src/actors/timer-service.js';
import { SqliteReminderStore } from '../../src/actors/sqlite-durable-storage.js';
import { KvStore } from '../../src/coord/kv-store.js';
import { LockManager } from '../../src/coord/lock-manager.js';
import { openNodeDatabase } from '../../src/coord/node-database.js';
import { QueueChannel } from '../../src/coord/queue-channel.js';
import { TopicChannel } from '../../src/coord/topic-channel.js';
import { TupleSpace } from '../../src/space/tuple-space.js';
import { any } from '../../src/tuple/types.js';
import { MAX_DURATION_MS, checkDuration } from '../../src/util/duration.js';
import { MAX_TIMER_DELAY_MS, setLongInterval, setLongTimeout } from '../../src/util/long-timer.js';

// Node clamps a setTimeout delay above 2^31-1 ms to 1 ms. vitest's fake timers
// clamp the same way, so each test below fails on the old code: a long lease
// ends at once, and a long TTL re-arms a 1 ms timer for ever (counted here as
// setTimeout calls — a deterministic stand-in for "burns CPU").

const LONG = 2 ** 31;
const LONGER = 2 ** 40;
const BAD = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, MAX_DURATION_MS + 1, '5' as unknown as number];

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function countTimers(): { calls: () => number; delays: () => number[] } {
  const spy = vi.spyOn(globalThis, 'setTimeout');
  return { calls: () => spy.mock.calls.length, delays: () => spy.mock.calls.map((c) => Number(c[1])) };
}

describe('setLongTimeout / setLongInterval', () => {
  it('fires once, at the full delay, arming no chunk above the platform maximum', () => {
    const timers = countTimers();
    const fired = vi.fn();
    setLongTimeout(fired, LONGER);
    vi.advanceTimersByTime(LONGER - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(timers.calls()).toBe(Math.ceil(LONGER / MAX_TIMER_DELAY_MS));
    expect(Math.max(...timers.delays())).toBe(MAX_TIMER_DELAY_MS);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clear() before it fires leaves no timer and no call; an interval repeats at its period until cleared', () => {
    const fired = vi.fn();
    const timeout = setLongTimeout(fired, LONG);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS); // into the second chunk
    timeout.clear();
    vi.advanceTimersByTime(LONG);
    expect(fired).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    const ticks = vi.fn();
    const interval = setLongInterval(ticks, LONG);
    vi.advanceTimersByTime(2 * LONG);
    expect(ticks).toHaveBeenCalledTimes(2);
    interval.clear();
    vi.advanceTimersByTime(2 * LONG);
    expect(ticks).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checkDuration refuses NaN, ±Infinity, negatives, non-numbers and more than 100 years, naming the option', () => {
    expect(checkDuration('leaseMs', LONGER)).toBe(LONGER);
    expect(checkDuration('leaseMs', MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(checkDuration('ttlMs', 0)).toBe(0);
    for (const value of [...BAD, null, {}]) expect(() => checkDuration('leaseMs', value)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT', message: expect.stringContaining('leaseMs') }));
    expect(() => checkDuration('periodMs', 0, { positive: true })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(() => checkDuration('n', 1.5, { integer: true })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
  });
});

describe('tuple space: long leases, TTLs and waits work as asked', () => {
  it('a TTL of 2^31 ms keeps the tuple, arms one timer (no 1 ms re-arm loop), and expires it on time', async () => {
    const space = new TupleSpace();
    const timers = countTimers();
    await space.write(['ttl'], { ttlMs: LONG });
    vi.advanceTimersByTime(60_000);
    expect(timers.calls()).toBe(1);
    expect(await space.tryRead(['ttl'])).toEqual(['ttl']);
    vi.advanceTimersByTime(LONG - 60_000);
    expect(await space.tryRead(['ttl'])).toBeNull();
    expect(space.stats().timers).toBe(0);
    await space.close();
  });

  it('a crash-safe take with a lease of 2^31 or 2^40 ms stays held until acked; the 2^40 one returns at its end', async () => {
    const space = new TupleSpace();
    await space.writeAll([['job', 1], ['job', 2]]);
    const short = await space.take(['job', 1], { ack: true, leaseMs: LONG });
    const long = await space.take(['job', 2], { ack: true, leaseMs: LONGER });
    vi.advanceTimersByTime(LONG - 1); // long past where the clamped 1 ms timers fired
    expect(await space.count(['job', any])).toBe(0);
    await short!.ack();
    vi.advanceTimersByTime(LONGER - LONG);
    expect(await space.count(['job', any])).toBe(0);
    vi.advanceTimersByTime(1);
    expect(await space.tryRead(['job', any])).toEqual(['job', 2]);
    await expect(long!.ack()).rejects.toMatchObject({ code: 'PLEX_ERR_LEASE_EXPIRED' });
    await space.close();
  });

  it('a blocking take with timeoutMs 2^31 keeps waiting and is served by a later write', async () => {
    const space = new TupleSpace();
    const waiting = space.take(['later'], { timeoutMs: LONG });
    vi.advanceTimersByTime(LONG - 1);
    await space.write(['later']);
    expect(await waiting).toEqual(['later']);
    expect(space.stats().timers).toBe(0);
    await space.close();
  });

  it('NaN, Infinity, negative, over-the-maximum and string durations are refused and change nothing', async () => {
    const space = new TupleSpace();
    await space.write(['keep']);
    for (const value of BAD) {
      await expect(space.write(['new'], { ttlMs: value })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(space.take(['keep'], { ack: true, leaseMs: value })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(space.take(['keep'], { timeoutMs: value })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    }
    expect(await space.readAll([any])).toEqual([['keep']]);
    expect(space.stats()).toMatchObject({ waiters: 0, inflight: 0, timers: 0 });
    await space.close();
  });
});

describe('coordination and timers: long durations work as asked', () => {
  it('a lock lease of 2^31 ms is still held after 2^31-1 ms; its expiry is checked once, not every millisecond', async () => {
    const db = openNodeDatabase(null);
    const locks = new LockManager(db);
    const scope = { tenant: 'acme', namespace: 'prod' };
    try {
      const timers = countTimers();
      const grant = await locks.acquire(scope, 'l', 'a', { leaseMs: LONG });
      vi.advanceTimersByTime(LONG - 1);
      expect(locks.holderOf(scope, 'l')?.version).toBe(grant.version);
      expect(timers.calls()).toBe(2); // the lease (+1 ms) in two chunks: 2^31-1 ms, then 2 ms
      vi.advanceTimersByTime(2);
      expect(locks.holderOf(scope, 'l')).toBeUndefined();
      for (const value of BAD) await expect(locks.acquire(scope, 'l', 'b', { leaseMs: value })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(locks.acquire(scope, 'l', 'b', { leaseMs: 1000, timeoutMs: Number.POSITIVE_INFINITY })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      expect(locks.holderOf(scope, 'l')).toBeUndefined();
    } finally {
      locks.close();
      db.close();
    }
  });

  it('KV: a TTL of 2^40 ms keeps the value; NaN, Infinity, negative TTLs are refused and write nothing', () => {
    const db = openNodeDatabase(null);
    const kv = new KvStore(db);
    const scope = { tenant: 'acme', namespace: 'prod' };
    try {
      kv.put(scope, 'k', 'v', { ttlMs: LONGER });
      vi.setSystemTime(Date.now() + LONG); // KV TTLs are deadlines compared with the clock, not timers
      expect(kv.get(scope, 'k')).toBe('v');
      for (const value of BAD) expect(() => kv.put(scope, 'other', 'v', { ttlMs: value })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
      expect(kv.get(scope, 'other')).toBeUndefined();
    } finally {
      kv.close();
      db.close();
    }
  });

  it('channels: a visibility timeout of 2^31 ms does not redeliver early; long receive waits wait; bad timeouts are refused', async () => {
    const q = new QueueChannel<string>('jobs', { visibilityTimeoutMs: LONG });
    await q.send('m');
    const first = await q.receive({ consumer: 'c' });
    vi.advanceTimersByTime(LONG - 1);
    expect(q.stats()).toMatchObject({ inFlight: 1 });
    q.ack(first!.id);
    const waiting = q.receive({ timeoutMs: LONG });
    vi.advanceTimersByTime(LONG - 1);
    await q.send('n');
    expect((await waiting)?.message).toBe('n');
    for (const value of BAD) {
      await expect(q.receive({ timeoutMs: value })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(q.send('x', { timeoutMs: value })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    }
    expect(q.stats()).toMatchObject({ ready: 0 });
    expect(() => new QueueChannel('bad', { visibilityTimeoutMs: MAX_DURATION_MS + 1 })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    const topic = new TopicChannel<string>('news');
    await expect(topic.publish('x', { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    q.close();
    topic.close();
  });

  it('actor timers: sendAfter and interval of 2^31 ms fire on time, not at once; bad delays are refused', () => {
    const db = openNodeDatabase(null);
    const delivered: string[] = [];
    const timers = new TimerService((actor, type) => void delivered.push(`${actor}:${type}`), new SqliteReminderStore(db));
    try {
      timers.sendAfter('a', LONG, 'once', new Uint8Array());
      const every = timers.interval('a', LONG, 'tick', new Uint8Array());
      vi.advanceTimersByTime(LONG - 1);
      expect(delivered).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(delivered.sort()).toEqual(['a:once', 'a:tick']);
      vi.advanceTimersByTime(LONG);
      expect(delivered).toHaveLength(3);
      expect(timers.cancel(every)).toBe(true);
      for (const value of BAD) expect(() => timers.sendAfter('a', value, 'x', new Uint8Array())).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
      expect(() => timers.interval('a', 0, 'x', new Uint8Array())).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
      expect(timers.pendingTimers('a')).toBe(0);
    } finally {
      timers.close();
      db.close();
    }
  });
});
