import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TupleSpace } from '../../src/space/tuple-space.js';
import { any } from '../../src/tuple/types.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('crash-safe take (ack: true)', () => {
  it('ack consumes the tuple for good', async () => {
    const space = new TupleSpace();
    await space.write(['job', 1]);
    const d = (await space.take(['job', any], { ack: true, leaseMs: 1000 }))!;
    expect(d.tuple).toEqual(['job', 1]);
    expect(d.deliveries).toBe(1);
    expect(await space.count(['job', any])).toBe(0);
    expect(space.stats().inflight).toBe(1);
    await d.ack();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await space.count(['job', any])).toBe(0);
    expect(space.stats()).toMatchObject({ inflight: 0, timers: 0 });
    await expect(d.ack()).rejects.toMatchObject({ code: 'PLEX_ERR_ALREADY_SETTLED' });
    await space.close();
  });

  it('an unacked tuple returns when its lease ends, one delivery older', async () => {
    const space = new TupleSpace();
    await space.write(['job', 1]);
    const d1 = (await space.take(['job', any], { ack: true, leaseMs: 100 }))!;
    await vi.advanceTimersByTimeAsync(100);
    await expect(d1.ack()).rejects.toMatchObject({ code: 'PLEX_ERR_LEASE_EXPIRED' });
    const d2 = (await space.take(['job', any], { ack: true, leaseMs: 100 }))!;
    expect(d2.tuple).toEqual(['job', 1]);
    expect(d2.deliveries).toBe(2);
    await d2.ack();
    await space.close();
  });

  it('nack returns the tuple at once and wakes a blocked taker', async () => {
    const space = new TupleSpace();
    await space.write(['job', 1]);
    const d = (await space.take(['job', any], { ack: true }))!;
    const waiting = space.take(['job', any]);
    await d.nack();
    expect(await waiting).toEqual(['job', 1]);
    await space.close();
  });

  it('a blocked crash-safe taker gets a delivery when the write arrives', async () => {
    const space = new TupleSpace();
    const pending = space.take(['job', any], { ack: true, leaseMs: 50 });
    await space.write(['job', 'w']);
    const d = (await pending)!;
    expect(d.tuple).toEqual(['job', 'w']);
    await vi.advanceTimersByTimeAsync(50);
    expect(await space.tryRead(['job', any])).toEqual(['job', 'w']);
    await space.close();
  });

  it('moves a tuple to the dead-letter space after maxDeliveries instead of looping forever', async () => {
    const space = new TupleSpace({ maxDeliveries: 3 });
    await space.write(['poison']);
    for (let i = 1; i <= 3; i++) {
      const d = (await space.take(['poison'], { ack: true, leaseMs: 10 }))!;
      expect(d.deliveries).toBe(i);
      await d.nack();
    }
    expect(await space.tryTake(['poison'])).toBeNull();
    expect(await space.deadLetters.tryTake(['poison'])).toEqual(['poison']);
    expect(space.stats()).toMatchObject({ inflight: 0, timers: 0 });
    await space.close();
  });

  it('releaseHolder returns every tuple a closed holder had', async () => {
    const space = new TupleSpace();
    await space.writeAll([['t', 1], ['t', 2], ['t', 3]]);
    await space.take(['t', any], { ack: true, holder: 'conn-1' });
    await space.take(['t', any], { ack: true, holder: 'conn-1' });
    const kept = (await space.tryTake(['t', any], { ack: true, holder: 'conn-2' }))!;
    expect(await space.releaseHolder('conn-1')).toBe(2);
    expect(await space.readAll(['t', any])).toEqual([['t', 1], ['t', 2]]);
    await kept.ack();
    expect(space.stats().inflight).toBe(0);
    await space.close();
  });

  it('heldBy counts what a holder holds: up on each take, down on ack, nack and a lapsed lease', async () => {
    const space = new TupleSpace();
    await space.writeAll([['t', 1], ['t', 2], ['t', 3]]);
    const first = (await space.take(['t', any], { ack: true, holder: 'stage', leaseMs: 1_000 }))!;
    const second = (await space.take(['t', any], { ack: true, holder: 'stage', leaseMs: 5_000 }))!;
    await space.take(['t', any], { ack: true, holder: 'other', leaseMs: 5_000 });
    expect([await space.heldBy('stage'), await space.heldBy('other'), await space.heldBy('nobody')]).toEqual([2, 1, 0]);
    await second.nack();
    expect(await space.heldBy('stage')).toBe(1);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(await space.heldBy('stage')).toBe(0);
    await expect(first.ack()).rejects.toMatchObject({ code: 'PLEX_ERR_LEASE_EXPIRED' });
    await expect(space.heldBy(7 as never)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await space.close();
  });

  it('rejects a bad leaseMs without taking anything', async () => {
    const space = new TupleSpace();
    await space.write(['a']);
    await expect(space.take(['a'], { ack: true, leaseMs: -1 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(await space.count(['a'])).toBe(1);
    await space.close();
  });
});
