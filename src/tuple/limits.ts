import { InvalidArgumentError } from '../errors.js';

/** Size limits enforced on every tuple and template (DESIGN.md §3). */
export interface TupleLimits {
  /** Largest encoded size in bytes. Default 1 MiB. */
  readonly maxEncodedBytes: number;
  /** Deepest nesting; the tuple itself is depth 1. Default 32. */
  readonly maxDepth: number;
  /** Most fields counted at every depth (a nested array counts, and so does each of its items). Default 1024. */
  readonly maxFields: number;
}

export const DEFAULT_TUPLE_LIMITS: TupleLimits = Object.freeze({
  maxEncodedBytes: 1024 * 1024,
  maxDepth: 32,
  maxFields: 1024,
});

/** Merges caller limits over the defaults, validating each by name. */
export function resolveTupleLimits(partial: Partial<TupleLimits> | undefined): TupleLimits {
  if (partial === undefined) return DEFAULT_TUPLE_LIMITS;
  const merged = { ...DEFAULT_TUPLE_LIMITS, ...partial };
  for (const name of ['maxEncodedBytes', 'maxDepth', 'maxFields'] as const) {
    const value = merged[name];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InvalidArgumentError(`limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return Object.freeze(merged);
}
