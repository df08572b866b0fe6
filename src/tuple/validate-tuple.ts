import { InvalidTemplateError, InvalidTupleError, TupleTooLargeError } from '../errors.js';
import { INT64_MAX, INT64_MIN, isPlainObject } from './field-kind.js';
import type { TupleLimits } from './limits.js';
import type { Field, Tuple } from './types.js';

/** A tuple that passed validation: a deep, frozen copy of the caller's value. */
export interface AcceptedTuple {
  readonly tuple: Tuple;
  /** True when some field is a Uint8Array, which cannot be frozen and is copied on the way out. */
  readonly hasBytes: boolean;
  /** Its encoded size, bounded from above (exact when the bound passed the limit); what space byte quotas count. */
  readonly size: number;
}

/**
 * Validates `input` against DESIGN.md §3 and returns a frozen deep copy, so
 * later changes to the caller's arrays cannot reach the stored tuple. One walk
 * does the type check, cycle check, depth and field limits and the copy; the
 * encoded size is bounded on the way (strings at 3 bytes per UTF-16 unit) and
 * measured exactly only when that bound is over the limit.
 */
export function acceptTuple(input: unknown, limits: TupleLimits): AcceptedTuple {
  if (!Array.isArray(input)) {
    throw new InvalidTupleError('[]', `a tuple must be an array, got ${describe(input)}`);
  }
  if (input.length === 0) throw new InvalidTupleError('[]', 'a tuple must have at least one field');
  const flat = acceptFlat(input, limits);
  if (flat !== undefined) return flat;
  const walk = new TupleWalk(limits);
  const tuple = walk.copyArray(input, '', 1);
  let size = walk.sizeBound;
  if (size > limits.maxEncodedBytes) {
    size = encodedSize(tuple);
    if (size > limits.maxEncodedBytes) {
      throw new TupleTooLargeError('[]', 'maxEncodedBytes', `${size} bytes encoded, limit ${limits.maxEncodedBytes}`);
    }
  }
  return { tuple, hasBytes: walk.hasBytes, size };
}

/**
 * The common case without a walker: a tuple of strings, numbers, booleans
 * and nulls whose size bound is under the limit. `undefined` otherwise.
 */
function acceptFlat(input: readonly unknown[], limits: TupleLimits): AcceptedTuple | undefined {
  const n = input.length;
  if (n > limits.maxFields) return undefined;
  let size = 6;
  let negativeZero = false;
  for (let i = 0; i < n; i++) {
    const value = input[i];
    switch (typeof value) {
      case 'string':
        size += 5 + value.length * 3;
        break;
      case 'number':
        size += 9;
        if (value === 0 && 1 / value < 0) negativeZero = true;
        break;
      case 'boolean':
        size += 1;
        break;
      case 'object':
        if (value !== null) return undefined;
        size += 1;
        break;
      default:
        return undefined;
    }
  }
  if (size > limits.maxEncodedBytes) return undefined;
  const tuple = input.slice();
  if (negativeZero) for (let i = 0; i < n; i++) if (tuple[i] === 0) tuple[i] = 0;
  return { tuple: Object.freeze(tuple) as Tuple, hasBytes: false, size };
}

/**
 * Validates and copies one field that stands alone, e.g. an actual value in a
 * template. `path` names its position for error messages; `depth` is the
 * depth of the field's container.
 */
export function acceptField(value: unknown, path: string, depth: number, limits: TupleLimits): Field {
  return new TupleWalk(limits, (where, message) => new InvalidTemplateError(where, message)).copyField(value, path, depth);
}

type InvalidFactory = (path: string, message: string) => Error;
const invalidTuple: InvalidFactory = (path, message) => new InvalidTupleError(path, message);

class TupleWalk {
  fields = 0;
  sizeBound = 1;
  hasBytes = false;
  private readonly ancestors: object[] = [];

  constructor(
    private readonly limits: TupleLimits,
    private readonly invalid: InvalidFactory = invalidTuple,
  ) {}

  copyArray(input: readonly unknown[], path: string, depth: number): readonly Field[] {
    this.enter(input, path, depth);
    const out = new Array<Field>(input.length);
    this.sizeBound += 5;
    for (let i = 0; i < input.length; i++) {
      out[i] = this.copyField(input[i], `${path}[${i}]`, depth);
    }
    this.ancestors.pop();
    return Object.freeze(out);
  }

  copyField(value: unknown, path: string, depth: number): Field {
    if (++this.fields > this.limits.maxFields) {
      throw new TupleTooLargeError(path, 'maxFields', `more than ${this.limits.maxFields} fields`);
    }
    switch (typeof value) {
      case 'string':
        this.sizeBound += 5 + value.length * 3;
        return value;
      case 'number':
        this.sizeBound += 9;
        // -0 is stored as 0: it equals 0 under the matching rules, and the
        // durable encoding would turn it into 0 anyway.
        return value === 0 ? 0 : value;
      case 'boolean':
        this.sizeBound += 1;
        return value;
      case 'bigint':
        if (value < INT64_MIN || value > INT64_MAX) {
          throw this.invalid(path, `bigint ${value} is outside the int64 range`);
        }
        this.sizeBound += 9;
        return value;
      case 'object':
        break;
      default:
        throw this.invalid(path, `${describe(value)} is not a tuple field`);
    }
    if (value === null) {
      this.sizeBound += 1;
      return null;
    }
    if (Array.isArray(value)) return this.copyArray(value, path, depth + 1);
    if (value instanceof Uint8Array) {
      this.hasBytes = true;
      this.sizeBound += 5 + value.byteLength;
      return value.slice();
    }
    if (!isPlainObject(value)) {
      throw this.invalid(path, `${describe(value)} is not a tuple field (records must be plain objects)`);
    }
    this.enter(value, path, depth + 1);
    const out: Record<string, Field> = {};
    this.sizeBound += 5;
    for (const key of Object.keys(value)) {
      if (key === '__proto__') throw this.invalid(`${path}.__proto__`, 'the key __proto__ is not allowed');
      this.sizeBound += 5 + key.length * 3;
      out[key] = this.copyField((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    }
    this.ancestors.pop();
    return Object.freeze(out);
  }

  private enter(container: object, path: string, depth: number): void {
    if (this.ancestors.includes(container)) {
      throw this.invalid(path || '[]', 'the value contains a cycle');
    }
    if (depth > this.limits.maxDepth) {
      throw new TupleTooLargeError(path || '[]', 'maxDepth', `nesting deeper than ${this.limits.maxDepth}`);
    }
    this.ancestors.push(container);
  }
}

/** Exact MessagePack size of an accepted tuple (what the durable storage writes). */
export function encodedSize(field: Field): number {
  switch (typeof field) {
    case 'string': {
      const n = Buffer.byteLength(field, 'utf8');
      return n + (n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5);
    }
    case 'number':
      return 9;
    case 'bigint':
      return 9;
    case 'boolean':
      return 1;
    default:
      break;
  }
  if (field === null) return 1;
  if (field instanceof Uint8Array) return field.byteLength + 5;
  if (Array.isArray(field)) {
    let n = 5;
    for (const item of field) n += encodedSize(item);
    return n;
  }
  let n = 5;
  const record = field as { readonly [key: string]: Field };
  for (const key of Object.keys(record)) n += encodedSize(key) + encodedSize(record[key]);
  return n;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return `the symbol ${String(value)}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : 'an object';
  }
  return `a ${typeof value}`;
}
