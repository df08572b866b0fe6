/**
 * How ShardGroup.mapItems cuts many items into contiguous chunks, one
 * message each (chunk c to shard c mod N), and puts the shards' answers
 * back together in item order: typed arrays as raw bytes, other items as
 * JSON arrays.
 */
import { ErrorCode, InvalidArgumentError } from '../errors.js';
import type { ShardResult } from './gather.js';
import { bytesCodec, type ShardCodec } from './shard-codec.js';
import type { MapItems, MapItemsResult } from './shard-group-types.js';

/** The chunks of `items` for a group of `shardCount` shards: where each goes, its payload, and the codec they travel in. */
export function chunkItems(
  items: MapItems,
  shardCount: number,
  /** The caller's chunkSize (default one chunk per shard). */
  requested: number | undefined,
  /** The group's codec, for items that are not a typed array. */
  groupCodec: ShardCodec,
): { chunkSize: number; shards: number[]; payloadFor: (shard: number, c: number) => unknown; codec: ShardCodec } {
  const typed = ArrayBuffer.isView(items);
  if (!typed && !Array.isArray(items)) throw new InvalidArgumentError('mapItems takes an array or a typed array of items');
  const n = items.length;
  const chunkSize = requested ?? Math.max(1, Math.ceil(n / shardCount));
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new InvalidArgumentError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const chunks = Math.ceil(n / chunkSize);
  const shards = Array.from({ length: chunks }, (_, c) => c % shardCount);
  const slice = (c: number) => (items as Int32Array).subarray(c * chunkSize, Math.min(n, (c + 1) * chunkSize));
  const codec = typed ? bytesCodec : groupCodec;
  const payloadFor = typed ? (_: number, c: number) => slice(c) : (_: number, c: number) => (items as readonly unknown[]).slice(c * chunkSize, (c + 1) * chunkSize);
  return { chunkSize, shards, payloadFor, codec };
}

/** One result per item from the chunks' answers; a chunk whose answer does not fit becomes an error of its own. */
export function joinChunks<T extends MapItems>(items: T, chunkSize: number, results: readonly ShardResult[]): MapItemsResult<T extends readonly unknown[] ? unknown[] : T> {
  const typed = ArrayBuffer.isView(items);
  const n = items.length;
  const out: unknown[] | Int32Array = typed ? new (items.constructor as Int32ArrayConstructor)(n) : new Array<unknown>(n);
  const chunkResults = results.map((result, c): ShardResult => {
    if (result.status !== 'ok') return result;
    const length = Math.min(n, (c + 1) * chunkSize) - c * chunkSize;
    const reply = result.value;
    let values: ArrayLike<unknown> | undefined;
    if (typed) {
      const bytes = reply as Uint8Array;
      const width = (items as Int32Array).BYTES_PER_ELEMENT;
      if (bytes.byteLength === length * width) values = new (items.constructor as Int32ArrayConstructor)(bytes.slice().buffer);
    } else if (Array.isArray(reply) && reply.length === length) {
      values = reply;
    }
    if (values === undefined) {
      const got = typed ? `${(reply as Uint8Array).byteLength} bytes` : Array.isArray(reply) ? `${reply.length} results` : typeof reply;
      return { ...result, status: 'error', value: undefined, errorCode: ErrorCode.BadReply, errorMessage: `chunk ${c} has ${length} items but the shard answered ${got}` };
    }
    if (typed) (out as Int32Array).set(values as Int32Array, c * chunkSize);
    else for (let i = 0; i < length; i++) (out as unknown[])[c * chunkSize + i] = values[i];
    return { ...result, value: undefined };
  });
  return { values: out as never, chunks: chunkResults, complete: chunkResults.every((r) => r.status === 'ok') };
}
