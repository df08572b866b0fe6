import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import type { SpaceQuotaOptions } from '../../../src/space/space-quota.js';
import type { SpaceHarness, SpaceUnderTest } from './harness.js';

/** A harness that can make a space with quotas (in-process options, or the Redis space's `quota`). */
export interface QuotaHarness extends SpaceHarness {
  makeWithQuota(quota: SpaceQuotaOptions): Promise<SpaceUnderTest>;
}

const refused = (quota: string) => ({ code: ErrorCode.QuotaExceeded, quota });

/** Space quotas: a refusal is a typed error naming the quota, and changes nothing. */
export function quotaConformance(h: QuotaHarness): void {
  describe(`${h.label}: quotas`, () => {
    it('maxTuples refuses the write that would pass it, and a batch whole; room comes back with a take', async () => {
      const space = await h.makeWithQuota({ maxTuples: 3 });
      await space.writeAll([['t', 1], ['t', 2]]);
      await expect(space.writeAll([['t', 3], ['t', 4]])).rejects.toMatchObject(refused('tuplesPerSpace'));
      expect(await space.count(['t', null])).toBe(2);
      await space.write(['t', 3]);
      await expect(space.write(['t', 4])).rejects.toMatchObject(refused('tuplesPerSpace'));
      expect(await space.readAll(['t', null])).toEqual([['t', 1], ['t', 2], ['t', 3]]);
      await space.take(['t', 1]);
      await space.write(['t', 4]);
      expect(await space.count(['t', null])).toBe(3);
      await space.close();
    });

    it('a full space still hands a single write to a blocked taker (it is never stored)', async () => {
      const space = await h.makeWithQuota({ maxTuples: 1 });
      await space.write(['full', 0]);
      const taken = space.take(['job', null], { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await space.write(['job', 1]);
      expect(await taken).toEqual(['job', 1]);
      await expect(space.write(['job', 2])).rejects.toMatchObject(refused('tuplesPerSpace'));
      await space.close();
    });

    it('maxBytes counts the stored tuples and frees what is taken', async () => {
      // How a tuple's bytes are counted is the implementation's (in process: an upper bound; Redis: exact), so fill until refused.
      const space = await h.makeWithQuota({ maxBytes: 2_000 });
      const big = 'x'.repeat(100);
      let stored = 0;
      let refusal: unknown;
      while (refusal === undefined && stored < 100) {
        await space.write(['blob', stored, big]).then(() => stored++, (error: unknown) => (refusal = error));
      }
      expect(refusal).toMatchObject(refused('bytesPerSpace'));
      expect(stored).toBeGreaterThan(1);
      expect(await space.count(['blob', null, null])).toBe(stored);
      await space.take(['blob', 0, null]);
      await space.write(['blob', stored, big]);
      expect(await space.count(['blob', null, null])).toBe(stored);
      await expect(space.write(['blob', stored + 1, big])).rejects.toMatchObject(refused('bytesPerSpace'));
      await space.close();
    });

    it('maxWaiters refuses the blocked call past it; a served waiter frees its place', async () => {
      const space = await h.makeWithQuota({ maxWaiters: 2 });
      const first = space.take(['w', 1], { timeoutMs: 10_000 });
      const second = space.read(['w', 2], { timeoutMs: 10_000 });
      // Time for both to be filed (on Redis, a script each): 50 ms ran out on a loaded CI machine.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expect(space.take(['w', 3], { timeoutMs: 10_000 })).rejects.toMatchObject(refused('waitersPerSpace'));
      expect(await space.tryTake(['w', 3])).toBeNull(); // a call that does not wait is never refused
      await space.write(['w', 1]);
      expect(await first).toEqual(['w', 1]);
      const third = space.take(['w', 3], { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await space.writeAll([['w', 2], ['w', 3]]);
      expect([await second, await third]).toEqual([['w', 2], ['w', 3]]);
      await space.close();
    });
  });
}
