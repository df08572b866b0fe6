import { describe, expect, it } from 'vitest';
import { DEFAULT_TUPLE_LIMITS } from '../../src/tuple/limits.js';
import { compileTemplate } from '../../src/tuple/template.js';
import { any, type Template, type Tuple } from '../../src/tuple/types.js';

const matches = (template: Template, tuple: Tuple) => compileTemplate(template, DEFAULT_TUPLE_LIMITS).matches(tuple);

function errorOf(fn: () => unknown): { code: string; path: string } {
  try {
    fn();
  } catch (error) {
    return { code: (error as { code: string }).code, path: (error as { path: string }).path };
  }
  throw new Error('expected a throw');
}

describe('template matching', () => {
  it('matches actual values by deep equality, keeping number and bigint apart', () => {
    expect(matches(['a', 1], ['a', 1])).toBe(true);
    expect(matches(['a', 1], ['a', 1n])).toBe(false);
    expect(matches(['a', 1n], ['a', 1n])).toBe(true);
    expect(matches([{ x: [1, 2] }], [{ x: [1, 2] }])).toBe(true);
    expect(matches([{ x: 1, y: 2 }], [{ y: 2, x: 1 }])).toBe(true);
    expect(matches([{ x: 1 }], [{ x: 1, y: 2 }])).toBe(false);
    expect(matches([new Uint8Array([1, 2])], [new Uint8Array([1, 2])])).toBe(true);
    expect(matches([new Uint8Array([1, 2])], [[1, 2]])).toBe(false);
    expect(matches([NaN], [NaN])).toBe(true);
  });

  it('treats null and any as wildcards of the same arity', () => {
    expect(matches(['order', null, 'pending', any], ['order', 5, 'pending', { items: [] }])).toBe(true);
    expect(matches(['order', null], ['order', 5, 'pending'])).toBe(false);
    expect(matches([null], [null])).toBe(true);
  });

  it('matches a literal null only through $eq or $type', () => {
    expect(matches([{ $eq: null }], [null])).toBe(true);
    expect(matches([{ $eq: null }], [0])).toBe(false);
    expect(matches([{ $type: 'null' }], [null])).toBe(true);
  });

  it('supports every operator', () => {
    expect(matches([{ $type: 'int' }], [5n])).toBe(true);
    expect(matches([{ $type: 'number' }], [5n])).toBe(false);
    expect(matches([{ $type: 'bytes' }], [new Uint8Array()])).toBe(true);
    expect(matches([{ $type: 'object' }], [[1]])).toBe(false);
    expect(matches([{ $gte: 2, $lt: 5 }], [4])).toBe(true);
    expect(matches([{ $gte: 2, $lt: 5 }], [5])).toBe(false);
    expect(matches([{ $gt: 'b' }], ['c'])).toBe(true);
    expect(matches([{ $gt: 2 }], ['3'])).toBe(false);
    expect(matches([{ $lte: 10n }], [10n])).toBe(true);
    expect(matches([{ $in: ['a', 2, [3]] }], [[3]])).toBe(true);
    expect(matches([{ $in: ['a', 2] }], ['2'])).toBe(false);
    expect(matches([{ $prefix: 'ab' }], ['abc'])).toBe(true);
    expect(matches([{ $prefix: 'ab' }], [7])).toBe(false);
    expect(matches([{ $eq: { $weird: 1 } }], [{ $weird: 1 }])).toBe(true);
  });

  it('matches nested array templates positionally', () => {
    expect(matches(['m', [1, null, { $gt: 2 }]], ['m', [1, 'x', 3]])).toBe(true);
    expect(matches(['m', [1, null, { $gt: 2 }]], ['m', [1, 'x', 3, 4]])).toBe(false);
    expect(matches(['m', [1, null]], ['m', 'no'])).toBe(false);
  });

  it('records which positions the index can look up', () => {
    const c = compileTemplate(['job', null, { $in: [1, 2] }, ['a', 'b'], { $gt: 1 }], DEFAULT_TUPLE_LIMITS);
    expect(c.keyed.map((k) => k.pos)).toEqual([0, 3]);
    expect(c.keySets.map((k) => k.pos)).toEqual([2]);
  });

  it.each([
    ['an unknown operator', [{ $regex: 'a' }], '[0]'],
    ['a bad $type', ['x', { $type: 'float' }], '[1]'],
    ['an empty $in', [{ $in: [] }], '[0].$in'],
    ['a non-string $prefix', [{ $prefix: 3 }], '[0].$prefix'],
    ['mixed range bound types', [{ $gt: 1, $lt: 'z' }], '[0]'],
    ['range mixed with $type', [{ $gt: 1, $type: 'number' }], '[0]'],
    ['operators mixed with keys', [{ $eq: 1, plain: 2 }], '[0]'],
    ['a function', ['a', () => 1], '[1]'],
    ['undefined', [undefined], '[0]'],
    ['a bad $in item', [{ $in: [1, () => 2] }], '[0].$in[1]'],
  ])('rejects %s with PLEX_ERR_INVALID_TEMPLATE naming the position', (_what, template, path) => {
    expect(errorOf(() => compileTemplate(template, DEFAULT_TUPLE_LIMITS))).toEqual({ code: 'PLEX_ERR_INVALID_TEMPLATE', path });
  });

  it('rejects empty and non-array templates, and cycles', () => {
    expect(errorOf(() => compileTemplate([], DEFAULT_TUPLE_LIMITS)).code).toBe('PLEX_ERR_INVALID_TEMPLATE');
    expect(errorOf(() => compileTemplate({ a: 1 }, DEFAULT_TUPLE_LIMITS)).code).toBe('PLEX_ERR_INVALID_TEMPLATE');
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(errorOf(() => compileTemplate(['x', cyclic], DEFAULT_TUPLE_LIMITS)).code).toBe('PLEX_ERR_INVALID_TEMPLATE');
  });
});
