import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { denseTemplate, denseTuple, field, template, templateFor, tuple } from '../../support/arbitraries.js';
import { ReferenceSpace, withoutNegativeZero } from '../../support/reference-space.js';
import type { SpaceHarness } from './harness.js';

type Op =
  | { op: 'write'; tuple: unknown[] }
  | { op: 'tryRead' | 'tryTake' | 'count'; template: unknown[] }
  | { op: 'readAll' | 'takeAll'; template: unknown[]; limit?: number };

function opsOver(tuple: fc.Arbitrary<unknown[]>, template: fc.Arbitrary<unknown[]>): fc.Arbitrary<Op> {
  return fc.oneof(
  { weight: 4, arbitrary: tuple.map((t) => ({ op: 'write' as const, tuple: t })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('tryRead', 'tryTake', 'count') as fc.Arbitrary<'tryRead' | 'tryTake' | 'count'>, template).map(([o, t]) => ({ op: o, template: t })) },
  { weight: 2, arbitrary: tuple.chain(templateFor).map((t) => ({ op: 'tryTake' as const, template: t })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('readAll', 'takeAll') as fc.Arbitrary<'readAll' | 'takeAll'>, template, fc.option(fc.nat(3), { nil: undefined }))
      .map(([o, t, limit]) => ({ op: o, template: t, limit })),
  },
  );
}

/** The space returns exactly what a linear-scan oracle returns, in the same order (fast-check). */
export function indexPropertyConformance(h: SpaceHarness): void {
  describe('the pattern index agrees with a linear-scan oracle', () => {
    it.each([
      ['a varied domain', opsOver(tuple, template)],
      ['a dense domain', opsOver(denseTuple, denseTemplate)],
    ])('returns exactly what the oracle returns, in the same order, over %s', async (_domain, op) => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 80, size: 'max' }), async (ops) => {
          const space = await h.make();
          const oracle = new ReferenceSpace();
          for (const o of ops) {
            switch (o.op) {
              case 'write':
                await space.write(o.tuple as never);
                oracle.write(o.tuple);
                break;
              case 'tryRead':
                expect(await space.tryRead(o.template as never)).toEqual(oracle.tryRead(o.template));
                break;
              case 'tryTake':
                expect(await space.tryTake(o.template as never)).toEqual(oracle.tryTake(o.template));
                break;
              case 'count':
                expect(await space.count(o.template as never)).toBe(oracle.readAll(o.template).length);
                break;
              case 'readAll':
                expect(await space.readAll(o.template as never, { limit: o.limit })).toEqual(oracle.readAll(o.template, o.limit));
                break;
              case 'takeAll':
                expect(await space.takeAll(o.template as never, { limit: o.limit })).toEqual(oracle.takeAll(o.template, o.limit));
                break;
            }
          }
          expect(await space.readAll([null, null, null])).toEqual(oracle.readAll([null, null, null]));
          await space.close();
        }),
        { numRuns: 400 },
      );
    });

    it('finds every written tuple with a template built from it', async () => {
      await fc.assert(
        fc.asyncProperty(tuple.chain((t) => fc.tuple(fc.constant(t), templateFor(t))), fc.array(tuple, { maxLength: 20, size: 'max' }), async ([t, tpl], noise) => {
          const space = await h.make();
          await space.writeAll(noise as never);
          await space.write(t as never);
          const found = await space.readAll(tpl as never);
          expect(found).toContainEqual(withoutNegativeZero(t));
          await space.close();
        }),
        { numRuns: 200 },
      );
    });

    it('keeps fields distinct that only look alike (1 vs 1n, "" vs null, bytes vs arrays)', async () => {
      await fc.assert(
        fc.asyncProperty(field, field, async (a, b) => {
          const space = await h.make();
          await space.write(['k', a as never]);
          const oracle = new ReferenceSpace();
          oracle.write(['k', a]);
          const tpl = ['k', b === null ? { $eq: null } : Array.isArray(b) ? { $eq: b } : b];
          expect(await space.count(tpl as never)).toBe(oracle.readAll(tpl).length);
          await space.close();
        }),
        { numRuns: 500 },
      );
    });
  });
}
