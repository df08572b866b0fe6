import { InvalidTupleError, TupleTooLargeError, shown } from '../errors.js';
import type { Field, Tuple } from './types.js';

/**
 * The JSON form of tuples and templates, used where text crosses a boundary
 * (the WIT world's JSON strings, HTTP). JSON has no int64 or bytes, so
 * those travel as `{"$int": "123"}` and `{"$bytes": "<base64>"}`; a record
 * that itself looks like one of these is wrapped as `{"$record": {...}}`.
 * Everything else maps one to one; in templates `null` stays the wildcard.
 */
export function toJsonValue(field: Field): unknown {
  if (typeof field === 'bigint') return { $int: field.toString() };
  if (field instanceof Uint8Array) return { $bytes: Buffer.from(field.buffer, field.byteOffset, field.byteLength).toString('base64') };
  if (Array.isArray(field)) return field.map(toJsonValue);
  if (typeof field === 'object' && field !== null) {
    const record = field as { readonly [key: string]: Field };
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record)) out[key] = toJsonValue(record[key]);
    return isTagged(out) ? { $record: out } : out;
  }
  return field;
}

export function tupleToJson(tuple: Tuple): string {
  return JSON.stringify(tuple.map(toJsonValue));
}

/**
 * Deepest nesting of the JSON form that `fromJsonValue` converts (arrays and
 * objects, the `{"$record": …}` and operator wrappers included). A tuple at
 * the default depth limit (32) needs at most about 2 × 32 + 2 levels, so 128
 * turns away nothing a space would accept, and the conversion never recurses
 * deeper than this into untrusted input: a 10 000-deep array used to
 * overflow the stack and come out as an internal error.
 */
export const MAX_JSON_FORM_DEPTH = 128;

/**
 * Turns parsed JSON back into fields; operators in templates pass through
 * untouched. Refuses, with `InvalidTupleError` naming the field, what the
 * JSON form cannot carry faithfully instead of storing something else:
 * non-finite numbers (`1e999` parses as Infinity, which JSON prints back as
 * null), a `$bytes` that is not canonical base64 (Buffer would decode `"!!!"`
 * to empty bytes), a malformed `$int` or `$record`, and the key `__proto__`
 * (assigning it would drop the field). `TupleTooLargeError` past
 * `MAX_JSON_FORM_DEPTH`.
 */
export function fromJsonValue(value: unknown): unknown {
  return new JsonFormReader().convert(value, 1);
}

/** Parses JSON text into a value for `write` (a tuple) or `read`/`take` (a template). */
export function parseTupleJson(text: string): unknown[] {
  let parsed: unknown;
  try {
    // V8's JSON.parse does not recurse, so deep text is safe here; fromJsonValue bounds the depth.
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new InvalidTupleError('[]', `not valid JSON: ${(cause as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new InvalidTupleError('[]', 'the JSON must be an array');
  return fromJsonValue(parsed) as unknown[];
}

function isTagged(record: Record<string, unknown>): boolean {
  const keys = Object.keys(record);
  return keys.length === 1 && (keys[0] === '$int' || keys[0] === '$bytes' || keys[0] === '$record');
}

const INT_TEXT = /^-?\d+$/;

/**
 * One conversion. The path of the current value is kept as a trail of
 * segments and only formatted when something is refused: the common case
 * allocates no path strings.
 */
class JsonFormReader {
  private readonly trail: (number | string)[] = [];

  convert(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'number':
        if (!Number.isFinite(value)) throw this.invalid(`${value} is not a finite number (JSON numbers must fit a float64)`);
        return value;
      case 'object':
        break;
      default:
        return value;
    }
    if (value === null) return null;
    if (depth > MAX_JSON_FORM_DEPTH) throw new TupleTooLargeError(this.path(), 'maxDepth', `the JSON form nests deeper than ${MAX_JSON_FORM_DEPTH}`);
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        this.trail.push(i);
        out[i] = this.convert(value[i], depth + 1);
        this.trail.pop();
      }
      return out;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1) {
      const key = keys[0];
      if (key === '$int') return this.int(record.$int);
      if (key === '$bytes') return this.bytes(record.$bytes);
      if (key === '$record') {
        const inner = record.$record;
        if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) throw this.invalid('$record must wrap a JSON object');
        return this.record(inner as Record<string, unknown>, Object.keys(inner), depth + 1);
      }
    }
    // Operator objects ($in lists, $eq values) are converted like records.
    return this.record(record, keys, depth);
  }

  private record(record: Record<string, unknown>, keys: string[], depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (key === '__proto__') throw this.invalid('the key __proto__ is not allowed');
      this.trail.push(key);
      out[key] = this.convert(record[key], depth + 1);
      this.trail.pop();
    }
    return out;
  }

  private int(text: unknown): bigint {
    if (typeof text !== 'string' || !INT_TEXT.test(text)) throw this.invalid(`$int must be a decimal integer string, got ${shown(text) ?? typeof text}`);
    return BigInt(text);
  }

  private bytes(text: unknown): Uint8Array {
    if (typeof text !== 'string') throw this.invalid(`$bytes must be a base64 string, got ${text === null ? 'null' : typeof text}`);
    const bytes = Buffer.from(text, 'base64');
    // Canonical (RFC 4648 §4, padded) base64 is the only text that survives a
    // round trip; Buffer alone skips what it cannot read and returns the rest.
    if (bytes.toString('base64') !== text) throw this.invalid('$bytes is not valid base64 (standard alphabet, with = padding)');
    // A copy: a small Buffer is a view into Node's shared allocation pool.
    return new Uint8Array(bytes);
  }

  private path(): string {
    let out = '';
    for (const segment of this.trail) out += typeof segment === 'number' ? `[${segment}]` : `.${segment}`;
    return out === '' ? '[]' : out;
  }

  private invalid(detail: string): InvalidTupleError {
    return new InvalidTupleError(this.path(), detail);
  }
}
