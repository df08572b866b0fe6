import { describe, expect, it } from 'vitest';
import { WaitLine, type Attempt } from '../../src/cluster/redis-coordination/wait-line.js';

// The per-process line of callers waiting on one Redis queue. Each waiter's
// script is a deferred promise the test settles by hand, so every
// interleaving is chosen by the test, not by timing.

interface Script<R> {
  readonly attempt: () => Promise<Attempt<R>>;
  /** Resolves the next try that is (or will be) running. */
  answer(attempt: Attempt<R>): Promise<void>;
  readonly tries: number;
}

function script<R>(): Script<R> {
  const pending: ((a: Attempt<R>) => void)[] = [];
  const started: (() => void)[] = [];
  let tries = 0;
  return {
    attempt: () => {
      tries++;
      started.shift()?.();
      return new Promise<Attempt<R>>((resolve) => pending.push(resolve));
    },
    answer: async (attempt) => {
      if (pending.length === 0) await new Promise<void>((r) => started.push(r));
      pending.shift()!(attempt);
      await new Promise((r) => setImmediate(r)); // the line acts on the answer
    },
    get tries() {
      return tries;
    },
  };
}

const nothing = { got: false, retryInMs: 0 } as const;

describe('WaitLine', () => {
  it('serves waiters oldest first: only the head tries, and the next tries after it was served', async () => {
    let emptied = 0;
    const line = new WaitLine<string>(() => emptied++);
    const first = script<string>();
    const second = script<string>();
    const a = line.join(first.attempt, undefined, undefined, () => 'timeout');
    const b = line.join(second.attempt, undefined, undefined, () => 'timeout');
    line.wake();
    await first.answer(nothing); // the head found nothing: the line stops, b does not try
    expect(second.tries).toBe(0);
    line.wake();
    await first.answer({ got: true, result: 'one' });
    await second.answer({ got: true, result: 'two' });
    expect([await a, await b]).toEqual(['one', 'two']);
    expect(line.size).toBe(0);
    expect(emptied).toBe(1);
  });

  it('a wake-up during a try starts another pass after it, so no notice is lost', async () => {
    const line = new WaitLine<string>(() => undefined);
    const s = script<string>();
    const a = line.join(s.attempt, undefined, undefined, () => 'timeout');
    line.wake();
    line.wake(); // arrives while the first try runs
    await s.answer(nothing);
    await s.answer({ got: true, result: 'found on the second pass' });
    expect(await a).toBe('found on the second pass');
    expect(s.tries).toBe(2);
  });

  it('a timeout while the script runs takes its result if it had one, else times out', async () => {
    const line = new WaitLine<string | null>(() => undefined);
    const lucky = script<string | null>();
    const unlucky = script<string | null>();
    const a = line.join(lucky.attempt, 0, undefined, () => null);
    line.wake(); // the try starts before the 0 ms timer fires
    await new Promise((r) => setTimeout(r, 5));
    await lucky.answer({ got: true, result: 'received at the deadline' });
    expect(await a).toBe('received at the deadline');
    const b = line.join(unlucky.attempt, 0, undefined, () => null);
    line.wake();
    await new Promise((r) => setTimeout(r, 5));
    await unlucky.answer(nothing);
    expect(await b).toBeNull();
    expect(line.size).toBe(0);
  });

  it('an abort of an idle waiter rejects at once and lets the next one try; failAll rejects the rest', async () => {
    const line = new WaitLine<string>(() => undefined);
    const first = script<string>();
    const second = script<string>();
    const third = script<string>();
    const controller = new AbortController();
    const a = line.join(first.attempt, undefined, controller.signal, () => 'timeout');
    const b = line.join(second.attempt, undefined, undefined, () => 'timeout');
    const c = line.join(third.attempt, undefined, undefined, () => 'timeout');
    controller.abort();
    await expect(a).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    expect(first.tries).toBe(0);
    line.wake();
    await second.answer(nothing);
    line.failAll(new Error('queue deleted'));
    await expect(b).rejects.toThrow('queue deleted');
    await expect(c).rejects.toThrow('queue deleted');
    expect(line.size).toBe(0);
  });

  it('a failing script rejects that waiter with its error; the next still tries', async () => {
    const line = new WaitLine<string>(() => undefined);
    const second = script<string>();
    const a = line.join(() => Promise.reject(new Error('backend down')), undefined, undefined, () => 'timeout');
    const b = line.join(second.attempt, undefined, undefined, () => 'timeout');
    line.wake();
    await expect(a).rejects.toThrow('backend down');
    await second.answer({ got: true, result: 'ok' });
    expect(await b).toBe('ok');
  });
});
