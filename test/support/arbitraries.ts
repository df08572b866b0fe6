import fc from 'fast-check';
import { any } from '../../src/tuple/types.js';

/** Small value domains, so that random templates often hit random tuples. */
export const leaf = fc.oneof(
  fc.constantFrom('a', 'b', 'ab', '', '\u0000s'),
  fc.constantFrom(0, 1, 2, -0, 1.5, NaN, 2 ** 40, -1e300),
  fc.constantFrom(0n, 1n, -3n),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(new Uint8Array([1]), new Uint8Array([1, 2])),
);

export const field: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  field: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf, tie('array'), tie('record')),
  array: fc.array(tie('field'), { maxLength: 2 }),
  record: fc.dictionary(fc.constantFrom('x', 'y'), tie('field'), { maxKeys: 2 }),
})).field;

export const tuple = fc.array(field, { minLength: 1, maxLength: 3 });

const position: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(any),
  field.filter((f) => f !== null && !Array.isArray(f)),
  field.map((f) => ({ $eq: f })),
  fc.constantFrom('string', 'number', 'int', 'bool', 'bytes', 'array', 'object', 'null').map((t) => ({ $type: t })),
  fc.record({ $gte: fc.constantFrom(0, 1) }, { requiredKeys: [] }).map((r) => ({ $lt: 2, ...r })),
  fc.constantFrom('a', 'b').map((s) => ({ $gt: s })),
  fc.array(field, { minLength: 1, maxLength: 3 }).map((values) => ({ $in: values })),
  fc.constantFrom('a', '').map((p) => ({ $prefix: p })),
  fc.array(fc.oneof(fc.constant(null), leaf.filter((f) => f !== null)), { maxLength: 2 }),
);

export const template = fc.array(position, { minLength: 1, maxLength: 3 });

/** A template built from a tuple, with some positions made wildcards: guaranteed to match it. */
export const templateFor = (t: unknown[]) =>
  fc.array(fc.boolean(), { minLength: t.length, maxLength: t.length }).map((mask) =>
    t.map((f, i) => (mask[i] ? null : f === null ? { $eq: null } : Array.isArray(f) ? { $eq: f } : f)),
  );

/** A dense domain: few arities and values, so index buckets and `$in` unions are large and overlap. */
const denseLeaf = fc.constantFrom<unknown>('a', 'b', 'c', 1, 2, 2n, true, null);
export const denseTuple = fc.array(denseLeaf, { minLength: 1, maxLength: 2 });
export const denseTemplate = fc.array(
  fc.oneof(
    fc.constant(null),
    denseLeaf.filter((f) => f !== null),
    fc.uniqueArray(denseLeaf, { minLength: 2, maxLength: 3 }).map((values) => ({ $in: values })),
    fc.constantFrom('string', 'number', 'int').map((t) => ({ $type: t })),
  ),
  { minLength: 1, maxLength: 2 },
);
