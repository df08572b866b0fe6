/**
 * A MessagePack writer for the subset Redis's Lua `cmsgpack` reads: arrays,
 * maps, `false`/`true`, small non-negative integers and byte strings.
 *
 * Why not msgpackr: `cmsgpack` (Redis 7) rejects the `bin` family, which is
 * what msgpackr writes for a `Uint8Array`, and our match keys are raw bytes
 * (UTF-8, UTF-16BE, IEEE-754). Here every byte string is written with a `str`
 * header; `cmsgpack` never checks that a `str` is UTF-8, so Lua gets the
 * bytes exactly.
 */
export type LuaValue = Buffer | boolean | number | readonly LuaValue[] | LuaMap;

/** A msgpack map whose keys are byte strings; decodes to a Lua table `key → value`. */
export class LuaMap {
  constructor(readonly entries: readonly (readonly [Buffer, LuaValue])[]) {}
}

export function packForLua(value: LuaValue): Buffer {
  const chunks: Buffer[] = [];
  write(value, chunks);
  return Buffer.concat(chunks);
}

function write(value: LuaValue, out: Buffer[]): void {
  if (Buffer.isBuffer(value)) {
    out.push(strHeader(value.length), value);
  } else if (typeof value === 'boolean') {
    out.push(value ? TRUE : FALSE);
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0x7f) throw new RangeError(`packForLua writes integers 0…127 only, got ${value}`);
    out.push(Buffer.of(value));
  } else if (value instanceof LuaMap) {
    out.push(header(value.entries.length, 0x80, 0xde, 0xdf));
    for (const [key, item] of value.entries) {
      out.push(strHeader(key.length), key);
      write(item, out);
    }
  } else {
    out.push(header(value.length, 0x90, 0xdc, 0xdd));
    for (const item of value) write(item, out);
  }
}

const TRUE = Buffer.of(0xc3);
const FALSE = Buffer.of(0xc2);

function strHeader(length: number): Buffer {
  if (length < 32) return Buffer.of(0xa0 | length);
  if (length < 0x100) return Buffer.of(0xd9, length);
  if (length < 0x10000) return Buffer.of(0xda, length >> 8, length & 0xff);
  const b = Buffer.alloc(5);
  b[0] = 0xdb;
  b.writeUInt32BE(length, 1);
  return b;
}

/** fixarray / fixmap below 16 items, else the 16- or 32-bit form. */
function header(length: number, fix: number, sixteen: number, thirtyTwo: number): Buffer {
  if (length < 16) return Buffer.of(fix | length);
  if (length < 0x10000) return Buffer.of(sixteen, length >> 8, length & 0xff);
  const b = Buffer.alloc(5);
  b[0] = thirtyTwo;
  b.writeUInt32BE(length, 1);
  return b;
}
