import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../../src/space/watch.js';
import { any } from '../../../src/tuple/types.js';
import type { SpaceHarness } from './harness.js';

/** Watch: event types and filtering, includeExisting, both overflow policies, abort and close, bad options. */
export function watchConformance(h: SpaceHarness): void {
  async function drain(iter: AsyncIterator<WatchEvent>, n: number): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    for (let i = 0; i < n; i++) out.push((await iter.next()).value);
    return out;
  }

  describe('watch', () => {
    it('streams write and take events of matching tuples only, filtered by type', async () => {
      const space = await h.make();
      const all = space.watch(['order', any]);
      const takesOnly = space.watch(['order', any], { events: ['take'] });
      await space.write(['order', 1]);
      await space.write(['other', 1]);
      await space.take(['order', 1]);
      expect(await drain(all, 2)).toEqual([
        { type: 'write', tuple: ['order', 1] },
        { type: 'take', tuple: ['order', 1] },
      ]);
      expect(await drain(takesOnly, 1)).toEqual([{ type: 'take', tuple: ['order', 1] }]);
      await all.return!();
      await takesOnly.return!();
      expect((await h.stats(space)).watchers).toBe(0);
      await space.close();
    });

    it('includeExisting replays current tuples first', async () => {
      const space = await h.make();
      await space.writeAll([['a', 1], ['a', 2]]);
      const w = space.watch(['a', any], { includeExisting: true });
      await space.write(['a', 3]);
      expect((await drain(w, 3)).map((e) => (e as { tuple: readonly unknown[] }).tuple[1])).toEqual([1, 2, 3]);
      await space.close();
    });

    it('drop-oldest keeps the newest events and reports how many were dropped', async () => {
      const space = await h.make();
      const w = space.watch(['n', any], { bufferSize: 3 });
      for (let i = 0; i < 10; i++) await space.write(['n', i]);
      await h.settleWatchers(space);
      const events = await drain(w, 4);
      expect(events[0]).toEqual({ type: 'overflow', dropped: 7 });
      expect(events.slice(1).map((e) => (e as { tuple: readonly unknown[] }).tuple[1])).toEqual([7, 8, 9]);
      await space.close();
    });

    it("overflow: 'error' delivers the buffer, then throws WatchOverflowError and detaches", async () => {
      const space = await h.make();
      const w = space.watch(['n', any], { bufferSize: 2, overflow: 'error' });
      for (let i = 0; i < 5; i++) await space.write(['n', i]);
      await h.settleWatchers(space);
      expect((await h.stats(space)).watchers).toBe(0);
      expect(await drain(w, 2)).toHaveLength(2);
      await expect(w.next()).rejects.toMatchObject({ code: 'PLEX_ERR_WATCH_OVERFLOW' });
      expect(await w.next()).toEqual({ value: undefined, done: true });
      await space.close();
    });

    it('ends with AbortError on abort and SpaceClosedError on close', async () => {
      const space = await h.make();
      const controller = new AbortController();
      const aborted = space.watch(['x'], { signal: controller.signal });
      const pending = aborted.next();
      controller.abort();
      await expect(pending).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
      const closed = space.watch(['x']);
      const waiting = closed.next();
      await space.close();
      await expect(waiting).rejects.toMatchObject({ code: 'PLEX_ERR_SPACE_CLOSED' });
    });

    it('rejects bad options', async () => {
      const space = await h.make();
      expect(() => space.watch(['x'], { events: ['nope' as never] })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
      expect(() => space.watch(['x'], { bufferSize: 0 })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
      expect(() => space.watch([] as never)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_TEMPLATE' }));
      expect((await h.stats(space)).watchers).toBe(0);
    });
  });
}
