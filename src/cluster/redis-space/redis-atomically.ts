import { InvalidArgumentError, SpaceClosedError, TransactionConflictError } from '../../errors.js';
import type { SpaceTransaction } from '../../space/transaction.js';
import type { TupleLimits } from '../../tuple/limits.js';
import { onBackend } from '../redis-client.js';
import type { SpaceScripts } from './space-script-runner.js';
import { TransactionRun, TransactionView, type ViewQuery } from './transaction-view.js';

/** Commits tried before `atomically` gives up with `PLEX_ERR_TRANSACTION_CONFLICT`. */
export const DEFAULT_TRANSACTION_ATTEMPTS = 100;

/**
 * Snapshots a callback may ask for (a new template, or more matches of one)
 * before it is refused: each is a round trip, and a transaction reading an
 * unbounded set of templates is a bug.
 */
export const MAX_TRANSACTION_FETCHES = 256;

/** Longest pause between two attempts after repeated conflicts. */
const MAX_BACKOFF_MS = 20;

/** What a transaction needs of its space: where it lives and how tuples are checked. */
export interface TransactionContext {
  readonly name: string;
  readonly base: string;
  readonly scripts: SpaceScripts;
  readonly limits: TupleLimits;
  readonly isClosed: () => boolean;
  /** Default `DEFAULT_TRANSACTION_ATTEMPTS`. */
  readonly maxAttempts?: number;
}

/**
 * `atomically` on a Redis space, as an optimistic transaction with
 * re-execution (the way STM runs in Haskell or Clojure). The callback is
 * synchronous and Redis is remote, so it runs against a local view
 * (transaction-view.ts). A call the view cannot answer throws an internal
 * marker; every query asked so far is then fetched in one script call,
 * which makes the view one consistent snapshot, and the callback runs again
 * from scratch. A run that completes is committed by one script that checks
 * every query it depended on still has exactly the answer it saw and, if
 * so, applies its takes and writes in place (transaction-lua.ts). A
 * conflict returns fresh answers and the callback runs again.
 *
 * So the callback may run several times and must have no side effects
 * outside `tx`; its result is the one of the run that committed. A throw
 * from the callback (on a consistent snapshot) rolls back: nothing was sent
 * to Redis, and the promise rejects with it.
 */
export async function redisAtomically<R>(ctx: TransactionContext, fn: (tx: SpaceTransaction) => R): Promise<R> {
  if (typeof fn !== 'function') throw new InvalidArgumentError('atomically takes a synchronous function (tx) => result');
  const maxAttempts = ctx.maxAttempts ?? DEFAULT_TRANSACTION_ATTEMPTS;
  const view = new TransactionView();
  let fetches = 0;
  let conflicts = 0;
  for (;;) {
    const run = new TransactionRun(view, ctx.limits);
    const outcome = runOnce(run, fn);
    if (view.hasNeeds) {
      if (++fetches > MAX_TRANSACTION_FETCHES) {
        throw new InvalidArgumentError(`the atomically() callback on ${ctx.name} asked Redis for data ${MAX_TRANSACTION_FETCHES} times: a transaction must read a bounded set of templates`);
      }
      const queries = view.toFetch();
      view.absorb(queries, (await call(ctx, 'fetch', queryArgs(queries))) as unknown[]);
      continue;
    }
    if (!outcome.ok) throw outcome.error;
    if (run.isReadOnly) return outcome.value;
    const queries = view.keepOnly(run.used);
    const reply = (await call(ctx, 'commit', [...queryArgs(queries), ...queries.map(seen), String(run.takenSeqs.length), ...run.takenSeqs, ...writeArgs(run)])) as unknown[];
    if (Number(reply[0]) === 1) return outcome.value;
    conflicts++;
    if (conflicts >= maxAttempts) {
      throw new TransactionConflictError(
        `atomically on the tuple space ${ctx.name} gave up after ${conflicts} attempts: each time another process changed what the callback read before it could commit; nothing was applied`,
        conflicts,
      );
    }
    view.absorb(queries, reply.slice(1));
    // Contenders that conflicted together would meet again at once: spread them out.
    if (conflicts > 1) await pause(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** (conflicts - 1)));
  }
}

type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** One run of the callback; a returned promise is refused at once (the callback must be synchronous). */
function runOnce<R>(run: TransactionRun, fn: (tx: SpaceTransaction) => R): Outcome<R> {
  let value: R;
  try {
    value = fn(run);
  } catch (error) {
    return { ok: false, error };
  } finally {
    run.close();
  }
  if (isThenable(value)) {
    // Its rejection (often the marker, thrown by a call before its first await) must not surface as unhandled.
    Promise.resolve(value).catch(() => undefined);
    throw new InvalidArgumentError('the atomically() callback returned a promise: it must be synchronous, so the transaction was rolled back');
  }
  return { ok: true, value };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

async function call(ctx: TransactionContext, mode: 'fetch' | 'commit', args: (string | Buffer)[]): Promise<unknown> {
  if (ctx.isClosed()) throw new SpaceClosedError(`the tuple space ${ctx.name} was closed during atomically()`);
  return onBackend(`atomically on the tuple space ${ctx.name}`, () => ctx.scripts.transaction(ctx.base, [mode, ...args]));
}

/** q, then each query's program and limit ('c': a count; -1: every match). */
function queryArgs(queries: readonly ViewQuery[]): (string | Buffer)[] {
  const args: (string | Buffer)[] = [String(queries.length)];
  for (const q of queries) args.push(q.program, q.kind === 'count' ? 'c' : Number.isFinite(q.limit) ? String(q.limit) : '-1');
  return args;
}

/** The answer a run saw, as the commit script writes it: the seqs joined by ',', or the count. */
function seen(q: ViewQuery): string {
  return q.kind === 'count' ? String(q.count) : q.seqs.join(',');
}

function writeArgs(run: TransactionRun): (string | Buffer)[] {
  const writes = run.writesToCommit();
  return [String(writes.length / 2), ...writes];
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
