import { InvalidArgumentError } from '../errors.js';

/**
 * How a shard group turns payloads into message bytes and replies back into
 * values. Shards written with the SDK speak JSON; core-module shards (for
 * example AssemblyScript kernels) usually speak raw bytes, which skips the
 * JSON round trip on both sides.
 */
export interface ShardCodec {
  readonly name: string;
  encode(payload: unknown): Uint8Array | string;
  decode(reply: Uint8Array): unknown;
  /** The failure message when a decoded reply is the shard's way of saying its handler failed. */
  failure?(value: unknown): string | undefined;
}

const utf8 = new TextDecoder();

/**
 * JSON text both ways (the default; what `examples/actors/kv-shard.ts`
 * speaks). No payload is sent as `{}`; an empty reply decodes to `undefined`.
 */
export const jsonCodec: ShardCodec = {
  name: 'json',
  encode: (payload) => (payload === undefined ? '{}' : JSON.stringify(payload)),
  decode(reply) {
    const text = utf8.decode(reply);
    return text === '' ? undefined : JSON.parse(text);
  },
  // An SDK handler that throws answers {"error": message} (src/sdk/index.ts).
  failure(value) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const keys = Object.keys(value);
    const error = (value as { error?: unknown }).error;
    return keys.length === 1 && typeof error === 'string' ? error : undefined;
  },
};

/**
 * Bytes as they are: payloads are a `Uint8Array`, any typed array or
 * DataView (sent as its bytes), or a string (UTF-8); replies are the
 * `Uint8Array` the shard wrote.
 */
export const bytesCodec: ShardCodec = {
  name: 'bytes',
  encode(payload) {
    if (payload instanceof Uint8Array || typeof payload === 'string') return payload;
    if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    if (payload === undefined || payload === null) return new Uint8Array(0);
    throw new InvalidArgumentError(`the bytes codec sends typed arrays, DataViews and strings, got ${typeof payload}`);
  },
  decode: (reply) => reply,
};

export function codecNamed(codec: 'json' | 'bytes' | ShardCodec | undefined): ShardCodec {
  if (codec === undefined || codec === 'json') return jsonCodec;
  if (codec === 'bytes') return bytesCodec;
  if (typeof codec === 'object' && typeof codec.encode === 'function' && typeof codec.decode === 'function') return codec;
  throw new InvalidArgumentError(`codec must be json, bytes or { encode, decode }, got ${String(codec)}`);
}
