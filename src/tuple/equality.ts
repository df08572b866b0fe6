import type { Field } from './types.js';

/**
 * Deep equality of fields, the meaning of "an actual value matches" in
 * DESIGN.md §3. Numbers and bigints never equal each other; numbers compare
 * with SameValueZero (so `NaN` equals `NaN` and `-0` equals `0`, agreeing
 * with the `Map` keys the index uses); records ignore key order.
 */
export function fieldsEqual(a: Field, b: Field): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // Only NaN is unequal to itself among primitives.
    return typeof a === 'number' && typeof b === 'number' && a !== a && b !== b;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!fieldsEqual(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(b) || b instanceof Uint8Array) return false;
  const ra = a as { readonly [key: string]: Field };
  const rb = b as { readonly [key: string]: Field };
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(rb, key) || !fieldsEqual(ra[key], rb[key])) return false;
  }
  return true;
}
