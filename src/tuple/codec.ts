import { Packr } from 'msgpackr';
import type { Field, Tuple } from './types.js';

/**
 * Binary form of an accepted tuple, used by durable storage. MessagePack with
 * int64 for bigints keeps every field type apart: numbers stay float64 or
 * small ints and come back as numbers, bigints come back as bigints.
 */
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true, variableMapSize: true, moreTypes: false });

export function encodeTuple(tuple: Tuple): Uint8Array {
  return packr.pack(tuple);
}

/** Decodes and freezes a stored tuple; `Buffer`s become plain `Uint8Array` copies. */
export function decodeTuple(bytes: Uint8Array): { tuple: Tuple; hasBytes: boolean } {
  const state = { hasBytes: false };
  const tuple = normalize(packr.unpack(bytes) as Field, state) as Tuple;
  return { tuple, hasBytes: state.hasBytes };
}

function normalize(value: Field, state: { hasBytes: boolean }): Field {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) {
    state.hasBytes = true;
    return new Uint8Array(value);
  }
  if (Array.isArray(value)) {
    const out = value.map((item: Field) => normalize(item, state));
    return Object.freeze(out);
  }
  const record = value as Record<string, Field>;
  for (const key of Object.keys(record)) record[key] = normalize(record[key], state);
  return Object.freeze(record);
}
