import { InvalidArgumentError } from '../errors.js';

/**
 * The longest duration any option takes (`ttlMs`, `leaseMs`, `timeoutMs`,
 * lock leases, KV TTLs, timers …): 100 years. Far beyond any real lease, yet
 * `Date.now() + MAX_DURATION_MS` stays an exact integer (< 2^53), a valid
 * `Date` (< 8.64e15) and an SQLite INTEGER, so deadlines computed from it
 * never lose precision or wrap.
 */
export const MAX_DURATION_MS = 100 * 365.25 * 24 * 60 * 60 * 1000; // 3 155 760 000 000

export interface DurationRule {
  /** Refuse 0 (a period, a lease that must last some time). Default: 0 is allowed. */
  positive?: boolean;
  /** Refuse fractions of a millisecond. Default: fractions are allowed. */
  integer?: boolean;
}

/**
 * Validates a duration in milliseconds at the boundary: a finite number,
 * ≥ 0 (or > 0 with `positive`), at most `MAX_DURATION_MS`. NaN, ±Infinity,
 * negatives, non-numbers and anything longer are refused with an
 * `InvalidArgumentError` naming the option, before any state changes.
 */
export function checkDuration(name: string, value: unknown, rule: DurationRule = {}): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.positive === true ? value > 0 : value >= 0) &&
    value <= MAX_DURATION_MS &&
    (rule.integer !== true || Number.isInteger(value));
  if (!ok) {
    const shape = `${rule.integer === true ? 'an integer' : 'a finite number'} of milliseconds ${rule.positive === true ? '> 0' : '≥ 0'} and at most ${MAX_DURATION_MS} (100 years)`;
    throw new InvalidArgumentError(`${name} must be ${shape}, got ${describe(value)}`);
  }
  return value as number;
}

/** `checkDuration`, with `undefined` meaning "not given". */
export function optionalDuration(name: string, value: unknown, rule: DurationRule = {}): number | undefined {
  return value === undefined ? undefined : checkDuration(name, value, rule);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}
