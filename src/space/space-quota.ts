import { InvalidArgumentError, QuotaExceededError, shown } from '../errors.js';
import type { Tuple } from '../tuple/types.js';
import type { SpaceCore } from './space-core.js';

/**
 * Bounds on what one space holds (a node sets them for every tenant space
 * from its `[quotas]`, see src/node/tenant-quotas.ts). Without them a
 * space grows until the process runs out of memory.
 */
export interface SpaceQuotaOptions {
  /** Tuples stored at once. Default: unbounded. */
  maxTuples?: number;
  /** Bytes of stored tuples (each tuple's encoded size, bounded from above). Default: unbounded. */
  maxBytes?: number;
  /** Blocked `read`/`take` calls waiting at once. Default: unbounded. */
  maxWaiters?: number;
}

export interface SpaceQuota {
  readonly maxTuples: number;
  readonly maxBytes: number;
  readonly maxWaiters: number;
}

/** The quota names a refusal reports: the node's `[quotas]` keys these options come from. */
const NAMES = { maxTuples: 'tuplesPerSpace', maxBytes: 'bytesPerSpace', maxWaiters: 'waitersPerSpace' } as const;

/** `undefined` when no bound is set (the space then skips every check and the byte count). */
export function resolveSpaceQuota(options: SpaceQuotaOptions): SpaceQuota | undefined {
  const { maxTuples, maxBytes, maxWaiters } = options;
  if (maxTuples === undefined && maxBytes === undefined && maxWaiters === undefined) return undefined;
  for (const [name, value] of Object.entries({ maxTuples, maxBytes, maxWaiters })) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)) throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return { maxTuples: maxTuples ?? Infinity, maxBytes: maxBytes ?? Infinity, maxWaiters: maxWaiters ?? Infinity };
}

/**
 * Refuses to store `tuples` more tuples of `bytes` bytes that do not fit.
 * `single`: the one tuple of a plain write, which is let through when a
 * blocked taker will consume it (it is never stored), so a full space still
 * feeds the consumers that would drain it.
 */
export function checkRoom(quota: SpaceQuota, core: SpaceCore, space: string, tuples: number, bytes: number, single?: Tuple): void {
  const overTuples = core.index.size + tuples > quota.maxTuples;
  const overBytes = core.storedBytes + bytes > quota.maxBytes;
  if (!overTuples && !overBytes) return;
  if (single !== undefined && core.waiters.matching(single).some((w) => w.kind === 'take')) return;
  if (overTuples) throw new QuotaExceededError(NAMES.maxTuples, quota.maxTuples, `space ${shown(space)}`, `it holds ${core.index.size} tuples`);
  throw new QuotaExceededError(NAMES.maxBytes, quota.maxBytes, `space ${shown(space)}`, `it holds ${core.storedBytes} bytes of tuples and the write adds ${bytes}`);
}

/** Refuses another blocked operation in a space whose waiters are at the bound. */
export function checkWaiterRoom(quota: SpaceQuota, core: SpaceCore, space: string): void {
  if (core.waiters.size + 1 > quota.maxWaiters) throw new QuotaExceededError(NAMES.maxWaiters, quota.maxWaiters, `space ${shown(space)}`, `${core.waiters.size} calls are waiting`);
}
