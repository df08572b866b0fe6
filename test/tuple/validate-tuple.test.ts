import { describe, expect, it } from 'vitest';
import { DEFAULT_TUPLE_LIMITS, resolveTupleLimits } from '../../src/tuple/limits.js';
import { acceptTuple } from '../../src/tuple/validate-tuple.js';

function codeOf(fn: () => unknown): { code: string; path: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code: string; path: string };
    return { code: e.code, path: e.path };
  }
  throw new Error('expected a throw');
}

describe('acceptTuple', () => {
  it('accepts every field type of the contract and returns a frozen deep copy', () => {
    const record = { a: 1, nested: { b: [true, null] } };
    const input = ['s', 1.5, 7n, false, null, new Uint8Array([1, 2]), [1, [2, 'x']], record];
    const { tuple, hasBytes } = acceptTuple(input, DEFAULT_TUPLE_LIMITS);
    expect(tuple).toEqual(input);
    expect(hasBytes).toBe(true);
    expect(Object.isFrozen(tuple)).toBe(true);
    expect(Object.isFrozen(tuple[6])).toBe(true);
    expect(Object.isFrozen((tuple[7] as { nested: object }).nested)).toBe(true);
    record.a = 99;
    expect((tuple[7] as { a: number }).a).toBe(1);
  });

  it('rejects non-arrays and empty tuples', () => {
    expect(codeOf(() => acceptTuple('x', DEFAULT_TUPLE_LIMITS))).toEqual({ code: 'PLEX_ERR_INVALID_TUPLE', path: '[]' });
    expect(codeOf(() => acceptTuple([], DEFAULT_TUPLE_LIMITS))).toEqual({ code: 'PLEX_ERR_INVALID_TUPLE', path: '[]' });
  });

  it.each([
    ['undefined', [1, undefined], '[1]'],
    ['a function', ['f', () => 1], '[1]'],
    ['a symbol', [Symbol('x')], '[0]'],
    ['a Date', [new Date()], '[0]'],
    ['a Map', ['m', new Map()], '[1]'],
    ['a nested function', ['x', [1, { f: () => 0 }]], '[1][1].f'],
    ['an out-of-range bigint', [2n ** 63n], '[0]'],
    ['a __proto__ key', [JSON.parse('{"__proto__": 1}')], '[0].__proto__'],
  ])('rejects %s and names the position', (_what, input, path) => {
    expect(codeOf(() => acceptTuple(input, DEFAULT_TUPLE_LIMITS))).toEqual({ code: 'PLEX_ERR_INVALID_TUPLE', path });
  });

  it('rejects cycles', () => {
    const cyclic: unknown[] = ['a'];
    cyclic.push(cyclic);
    expect(codeOf(() => acceptTuple(cyclic, DEFAULT_TUPLE_LIMITS)).code).toBe('PLEX_ERR_INVALID_TUPLE');
    const obj: Record<string, unknown> = {};
    obj.self = obj;
    expect(codeOf(() => acceptTuple([obj], DEFAULT_TUPLE_LIMITS))).toEqual({ code: 'PLEX_ERR_INVALID_TUPLE', path: '[0].self' });
  });

  it('enforces depth, field-count and encoded-size limits', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(codeOf(() => acceptTuple([deep], DEFAULT_TUPLE_LIMITS)).code).toBe('PLEX_ERR_TUPLE_TOO_LARGE');
    expect(codeOf(() => acceptTuple(new Array(1025).fill(1), DEFAULT_TUPLE_LIMITS))).toEqual({ code: 'PLEX_ERR_TUPLE_TOO_LARGE', path: '[1024]' });
    expect(codeOf(() => acceptTuple(['x'.repeat(1024 * 1024)], DEFAULT_TUPLE_LIMITS)).code).toBe('PLEX_ERR_TUPLE_TOO_LARGE');
    // Just under the limit with ASCII: the 3-bytes-per-char bound is over, the exact size is not.
    expect(acceptTuple(['x'.repeat(1024 * 1024 - 64)], DEFAULT_TUPLE_LIMITS).tuple[0]).toHaveLength(1024 * 1024 - 64);
    const small = resolveTupleLimits({ maxDepth: 2 });
    expect(acceptTuple([[1]], small).tuple).toEqual([[1]]);
    expect(codeOf(() => acceptTuple([[[1]]], small))).toEqual({ code: 'PLEX_ERR_TUPLE_TOO_LARGE', path: '[0][0]' });
  });

  it('validates limit options by name', () => {
    expect(() => resolveTupleLimits({ maxDepth: 0 })).toThrow(/limits.maxDepth/);
  });
});
