import { encodeTuple } from '../../tuple/codec.js';
import type { Field, Tuple } from '../../tuple/types.js';
import { packForLua, type LuaValue } from './lua-msgpack.js';
import { matchKey } from './match-key.js';

/**
 * What the space stores per tuple (the value in the `t` hash), as msgpack
 * that Lua's `cmsgpack` unpacks:
 *
 *   [ tupleBytes, leased, entry(field 0), entry(field 1), … ]
 *
 * `tupleBytes` is the codec.ts encoding handed back to callers; `leased` is
 * 1 when the tuple is in the expiry set; an entry is the field's match key,
 * or for an array `[key, entry(item 0), …]` so nested templates can look
 * inside it.
 */
export function matchRecord(tuple: Tuple, leased: boolean): Buffer {
  const items: LuaValue[] = [Buffer.from(encodeTuple(tuple)), leased ? 1 : 0];
  for (const field of tuple) items.push(entry(field));
  return packForLua(items);
}

function entry(field: Field): LuaValue {
  if (!Array.isArray(field)) return matchKey(field);
  const items: LuaValue[] = [matchKey(field)];
  for (const item of field as readonly Field[]) items.push(entry(item));
  return items;
}
