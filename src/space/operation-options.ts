import { InvalidArgumentError, InvalidTupleError, TupleTooLargeError } from '../errors.js';
import { optionalDuration } from './options.js';
import type { WatchEventType, WatchOptions, WatchOverflowPolicy } from './watch.js';

/**
 * The options of a tuple space's operations (docs/tuple-space.md), and the
 * checks every implementation shares — the in-process `TupleSpace` and the
 * cluster's `RedisTupleSpace` refuse bad options with the same errors.
 */

export interface WriteOptions {
  /** Lease: the tuple expires this many ms after the write. Default: never. */
  ttlMs?: number;
}

export interface BlockingOptions {
  /** Give up after this many ms and resolve `null`. Default: wait until a match or close. */
  timeoutMs?: number;
  /** Abort the wait; the promise rejects with `AbortError`. */
  signal?: AbortSignal;
}

/** A crash-safe take: the tuple comes back unless `ack()`ed within `leaseMs`. */
export interface AckTakeOptions extends BlockingOptions {
  ack: true;
  /** Default: the space's `defaultLeaseMs` (30 s). */
  leaseMs?: number;
  /** Who holds the delivery; `releaseHolder(holder)` returns all of its tuples at once. */
  holder?: string;
}

export interface BulkOptions {
  /** Most tuples to return. Default: all. */
  limit?: number;
}

export interface SpaceStats {
  readonly tuples: number;
  readonly waiters: number;
  readonly watchers: number;
  readonly inflight: number;
  readonly leased: number;
  /** Timers the space holds now (lease expiry, take leases, blocked-op timeouts). */
  readonly timers: number;
}

export function checkBlockingOptions(options: BlockingOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
  optionalDuration('timeoutMs', options.timeoutMs);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal');
  }
}

/** Prefixes the batch position to a tuple error from `writeAll`, so `[3][1]` names tuple 3, field 1. */
export function locateInBatch(error: unknown, i: number): unknown {
  if (error instanceof InvalidTupleError) return new InvalidTupleError(`[${i}]${error.path === '[]' ? '' : error.path}`, error.detail);
  if (error instanceof TupleTooLargeError) return new TupleTooLargeError(`[${i}]${error.path === '[]' ? '' : error.path}`, error.limit, error.detail);
  return error;
}

export function bulkLimit(options: BulkOptions): number {
  const limit = options.limit;
  if (limit === undefined) return Infinity;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError(`limit must be an integer ≥ 0, got ${String(limit)}`);
  return limit;
}

/** A watch's options checked and defaulted (`bufferSize` from the space's default); throws `InvalidArgumentError` naming the option. */
export function checkWatchOptions(options: WatchOptions, defaultBufferSize: number): { types: Set<WatchEventType>; bufferSize: number; overflow: WatchOverflowPolicy } {
  const types = new Set<WatchEventType>(options.events ?? ['write', 'take', 'expire']);
  for (const type of types) {
    if (type !== 'write' && type !== 'take' && type !== 'expire') {
      throw new InvalidArgumentError(`events: unknown event type ${String(type)} (write, take or expire)`);
    }
  }
  const bufferSize = options.bufferSize ?? defaultBufferSize;
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) throw new InvalidArgumentError(`bufferSize must be a positive integer, got ${bufferSize}`);
  const overflow = options.overflow ?? 'drop-oldest';
  if (overflow !== 'drop-oldest' && overflow !== 'error') throw new InvalidArgumentError(`overflow must be drop-oldest or error, got ${String(overflow)}`);
  return { types, bufferSize, overflow };
}
