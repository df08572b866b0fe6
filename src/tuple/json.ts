import { InvalidTupleError } from '../errors.js';
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

/** Turns parsed JSON back into fields; operators in templates pass through untouched. */
export function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1) {
      if (keys[0] === '$int' && typeof record.$int === 'string' && /^-?\d+$/.test(record.$int)) return BigInt(record.$int);
      if (keys[0] === '$bytes' && typeof record.$bytes === 'string') return new Uint8Array(Buffer.from(record.$bytes, 'base64'));
      if (keys[0] === '$record' && typeof record.$record === 'object' && record.$record !== null) {
        return Object.fromEntries(Object.entries(record.$record).map(([k, v]) => [k, fromJsonValue(v)]));
      }
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      // Operator operands ($in lists, $eq values) are converted like fields.
      out[key] = fromJsonValue(record[key]);
    }
    return out;
  }
  return value;
}

/** Parses JSON text into a value for `write` (a tuple) or `read`/`take` (a template). */
export function parseTupleJson(text: string): unknown[] {
  let parsed: unknown;
  try {
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
