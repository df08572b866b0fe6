import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import type { Delivery } from '../../../src/space/deliveries.js';
import type { AckTakeOptions } from '../../../src/space/tuple-space.js';
import type { SpaceQuotaOptions } from '../../../src/space/space-quota.js';
import type { Template } from '../../../src/tuple/types.js';
import type { SpaceHarness, SpaceUnderTest } from './harness.js';

/** What the suite needs beyond the shared operations: crash-safe takes, and a space with a quota. */
export interface AckWithHarness extends SpaceHarness {
  makeWithQuota(quota: SpaceQuotaOptions): Promise<SpaceUnderTest>;
}
type AckSpace = SpaceUnderTest & { take(template: Template, options: AckTakeOptions): Promise<Delivery | null> };
const delivered = async (space: SpaceUnderTest, template: Template, leaseMs = 10_000) => (await (space as AckSpace).take(template, { ack: true, leaseMs, timeoutMs: 2000 }))!;

/**
 * `delivery.ackWith(tuples)`: the ack and the writes are one step — the
 * exactly-once step of a pipeline stage. A refusal changes nothing and
 * leaves the delivery open; an ended lease writes nothing.
 */
export function ackWithConformance(h: AckWithHarness): void {
  describe(`${h.label}: ackWith`, () => {
    it('consumes the input and writes the outputs, in order, waking a blocked taker', async () => {
      const space = await h.make();
      await space.write(['in', 1]);
      const d = await delivered(space, ['in', null]);
      const waiting = space.take(['out', 1, null], { timeoutMs: 5000 });
      await d.ackWith([['out', 1, 'a'], ['out', 1, 'b'], ['side', 1]]);
      expect(await waiting).toEqual(['out', 1, 'a']);
      expect(await space.readAll(['out', null, null])).toEqual([['out', 1, 'b']]);
      expect(await space.count(['side', 1])).toBe(1);
      expect(await space.tryRead(['in', null])).toBeNull();
      await expect(d.ack()).rejects.toMatchObject({ code: ErrorCode.AlreadySettled });
      // No outputs at all is a plain ack.
      await space.write(['in', 2]);
      await (await delivered(space, ['in', null])).ackWith([]);
      expect(await space.count(['in', null])).toBe(0);
      await space.close();
    });

    it('an invalid output refuses the whole step: nothing written, the delivery still open and ackable', async () => {
      const space = await h.make();
      await space.write(['in', 1]);
      const d = await delivered(space, ['in', null]);
      await expect(d.ackWith([['ok', 1], [] as never])).rejects.toMatchObject({ code: ErrorCode.InvalidTuple, path: '[1]' });
      await expect(d.ackWith([['ok', 1]], { ttlMs: -1 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
      expect(await space.count(['ok', null])).toBe(0);
      await d.nack();
      expect(await space.readAll(['in', null])).toEqual([['in', 1]]);
      await space.close();
    });

    it('after the lease ended it writes nothing and the input is back', async () => {
      const space = await h.make();
      await space.write(['in', 1]);
      const d = await delivered(space, ['in', null], 30);
      await new Promise((r) => setTimeout(r, 120));
      await expect(d.ackWith([['out', 1]])).rejects.toMatchObject({ code: ErrorCode.LeaseExpired });
      expect(await space.count(['out', null])).toBe(0);
      expect(await space.readAll(['in', null])).toEqual([['in', 1]]);
      await space.close();
    });

    it('a quota refusal changes nothing and leaves the delivery open', async () => {
      const space = await h.makeWithQuota({ maxTuples: 2 });
      await space.writeAll([['in', 1], ['in', 2]]);
      const d = await delivered(space, ['in', 1]);
      await expect(d.ackWith([['out', 1], ['out', 2]])).rejects.toMatchObject({ code: ErrorCode.QuotaExceeded });
      expect(await space.count(['out', null])).toBe(0);
      await d.ackWith([['out', 1]]);
      expect(await space.readAll(['out', null])).toEqual([['out', 1]]);
      expect(await space.readAll(['in', null])).toEqual([['in', 2]]);
      await space.close();
    });
  });
}
