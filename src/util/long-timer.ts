/**
 * The longest delay Node's timers honour. A longer one is clamped to 1 ms
 * (with a TimeoutOverflowWarning), so a 25-day lease would end at once and a
 * timer that re-arms "until due" would spin every millisecond.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A pending `setLongTimeout`. `clear()` may be called any number of times, before or after it fires. */
export interface LongTimeout {
  clear(): void;
}

/**
 * `setTimeout` for any delay: arms at most `MAX_TIMER_DELAY_MS` at a time and
 * re-arms for the remainder, so a delay of years costs one timer firing every
 * ~24.8 days. The remainder is counted down from the chunks already waited,
 * not read from a clock, so a stepped wall clock cannot make it fire early.
 * Timers are unref'd unless `ref: true`: a pending timeout alone never keeps
 * the process alive (the callers' leases and waits are all of that kind).
 */
export function setLongTimeout(callback: () => void, delayMs: number, options: { ref?: boolean } = {}): LongTimeout {
  let remaining = Number.isFinite(delayMs) ? Math.max(0, delayMs) : MAX_TIMER_DELAY_MS;
  let handle: NodeJS.Timeout | undefined;
  let cleared = false;
  const arm = (): void => {
    const chunk = Math.min(remaining, MAX_TIMER_DELAY_MS);
    remaining -= chunk;
    handle = setTimeout(() => {
      handle = undefined;
      if (cleared) return;
      if (remaining > 0) arm();
      else callback();
    }, chunk);
    if (options.ref !== true) handle.unref();
  };
  arm();
  return {
    clear(): void {
      cleared = true;
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
  };
}

/**
 * `setInterval` for any period: a chain of `setLongTimeout`s, the next armed
 * as each firing starts (as `setInterval` does), so the callback may clear it.
 */
export function setLongInterval(callback: () => void, everyMs: number, options: { ref?: boolean } = {}): LongTimeout {
  let current: LongTimeout | undefined;
  let cleared = false;
  const next = (): void => {
    current = setLongTimeout(() => {
      if (cleared) return;
      next();
      callback();
    }, everyMs, options);
  };
  next();
  return {
    clear(): void {
      cleared = true;
      current?.clear();
    },
  };
}
