import { isUtf8 } from 'node:buffer';
import { Packr } from 'msgpackr';
import { InvalidArgumentError, InvalidTemplateError, InvalidTupleError } from '../errors.js';
import type { Scope } from './node-service.js';

/**
 * A frame `decodeRequest` refused. `id` is the request's id when the frame
 * got far enough to show one (-1 otherwise), so the reply still reaches the
 * caller that waits for it; `error` is the PlexError to send.
 */
export class RequestRefused extends Error {
  constructor(
    readonly id: number,
    readonly error: Error,
  ) {
    super(error.message);
  }
}

/** One websocket request, after `decodeRequest` checked and normalized it. */
export interface WsRequest {
  readonly id: number;
  readonly op: string;
  readonly scope?: Scope;
  readonly args?: Record<string, unknown>;
  /** The caller's W3C trace context (docs/tracing.md); a string whose format is wrong is ignored, as over HTTP. */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** Longest `traceparent` / `tracestate` a frame may carry: W3C's tracestate bound (32 members) with room to spare. */
export const MAX_TRACE_FIELD_CHARS = 1024;

/**
 * Deepest nesting a request may have. The envelope adds three levels
 * (request → args → tuples → tuple) over the tuple's own limit (maxDepth 32),
 * so 64 never refuses a tuple the space would take; it keeps the decoder's
 * recursion far from the stack limit.
 */
export const MAX_REQUEST_DEPTH = 64;

const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

/**
 * Decodes a binary websocket frame into a request, refusing what the
 * protocol has no type for instead of letting msgpackr turn it into
 * something else. The wire format is plain MessagePack — nil, bool, int,
 * float, str, bin, array, map with string keys — plus the one extension
 * msgpackr writes for `undefined` (fixext 1, type 0), which clients emit for
 * an absent `scope`. Everything reaches the operations in the JSON form the
 * other surfaces use:
 *
 *   msgpack            tuple / template field        elsewhere in args
 *   ─────────────────  ────────────────────────────  ─────────────────
 *   int64 / uint64     bigint (int64; range checked)  bigint
 *   float, NaN, ±Inf   finite number only             finite only (`…Ms` keys excepted)
 *   bin                bytes ({"$bytes"} → Uint8Array) refused (payloads are JSON)
 *   ext (timestamp …)  refused                        refused
 *
 * Structure is checked before msgpackr runs (`scan`), so a frame declaring a
 * huge array, a deep nest or a non-string key never reaches it.
 */
export function decodeRequest(frame: Uint8Array): WsRequest {
  const scanned = scan(frame);
  if (scanned.error !== undefined) throw new RequestRefused(scanned.id ?? -1, scanned.error);
  let request: unknown;
  try {
    request = packr.unpack(frame);
  } catch (cause) {
    throw new RequestRefused(scanned.id ?? -1, new InvalidArgumentError(`the frame is not valid msgpack: ${(cause as Error).message}`, { cause }));
  }
  if (!isRecord(request) || !Number.isSafeInteger(request.id) || typeof request.op !== 'string') {
    throw new RequestRefused(scanned.id ?? -1, new InvalidArgumentError('a request is { id: integer, op: string, scope?, args?, traceparent?, tracestate? }'));
  }
  try {
    return normalize(request);
  } catch (error) {
    throw new RequestRefused(request.id as number, error as Error);
  }
}

function normalize(request: Record<string, unknown>): WsRequest {
  const out: { -readonly [K in keyof WsRequest]: WsRequest[K] } = { id: request.id as number, op: request.op as string };
  if (request.scope !== undefined) out.scope = plain(request.scope, 'scope', false) as Scope;
  if (request.args !== undefined && request.args !== null) {
    if (!isRecord(request.args)) throw new InvalidArgumentError('args must be a map');
    const args: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(request.args)) args[key] = arg(key, value);
    out.args = args;
  }
  if (request.traceparent !== undefined) out.traceparent = traceField(request.traceparent, 'traceparent');
  if (request.tracestate !== undefined) out.tracestate = traceField(request.tracestate, 'tracestate');
  return out;
}

function traceField(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length > MAX_TRACE_FIELD_CHARS) throw new InvalidArgumentError(`${name} must be a string of at most ${MAX_TRACE_FIELD_CHARS} characters (W3C trace context), got ${typeof value === 'string' ? `${value.length} characters` : typeof value}`);
  return value;
}

function arg(key: string, value: unknown): unknown {
  switch (key) {
    case 'tuple':
      return fieldRoot(value, '', tupleError);
    case 'template':
      return fieldRoot(value, '', templateError);
    case 'tuples':
      // `[i]` first names the tuple in the batch, as the space's writeAll errors do.
      if (!Array.isArray(value)) return plain(value, 'args.tuples', false);
      for (let i = 0; i < value.length; i++) value[i] = fieldRoot(value[i], `[${i}]`, tupleError);
      return value;
    default:
      // Durations are options the operation range-checks itself, and for them
      // Infinity has a meaning ("as long as allowed"); nowhere else does it.
      return plain(value, `args.${key}`, key.endsWith('Ms'));
  }
}

type Refuse = (path: string, detail: string) => Error;
const tupleError: Refuse = (path, detail) => new InvalidTupleError(path, detail);
const templateError: Refuse = (path, detail) => new InvalidTemplateError(path, detail);

/**
 * A tuple or template in its JSON form: bin becomes {"$bytes"}, non-finite
 * numbers are refused. Converts in place (the value was just unpacked and is
 * ours) and names a field's path only when it refuses one: a batch of small
 * tuples must not cost a string per field.
 */
function fieldRoot(value: unknown, root: string, refuse: Refuse): unknown {
  if (!Array.isArray(value)) return field(value, root, undefined, refuse);
  for (let i = 0; i < value.length; i++) value[i] = field(value[i], root, i, refuse);
  return value;
}

/** One field, `key` of its parent at `parent` (undefined: the root itself). */
function field(value: unknown, parent: string, key: number | string | undefined, refuse: Refuse): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw refuse(pathOf(parent, key), `${value} is not a tuple field (numbers are finite float64)`);
    return value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  const path = pathOf(parent, key);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = field(value[i], path, i, refuse);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) record[k] = field(record[k], path, k, refuse);
  return record;
}

/** `[2]`, `.name`, `[0][1]`, `.a.b`: the JSON-path form the space's own errors use. */
function pathOf(parent: string, key: number | string | undefined): string {
  if (key === undefined) return parent === '' ? '[]' : parent;
  return typeof key === 'number' ? `${parent}[${key}]` : `${parent}.${key}`;
}

/** Any other request value: JSON-shaped, so bin and non-finite numbers have no meaning there. */
function plain(value: unknown, path: string, allowInfinite: boolean): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value) || (!allowInfinite && !Number.isFinite(value))) throw new InvalidArgumentError(`${path}: ${value} is not allowed (numbers must be finite)`);
    return value;
  }
  if (value instanceof Uint8Array) throw new InvalidArgumentError(`${path}: msgpack bin is allowed only in tuple and template fields (everything else is JSON-shaped)`);
  if (Array.isArray(value)) return value.map((item, i) => plain(item, `${path}[${i}]`, false));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = plain(item, `${path}.${key}`, false);
    return out;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

const PROTO = Buffer.from('__proto__');

/**
 * Walks the frame's MessagePack structure without building anything: one
 * value, nothing after it, at most MAX_REQUEST_DEPTH deep, map keys strings
 * (never `__proto__`, which msgpackr would silently rename), strings valid
 * UTF-8 (msgpackr would put U+FFFD in their place), no extension but
 * `undefined`. Iterative, with a stack of items left per open container, so
 * its cost is linear in the frame and its memory in the depth. On the way it
 * notes the request's top-level integer `id`, for the refusal to carry.
 */
function scan(b: Uint8Array): { id?: number; error?: Error } {
  let id: number | undefined;
  try {
    walk(b, (value) => (id = value));
    return {};
  } catch (error) {
    return { id, error: error as Error };
  }
}

function walk(b: Uint8Array, onId: (id: number) => void): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const left: number[] = [1];
  const isMap: boolean[] = [false];
  let pos = 0;
  let idNext = false;
  const bad = (detail: string): never => {
    throw new InvalidArgumentError(`the frame is not a valid request: ${detail} (byte ${pos})`);
  };
  const need = (n: number) => {
    if (pos + n > b.length) bad('it ends in the middle of a value');
  };
  const u8 = () => (need(1), b[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4));
  const skip = (n: number) => {
    need(n);
    pos += n;
  };
  while (left.length > 0) {
    const top = left.length - 1;
    if (left[top] === 0) {
      left.pop();
      isMap.pop();
      continue;
    }
    // Map items alternate key, value; `left` counts both, so keys are at even counts.
    const isKey = isMap[top] && left[top] % 2 === 0;
    left[top]--;
    const isId = idNext;
    idNext = false;
    const t = u8();
    if (isId) {
      if (t <= 0x7f) onId(t);
      else if (t === 0xcc) onId(b[pos] ?? -1);
      else if (t === 0xcd && pos + 2 <= b.length) onId(view.getUint16(pos));
      else if (t === 0xce && pos + 4 <= b.length) onId(view.getUint32(pos));
    }
    let str = -1; // a string's byte length
    let open = -1; // a container's item count
    let map = false;
    if (t <= 0x7f || t >= 0xe0) {
      // positive / negative fixint
    } else if (t <= 0x8f) {
      open = t & 0x0f;
      map = true;
    } else if (t <= 0x9f) open = t & 0x0f;
    else if (t <= 0xbf) str = t & 0x1f;
    else {
      switch (t) {
        case 0xc0: // nil
        case 0xc2: // false
        case 0xc3: // true
          break;
        case 0xd9: str = u8(); break;
        case 0xda: str = u16(); break;
        case 0xdb: str = u32(); break;
        case 0xdc: open = u16(); break;
        case 0xdd: open = u32(); break;
        case 0xde: open = u16(); map = true; break;
        case 0xdf: open = u32(); map = true; break;
        case 0xc4: skip(u8()); break; // bin 8/16/32
        case 0xc5: skip(u16()); break;
        case 0xc6: skip(u32()); break;
        case 0xcc: case 0xd0: skip(1); break; // uint8, int8
        case 0xcd: case 0xd1: skip(2); break;
        case 0xca: case 0xce: case 0xd2: skip(4); break; // float32, uint32, int32
        case 0xcb: case 0xcf: case 0xd3: skip(8); break; // float64, uint64, int64
        default:
          if (t === 0xd4 && b[pos] === 0 && b[pos + 1] === 0 && pos + 2 <= b.length) skip(2); // msgpackr's undefined
          else if ((t >= 0xd4 && t <= 0xd8) || (t >= 0xc7 && t <= 0xc9)) {
            // fixext 1–16 carry the type first; ext 8/16/32 after their length.
            const type = b[t >= 0xd4 ? pos : pos + (t === 0xc7 ? 1 : t === 0xc8 ? 2 : 4)];
            const signed = type === undefined ? '?' : type > 127 ? type - 256 : type;
            bad(signed === -1 ? 'a msgpack timestamp (ext -1) has no field type; send a number or a string' : `msgpack extension type ${signed} is not part of the protocol`);
          } else bad(`0x${t.toString(16)} is not a msgpack type`); // 0xc1, never used
      }
    }
    if (isKey && str < 0) bad('map keys must be strings');
    if (str >= 0) {
      need(str);
      // ASCII needs no UTF-8 check (and most strings here are ASCII): only a string with a high byte goes to isUtf8.
      let ascii = true;
      for (let i = pos, end = pos + str; i < end; i++) {
        if (b[i] >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (!ascii && !isUtf8(b.subarray(pos, pos + str))) bad('a string is not valid UTF-8');
      if (isKey && str === 9 && PROTO.equals(b.subarray(pos, pos + str))) bad('the key __proto__ is not allowed');
      if (isKey && top === 1 && str === 2 && b[pos] === 0x69 && b[pos + 1] === 0x64) idNext = true; // "id"
      pos += str;
    }
    if (open >= 0) {
      if (left.length >= MAX_REQUEST_DEPTH) bad(`nesting deeper than ${MAX_REQUEST_DEPTH}`);
      // Every item takes at least one byte: a header promising more than the frame holds is refused here, before anyone allocates for it.
      const items = map ? open * 2 : open;
      if (items > b.length - pos) bad('a container declares more items than the frame holds');
      left.push(items);
      isMap.push(map);
    }
  }
  if (pos !== b.length) bad('bytes follow the request');
}
