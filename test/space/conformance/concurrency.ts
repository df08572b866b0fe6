import { describe, expect, it } from 'vitest';
import { any } from '../../../src/tuple/types.js';
import type { SpaceHarness } from './harness.js';

/** Many concurrent takers: exactly-once hand-out, FIFO service, nothing left after timeouts and aborts. */
export function concurrencyConformance(h: SpaceHarness): void {
  describe('concurrent takers', () => {
    it('never hand the same tuple to two takers, whether blocked or not', async () => {
      const space = await h.make();
      const n = 2000;
      // Half the takers block before any write; half race the writes.
      const early = Array.from({ length: n / 2 }, () => space.take(['task', any], { timeoutMs: 10_000 }));
      const writes: Promise<void>[] = [];
      const late: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        writes.push(space.write(['task', i]));
        if (i % 2 === 0) late.push(space.take(['task', any], { timeoutMs: 10_000 }));
      }
      await Promise.all(writes);
      const got = (await Promise.all([...early, ...late])) as [string, number][];
      const ids = got.map((t) => t[1]);
      expect(new Set(ids).size).toBe(n);
      expect(ids.slice(0, n / 2)).toEqual(Array.from({ length: n / 2 }, (_, i) => i));
      expect(await h.stats(space)).toMatchObject({ tuples: 0, waiters: 0, timers: 0 });
      await space.close();
    });

    it('serves many blocked takers FIFO across interleaved writes', async () => {
      const space = await h.make();
      const served: number[] = [];
      const takers = Array.from({ length: 100 }, (_, i) => space.take(['slot']).then(() => served.push(i)));
      for (let i = 0; i < 100; i++) await space.write(['slot']);
      await Promise.all(takers);
      expect(served).toEqual(Array.from({ length: 100 }, (_, i) => i));
      await space.close();
    });

    it('leaves nothing behind after a storm of timeouts and aborts', async () => {
      const space = await h.make();
      const controllers = Array.from({ length: 200 }, () => new AbortController());
      const ops = controllers.map((c, i) =>
        i % 2 === 0
          ? space.take(['x', i], { signal: c.signal }).catch((e) => e.code)
          : space.read(['x', any], { timeoutMs: 1 + (i % 5) }),
      );
      controllers.forEach((c, i) => i % 2 === 0 && c.abort());
      const results = await Promise.all(ops);
      expect(results.filter((r) => r === 'PLEX_ERR_ABORTED')).toHaveLength(100);
      expect(results.filter((r) => r === null)).toHaveLength(100);
      expect(await h.stats(space)).toMatchObject({ waiters: 0, timers: 0 });
      await space.close();
    });
  });
}
