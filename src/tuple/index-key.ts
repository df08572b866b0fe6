import type { Field } from './types.js';

/**
 * A `Map` key standing for a field value: two fields get the same key exactly
 * when `fieldsEqual` holds. Primitives are their own key (`Map` already uses
 * SameValueZero, and keeps `1` and `1n` apart). Bytes, arrays and records get
 * a canonical string that starts with NUL; a plain string that itself starts
 * with NUL is escaped, so the two families never collide.
 */
export type IndexKey = string | number | bigint | boolean | null;

const NUL = '\u0000';

export function indexKey(field: Field): IndexKey {
  if (typeof field === 'string') {
    return field.length > 0 && field.charCodeAt(0) === 0 ? NUL + 's' + field : field;
  }
  if (typeof field !== 'object' || field === null) return field;
  return NUL + canonical(field);
}

/** Canonical text of a composite field: type-tagged, records with sorted keys. */
function canonical(field: Field): string {
  switch (typeof field) {
    case 'string':
      return 's' + JSON.stringify(field);
    case 'number':
      // -0 folds into 0 and every NaN is the same NaN, as in fieldsEqual.
      return 'n' + (field === 0 ? '0' : String(field));
    case 'bigint':
      return 'i' + field.toString();
    case 'boolean':
      return field ? 'T' : 'F';
    default:
      break;
  }
  if (field === null) return 'Z';
  if (Array.isArray(field)) {
    let out = '[';
    for (let i = 0; i < field.length; i++) out += (i > 0 ? ',' : '') + canonical(field[i]);
    return out + ']';
  }
  if (field instanceof Uint8Array) {
    return 'b' + Buffer.from(field.buffer, field.byteOffset, field.byteLength).toString('base64') + ';';
  }
  const record = field as { readonly [key: string]: Field };
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    out += (i > 0 ? ',' : '') + JSON.stringify(keys[i]) + ':' + canonical(record[keys[i]]);
  }
  return out + '}';
}
