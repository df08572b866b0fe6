import { indexKey } from '../../tuple/index-key.js';
import type { Field } from '../../tuple/types.js';

/**
 * The match key of a field: bytes that Lua compares to test a template
 * without decoding the tuple. The first byte is a type tag, so `1` and `1n`,
 * `""` and `null`, bytes and arrays never meet:
 *
 *   s<UTF-8>       string (well-formed UTF-16)      n<8 bytes>  number (order-preserving)
 *   S<UTF-16BE>    string holding a lone surrogate  nNaN        NaN (never in a range)
 *   i<8 bytes>     int64 (order-preserving)         b1 / b0     true / false
 *   y<bytes>       Uint8Array                       z           null
 *   a<canonical>   array      o<canonical>   record (index-key.ts's canonical text)
 *
 * Two fields have the same key exactly when `fieldsEqual` holds (SameValueZero
 * for numbers: `-0` is `0`, every NaN the same). Numbers and int64s are
 * written so that byte order is numeric order, strings so that Lua can
 * compare them in JavaScript's UTF-16 order (see `utf8_cmp` in the scripts).
 */
export function matchKey(field: Field): Buffer {
  switch (typeof field) {
    case 'string':
      return stringKey(field);
    case 'number':
      return Number.isNaN(field) ? NAN_KEY : Buffer.concat([TAG_NUMBER, sortableDouble(field)]);
    case 'bigint':
      return Buffer.concat([TAG_INT, sortableInt64(field)]);
    case 'boolean':
      return field ? TRUE_KEY : FALSE_KEY;
    default:
      break;
  }
  if (field === null) return NULL_KEY;
  if (field instanceof Uint8Array) return Buffer.concat([TAG_BYTES, field]);
  const canonical = Buffer.from(indexKey(field) as string, 'utf8');
  return Buffer.concat([Array.isArray(field) ? TAG_ARRAY : TAG_RECORD, canonical]);
}

/** The type tags `$type` accepts, by type name. */
export const TYPE_TAGS: Readonly<Record<string, string>> = Object.freeze({
  string: 'sS',
  number: 'n',
  int: 'i',
  bool: 'b',
  bytes: 'y',
  array: 'a',
  object: 'o',
  null: 'z',
});

const TAG_NUMBER = Buffer.from('n');
const TAG_INT = Buffer.from('i');
const TAG_BYTES = Buffer.from('y');
const TAG_ARRAY = Buffer.from('a');
const TAG_RECORD = Buffer.from('o');
const NAN_KEY = Buffer.from('nNaN');
const TRUE_KEY = Buffer.from('b1');
const FALSE_KEY = Buffer.from('b0');
const NULL_KEY = Buffer.from('z');

function stringKey(text: string): Buffer {
  return text.isWellFormed() ? Buffer.concat([Buffer.from('s'), Buffer.from(text, 'utf8')]) : Buffer.concat([Buffer.from('S'), utf16be(text)]);
}

/** UTF-16 code units, big-endian: byte order is JavaScript's string order, and nothing is lost. */
export function utf16be(text: string): Buffer {
  const out = Buffer.from(text, 'utf16le');
  return out.swap16();
}

/** IEEE-754 bits with the sign flipped (positives) or all bits flipped (negatives): unsigned byte order is numeric order. */
export function sortableDouble(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeDoubleBE(value === 0 ? 0 : value);
  if (out[0] & 0x80) for (let i = 0; i < 8; i++) out[i] = ~out[i] & 0xff;
  else out[0] |= 0x80;
  return out;
}

/** Two's complement with the sign bit flipped: unsigned byte order is signed order. */
export function sortableInt64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt.asUintN(64, value) ^ (1n << 63n));
  return out;
}
