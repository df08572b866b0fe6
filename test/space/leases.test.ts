import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TupleSpace } from '../../src/space/tuple-space.js';
import { any } from '../../src/tuple/types.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('tuple leases (ttlMs)', () => {
  it('expires tuples: they are never returned, and watchers see expire', async () => {
    const space = new TupleSpace();
    const events: string[] = [];
    const watch = space.watch(['lease', any]);
    const consumer = (async () => {
      for await (const e of watch) events.push(`${e.type}:${e.type === 'overflow' ? '' : e.tuple[1]}`);
    })();
    await space.write(['lease', 'short'], { ttlMs: 100 });
    await space.write(['lease', 'long'], { ttlMs: 1_000 });
    await space.write(['lease', 'forever']);
    expect(await space.count(['lease', any])).toBe(3);
    await vi.advanceTimersByTimeAsync(150);
    expect(await space.readAll(['lease', any])).toEqual([['lease', 'long'], ['lease', 'forever']]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await space.take(['lease', any])).toEqual(['lease', 'forever']);
    expect(space.stats()).toMatchObject({ tuples: 0, leased: 0, timers: 0 });
    await space.close();
    await consumer.catch(() => undefined);
    expect(events).toEqual(['write:short', 'write:long', 'write:forever', 'expire:short', 'expire:long', 'take:forever']);
  });

  it('never returns a tuple whose lease ended even before the expiry timer ran', async () => {
    let now = 1_000_000;
    const space = new TupleSpace({ clock: () => now });
    await space.write(['k'], { ttlMs: 10 });
    now += 10;
    expect(await space.tryRead(['k'])).toBeNull();
    expect(await space.count(['k'])).toBe(0);
    expect(space.stats().tuples).toBe(0);
    await space.close();
  });

  it('a tuple with a lease still satisfies a blocked taker at once', async () => {
    const space = new TupleSpace();
    const taker = space.take(['job']);
    await space.write(['job'], { ttlMs: 5 });
    expect(await taker).toEqual(['job']);
    await vi.advanceTimersByTimeAsync(10);
    expect(space.stats()).toMatchObject({ tuples: 0, timers: 0 });
    await space.close();
  });

  it('rejects a negative or non-finite ttlMs', async () => {
    const space = new TupleSpace();
    await expect(space.write(['x'], { ttlMs: -5 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(space.write(['x'], { ttlMs: Infinity })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(space.stats().tuples).toBe(0);
    await space.close();
  });
});
