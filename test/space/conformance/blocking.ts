import { afterEach, describe, expect, it } from 'vitest';
import { any } from '../../../src/tuple/types.js';
import type { SpaceHarness, SpaceUnderTest } from './harness.js';

/** Blocking read and take, FIFO, timeouts, abort, bad input and bulk operations, against any space. */
export function blockingConformance(h: SpaceHarness): void {
  let space!: SpaceUnderTest;
  afterEach(async () => {
    await space?.close();
  });

  async function expectNoLeftovers(s: SpaceUnderTest): Promise<void> {
    const stats = await h.stats(s);
    expect(stats.waiters).toBe(0);
    expect(stats.timers).toBe(0);
  }

  describe('blocking read and take', () => {
    it('returns the oldest match first (FIFO results)', async () => {
      space = await h.make();
      await space.writeAll([['t', 1], ['t', 2], ['u', 0], ['t', 3]]);
      expect(await space.take(['t', any])).toEqual(['t', 1]);
      expect(await space.read(['t', any])).toEqual(['t', 2]);
      expect(await space.take(['t', any])).toEqual(['t', 2]);
      expect(await space.take(['t', any])).toEqual(['t', 3]);
    });

    it('a write wakes every matching reader and exactly one taker, the oldest', async () => {
      space = await h.make();
      const order: string[] = [];
      const takers = [1, 2, 3].map((i) => space.take(['job', any]).then((t) => (order.push(`taker${i}`), t)));
      const readers = [1, 2].map((i) => space.read(['job', any]).then((t) => (order.push(`reader${i}`), t)));
      await space.write(['job', 'A']);
      await expect(Promise.all(readers)).resolves.toEqual([['job', 'A'], ['job', 'A']]);
      await expect(takers[0]).resolves.toEqual(['job', 'A']);
      expect((await h.stats(space)).waiters).toBe(2);
      expect(await space.count(['job', any])).toBe(0);
      await space.write(['job', 'B']);
      await space.write(['job', 'C']);
      await expect(takers[1]).resolves.toEqual(['job', 'B']);
      await expect(takers[2]).resolves.toEqual(['job', 'C']);
      expect(order).toEqual(['reader1', 'reader2', 'taker1', 'taker2', 'taker3']);
      await expectNoLeftovers(space);
    });

    it('serves blocked takers in arrival order even when filed under different positions', async () => {
      space = await h.make();
      // Different templates, so the registry files them in different buckets.
      const first = space.take(['k', any, 'z']);
      const second = space.take([any, 7, any]);
      const third = space.take(['k', 7, any]);
      await space.write(['k', 7, 'z']);
      await expect(first).resolves.toEqual(['k', 7, 'z']);
      await space.write(['k', 7, 'y']);
      await expect(second).resolves.toEqual(['k', 7, 'y']);
      await space.write(['k', 7, 'x']);
      await expect(third).resolves.toEqual(['k', 7, 'x']);
    });

    it('a write that a taker consumes is not stored', async () => {
      space = await h.make();
      const taker = space.take(['x']);
      await space.write(['x']);
      await taker;
      expect((await h.stats(space)).tuples).toBe(0);
    });

    it('resolves null on timeout and leaves no waiter or timer behind', async () => {
      space = await h.make();
      expect(await space.take(['never'], { timeoutMs: 5 })).toBeNull();
      expect(await space.read(['never'], { timeoutMs: 0 })).toBeNull();
      await expectNoLeftovers(space);
    });

    it('rejects with AbortError on abort and leaves no waiter behind', async () => {
      space = await h.make();
      const controller = new AbortController();
      const pending = space.take(['never'], { signal: controller.signal, timeoutMs: 60_000 });
      expect((await h.stats(space)).waiters).toBe(1);
      controller.abort(new Error('user cancelled'));
      await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'PLEX_ERR_ABORTED' });
      await expectNoLeftovers(space);
      await expect(space.read(['x'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
      // The aborted taker did not consume a later write.
      await space.write(['never']);
      expect(await space.count(['never'])).toBe(1);
    });

    it('rejects bad templates and options with typed errors and changes nothing', async () => {
      space = await h.make();
      await space.write(['a', 1]);
      await expect(space.take(['a', { $bogus: 1 }] as never)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TEMPLATE', path: '[1]' });
      await expect(space.take(['a', any], { timeoutMs: -1 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(space.write(['a', () => 1] as never)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE', path: '[1]' });
      await expect(space.writeAll([['ok'], ['bad', undefined]] as never)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE', path: '[1][1]' });
      await expect(space.write(['big', 'x'.repeat(2 * 1024 * 1024)])).rejects.toMatchObject({ code: 'PLEX_ERR_TUPLE_TOO_LARGE' });
      await expect(space.readAll(['a', any], { limit: -2 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      expect(await space.readAll([any, any])).toEqual([['a', 1]]);
      expect(await space.count([any])).toBe(0);
      await expectNoLeftovers(space);
    });

    it('hands out frozen tuples, and copies of bytes, so callers cannot corrupt the store', async () => {
      space = await h.make();
      const input = ['blob', new Uint8Array([1, 2, 3]), [1, 2]];
      await space.write(input as never);
      (input[2] as number[])[0] = 99;
      const first = (await space.read(['blob', any, any]))!;
      expect(Object.isFrozen(first)).toBe(true);
      (first[1] as Uint8Array)[0] = 42;
      expect(await space.read(['blob', new Uint8Array([1, 2, 3]), [1, 2]])).not.toBeNull();
    });
  });

  describe('bulk operations', () => {
    it('readAll, takeAll and count honour limit and order', async () => {
      space = await h.make();
      await space.writeAll([1, 2, 3, 4, 5].map((i) => ['n', i]));
      await space.write(['other', 1]);
      expect(await space.readAll(['n', any], { limit: 2 })).toEqual([['n', 1], ['n', 2]]);
      expect(await space.count(['n', { $gt: 2 }])).toBe(3);
      expect(await space.takeAll(['n', { $gt: 2 }], { limit: 2 })).toEqual([['n', 3], ['n', 4]]);
      expect(await space.takeAll(['n', any])).toEqual([['n', 1], ['n', 2], ['n', 5]]);
      expect(await space.count([any, any])).toBe(1);
    });

    it('writeAll wakes waiters for each tuple', async () => {
      space = await h.make();
      const a = space.take(['a']);
      const b = space.take(['b']);
      await space.writeAll([['b'], ['a'], ['a']]);
      expect(await Promise.all([a, b])).toEqual([['a'], ['b']]);
      expect(await space.count(['a'])).toBe(1);
    });
  });
}
