import { InvalidArgumentError } from '../errors.js';
import { checkDuration, optionalDuration as durationOption } from '../util/duration.js';
import { resolveTupleLimits, type TupleLimits } from '../tuple/limits.js';
import { resolveSpaceQuota, type SpaceQuota, type SpaceQuotaOptions } from './space-quota.js';
import type { SpaceStorage } from './storage/space-storage.js';

/** `maxTuples`, `maxBytes`, `maxWaiters` (space-quota.ts) bound what the space holds; unbounded by default. */
export interface TupleSpaceOptions extends SpaceQuotaOptions {
  /** A name for messages and metrics. Default `space`. */
  name?: string;
  /** Tuple and template limits. Default 1 MiB encoded, depth 32, 1024 fields. */
  limits?: Partial<TupleLimits>;
  /** Durable storage, e.g. `sqlite(path)`. Default: none (in-memory only). */
  storage?: SpaceStorage;
  /** Deliveries of a crash-safe take before the tuple moves to the dead-letter space. Default 5. */
  maxDeliveries?: number;
  /** Lease of a crash-safe take when the call gives none. Default 30 000 ms. */
  defaultLeaseMs?: number;
  /** Events a watcher buffers before its overflow policy applies. Default 1024. */
  watchBufferSize?: number;
  /** Epoch-ms clock, for tests. Default `Date.now`. */
  clock?: () => number;
}

export interface ResolvedSpaceOptions {
  readonly name: string;
  readonly limits: TupleLimits;
  readonly storage: SpaceStorage | undefined;
  readonly maxDeliveries: number;
  readonly defaultLeaseMs: number;
  readonly watchBufferSize: number;
  readonly clock: () => number;
  readonly quota: SpaceQuota | undefined;
}

export const DEFAULT_SPACE_OPTIONS = Object.freeze({
  name: 'space',
  maxDeliveries: 5,
  defaultLeaseMs: 30_000,
  watchBufferSize: 1024,
  clock: (): number => Date.now(),
});

/** Merges options over the defaults without touching the caller's object, naming any bad option. */
export function resolveSpaceOptions(options: TupleSpaceOptions = {}): ResolvedSpaceOptions {
  const merged = { ...DEFAULT_SPACE_OPTIONS, ...stripUndefined(options) };
  positiveInteger('maxDeliveries', merged.maxDeliveries);
  positiveInteger('defaultLeaseMs', merged.defaultLeaseMs);
  checkDuration('defaultLeaseMs', merged.defaultLeaseMs);
  positiveInteger('watchBufferSize', merged.watchBufferSize);
  if (typeof merged.clock !== 'function') throw new InvalidArgumentError('clock must be a function returning epoch milliseconds');
  return {
    name: String(merged.name),
    limits: resolveTupleLimits(options.limits),
    storage: options.storage,
    maxDeliveries: merged.maxDeliveries,
    defaultLeaseMs: merged.defaultLeaseMs,
    watchBufferSize: merged.watchBufferSize,
    clock: merged.clock,
    quota: resolveSpaceQuota(options),
  };
}

export function positiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/** `timeoutMs`, `ttlMs`, `leaseMs`: a finite number ≥ 0 and at most `MAX_DURATION_MS` (100 years), or undefined. */
export function optionalDuration(name: string, value: unknown): number | undefined {
  return durationOption(name, value);
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
