import type { Field } from './types.js';

/** The kind of a field, as named by the `$type` operator. `undefined` for a value that is not a field. */
export type FieldKind = 'string' | 'number' | 'int' | 'bool' | 'bytes' | 'array' | 'object' | 'null';

export function fieldKind(value: unknown): FieldKind | undefined {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return 'array';
      if (value instanceof Uint8Array) return 'bytes';
      if (isPlainObject(value)) return 'object';
      return undefined;
    default:
      return undefined;
  }
}

/** A record field must be a plain object: `{}` or `Object.create(null)`, not a class instance, Map or Date. */
export function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export function isField(value: unknown): value is Field {
  return fieldKind(value) !== undefined;
}
