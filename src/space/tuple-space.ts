import { AbortError, InvalidArgumentError, SpaceClosedError } from '../errors.js';
import { compileTemplate, type CompiledTemplate } from '../tuple/template.js';
import type { Template, Tuple } from '../tuple/types.js';
import { acceptTuple, encodedSize } from '../tuple/validate-tuple.js';
import { DeliveryTracker, type Delivery } from './deliveries.js';
import { optionalDuration, resolveSpaceOptions, type ResolvedSpaceOptions, type TupleSpaceOptions } from './options.js';
import { exportTuple, SpaceCore, type NewTuple, type Waiter } from './space-core.js';
import { checkRoom, checkWaiterRoom } from './space-quota.js';
import { Transaction, type SpaceTransaction } from './transaction.js';
import type { StoredEntry } from './tuple-index.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timer.js';
import { Watcher, type WatchEvent, type WatchOptions } from './watch.js';
import type { Space, SpaceStorageKind } from './space.js';
import { bulkLimit, checkBlockingOptions, checkWatchOptions, locateInBatch, type AckTakeOptions, type BlockingOptions, type BulkOptions, type SpaceStats, type WriteOptions } from './operation-options.js';

// The operations' options and the checks shared with the Redis space live in operation-options.ts;
// re-exported here, where callers have always found them.
export type { AckTakeOptions, BlockingOptions, BulkOptions, SpaceStats, WriteOptions } from './operation-options.js';
export { bulkLimit, checkBlockingOptions, locateInBatch } from './operation-options.js';

/**
 * A Linda tuple space (DESIGN.md §3): `write`, blocking `read`/`take` with
 * timeouts and abort, non-blocking `tryRead`/`tryTake`, bulk operations,
 * leases, watch, transactions and crash-safe takes, over a pattern index
 * (see `TupleIndex`). With `storage`, every mutation is durable before its
 * promise resolves.
 *
 * Concurrency rule: all state belongs to the thread that made the space; no
 * method awaits between looking at the index and changing it, so operations
 * never interleave.
 */
export class TupleSpace implements Space, AsyncDisposable {
  readonly name: string;
  /**
   * Tuples that reached `maxDeliveries` crash-safe deliveries without an ack.
   * A dead-letter space is its own `deadLetters` and never dead-letters
   * further: its unacked tuples simply return.
   */
  readonly deadLetters: TupleSpace;
  private readonly isDeadLetterSpace: boolean;
  private readonly options: ResolvedSpaceOptions;
  private readonly core: SpaceCore;
  private readonly deliveries: DeliveryTracker;
  private readonly blockedTimers = new Set<LongTimeout>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: TupleSpaceOptions = {}, role?: typeof DEAD_LETTER_ROLE) {
    this.options = resolveSpaceOptions(options);
    this.name = this.options.name;
    const storage = this.options.storage;
    this.core = new SpaceCore(this.options.clock, storage);
    this.deliveries = new DeliveryTracker({
      returnTuple: (entry, deliveries) => this.returnTuple(entry, deliveries),
      forget: (entry) => storage?.remove(entry.seq),
      prepareWrite: (tuples, options) => this.prepareWrite(tuples, options ?? NO_OPTIONS),
      durable: () => this.durable(),
      clock: this.options.clock,
    });
    this.isDeadLetterSpace = role === DEAD_LETTER_ROLE;
    this.deadLetters = this.isDeadLetterSpace
      ? this
      : new TupleSpace({ ...options, name: `${this.name}#dead-letter`, storage: storage?.companion('dead-letter') }, DEAD_LETTER_ROLE);
    if (storage !== undefined) this.loadFromStorage();
  }

  /** Writes a tuple. Resolves once it is durable (at once for an in-memory space). */
  write(tuple: Tuple, options: WriteOptions = NO_OPTIONS): Promise<void> {
    try {
      this.assertOpen();
      const item = this.accept(tuple, options.ttlMs);
      if (this.options.quota !== undefined) checkRoom(this.options.quota, this.core, this.name, 1, item.size!, item.tuple);
      this.core.put(item);
      return this.durable();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Writes every tuple or, if any is invalid, none. */
  writeAll(tuples: readonly Tuple[], options: WriteOptions = {}): Promise<void> {
    try {
      this.prepareWrite(tuples, options)();
      return this.durable();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Checks a batch whole (shape, lease, quota: all or none) and returns the
   * step that writes it; nothing changes until that step runs.
   */
  private prepareWrite(tuples: readonly Tuple[], options: WriteOptions): () => void {
    this.assertOpen();
    if (!Array.isArray(tuples)) throw new InvalidArgumentError('writeAll takes an array of tuples');
    const accepted = tuples.map((t, i) => {
      try {
        return this.accept(t, options.ttlMs);
      } catch (error) {
        throw locateInBatch(error, i);
      }
    });
    // All or none: the batch must fit whole (a taker that would consume part of it is not counted on).
    if (this.options.quota !== undefined && accepted.length > 0) checkRoom(this.options.quota, this.core, this.name, accepted.length, accepted.reduce((sum, item) => sum + item.size!, 0));
    return () => {
      for (const item of accepted) this.core.put(item);
    };
  }

  /** The oldest matching tuple, left in place; waits for one. `null` on timeout. */
  read(template: Template, options: BlockingOptions = NO_OPTIONS): Promise<Tuple | null> {
    // The hot paths below use try/catch rather than `run(() => …)`: no closure per call.
    try {
      this.assertOpen();
      const compiled = this.compile(template);
      checkBlockingOptions(options);
      const entry = this.core.findLive(compiled);
      if (entry !== undefined) return Promise.resolve(exportTuple(entry));
      return this.block('read', compiled, options, exportTuple);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Removes and returns the oldest matching tuple; waits for one. `null` on timeout. */
  take(template: Template, options?: BlockingOptions): Promise<Tuple | null>;
  take(template: Template, options: AckTakeOptions): Promise<Delivery | null>;
  take(template: Template, options: BlockingOptions | AckTakeOptions = NO_OPTIONS): Promise<Tuple | Delivery | null> {
    try {
      this.assertOpen();
      const compiled = this.compile(template);
      checkBlockingOptions(options);
      const ack = this.ackOptions(options);
      const entry = this.core.findLive(compiled);
      if (entry !== undefined) {
        // Hand out now, before any await, so no other take can see the entry.
        return this.whenDurable(this.handOut(entry, ack, false));
      }
      return this.block('take', compiled, options, (e) => this.handOut(e, ack, true));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Non-blocking read (Linda `rdp`): the oldest match or `null`. */
  tryRead(template: Template): Promise<Tuple | null> {
    try {
      this.assertOpen();
      const entry = this.core.findLive(this.compile(template));
      return Promise.resolve(entry === undefined ? null : exportTuple(entry));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Non-blocking take (Linda `inp`): the oldest match or `null`. */
  tryTake(template: Template): Promise<Tuple | null>;
  tryTake(template: Template, options: AckTakeOptions): Promise<Delivery | null>;
  tryTake(template: Template, options?: AckTakeOptions): Promise<Tuple | Delivery | null> {
    try {
      this.assertOpen();
      const compiled = this.compile(template);
      const ack = options === undefined ? undefined : this.ackOptions(options);
      const entry = this.core.findLive(compiled);
      if (entry === undefined) return Promise.resolve(null);
      return this.whenDurable(this.handOut(entry, ack, false));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Every matching tuple, oldest first, left in place. */
  readAll(template: Template, options: BulkOptions = {}): Promise<Tuple[]> {
    return this.run(() => {
      const entries = this.core.collectLive(this.compile(template), bulkLimit(options));
      return Promise.resolve(entries.map(exportTuple));
    });
  }

  /** Removes and returns every matching tuple, oldest first. */
  takeAll(template: Template, options: BulkOptions = {}): Promise<Tuple[]> {
    return this.run(() => {
      const entries = this.core.collectLive(this.compile(template), bulkLimit(options));
      for (const entry of entries) this.core.take(entry);
      const out = entries.map(exportTuple);
      return this.whenDurable(out);
    });
  }

  count(template: Template): Promise<number> {
    return this.run(() => Promise.resolve(this.core.count(this.compile(template), false)));
  }

  /**
   * Streams `write`, `take` and `expire` events of tuples matching `template`
   * from now on, through a bounded buffer (see `WatchOverflowPolicy`). Ends
   * with `AbortError` on abort and `SpaceClosedError` on close; `break` ends it quietly.
   */
  watch(template: Template, options: WatchOptions = {}): AsyncIterableIterator<WatchEvent> {
    this.assertOpen();
    const compiled = this.compile(template);
    const { types, bufferSize, overflow } = checkWatchOptions(options, this.options.watchBufferSize);
    const signal = options.signal;
    const onAbort = () => watcher.abort(signal!.reason);
    const watcher = new Watcher(this.core.subscriptionSeq(), compiled, types, bufferSize, overflow, (w) => {
      this.core.watchers.remove(w);
      signal?.removeEventListener('abort', onAbort);
    });
    if (options.includeExisting && types.has('write')) {
      for (const entry of this.core.collectLive(compiled)) watcher.push({ type: 'write', tuple: exportTuple(entry) });
    }
    this.core.watchers.add(watcher, this.core.registrationPosition(compiled));
    if (signal?.aborted) watcher.abort(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    return watcher;
  }

  /**
   * Runs `fn` as one transaction: it sees its own writes, and either every
   * change it made applies (once `fn` returns) or none does (when it throws,
   * or returns a promise — the callback must be synchronous).
   */
  atomically<R>(fn: (tx: SpaceTransaction) => R): Promise<R> {
    return this.run(() => {
      if (typeof fn !== 'function') throw new InvalidArgumentError('atomically takes a synchronous function (tx) => result');
      const tx = new Transaction(this.core, {
        compile: (t) => this.compile(t),
        accept: (t, ttlMs) => this.accept(t, ttlMs),
      });
      let result: R;
      try {
        result = fn(tx);
        if (result instanceof Promise || (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function')) {
          throw new InvalidArgumentError('the atomically() callback returned a promise: it must be synchronous, so the transaction was rolled back');
        }
      } catch (error) {
        tx.rollback();
        throw error;
      }
      const quota = this.options.quota;
      if (quota !== undefined) {
        const grows = tx.delta();
        try {
          if (grows.tuples > 0 || grows.bytes > 0) checkRoom(quota, this.core, this.name, Math.max(0, grows.tuples), Math.max(0, grows.bytes));
        } catch (error) {
          tx.rollback();
          throw error;
        }
      }
      tx.commit();
      return this.whenDurable(result);
    });
  }

  /** Returns every tuple held by crash-safe takes of `holder`; resolves to how many. */
  releaseHolder(holder: string): Promise<number> {
    return this.run(() => {
      const n = this.deliveries.release(holder);
      return this.whenDurable(n);
    });
  }

  /** How many tuples crash-safe takes of `holder` hold. */
  heldBy(holder: string): Promise<number> {
    return this.run(() => {
      if (typeof holder !== 'string') throw new InvalidArgumentError('holder must be a string');
      return Promise.resolve(this.deliveries.heldBy(holder));
    });
  }

  stats(): SpaceStats {
    return {
      tuples: this.core.index.size,
      waiters: this.core.waiters.size,
      watchers: this.core.watchers.size,
      inflight: this.deliveries.size,
      leased: this.core.leasedCount,
      timers: this.blockedTimers.size + this.deliveries.size + (this.core.hasTimer ? 1 : 0),
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get storageKind(): SpaceStorageKind {
    return this.options.storage === undefined ? 'memory' : 'sqlite';
  }

  /**
   * Closes the space: blocked operations reject with `SpaceClosedError`,
   * watches end with it, every timer is cleared, and durable storage is
   * flushed and closed. Tuples out on crash-safe takes stay out; a durable
   * space puts them back when it is reopened.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ── internals ────────────────────────────────────────────────────────────

  private async shutdown(): Promise<void> {
    this.closed = true;
    const error = new SpaceClosedError(`the tuple space ${this.name} was closed`);
    for (const waiter of this.core.waiters.all()) (waiter as BlockedOp).fail(error);
    for (const watcher of this.core.watchers.all()) watcher.end(error);
    this.deliveries.close();
    this.core.stopTimers();
    if (!this.isDeadLetterSpace) await this.deadLetters.close();
    await this.options.storage?.close();
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
      return op();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new SpaceClosedError(`the tuple space ${this.name} is closed`);
  }

  private compile(template: unknown): CompiledTemplate {
    return compileTemplate(template, this.options.limits);
  }

  private accept(tuple: unknown, ttlMs: number | undefined): NewTuple {
    const ttl = optionalDuration('ttlMs', ttlMs);
    const { tuple: accepted, hasBytes, size } = acceptTuple(tuple, this.options.limits);
    return { tuple: accepted, hasBytes, size, expiresAt: ttl === undefined ? 0 : this.options.clock() + ttl, deliveries: 0 };
  }

  /** `value`, once every change so far is durable. */
  private whenDurable<T>(value: T): Promise<T> {
    const storage = this.options.storage;
    return storage === undefined ? Promise.resolve(value) : storage.flush().then(() => value);
  }

  private durable(): Promise<void> {
    return this.options.storage === undefined ? Promise.resolve() : this.options.storage.flush();
  }

  private ackOptions(blocking: BlockingOptions | AckTakeOptions): { leaseMs: number; holder: string | undefined } | undefined {
    const options = blocking as Partial<AckTakeOptions>;
    if (options.ack === undefined || options.ack === (false as never)) return undefined;
    if (options.ack !== true) throw new InvalidArgumentError(`ack must be true or false, got ${String(options.ack)}`);
    const leaseMs = optionalDuration('leaseMs', options.leaseMs) ?? this.options.defaultLeaseMs;
    if (options.holder !== undefined && typeof options.holder !== 'string') throw new InvalidArgumentError('holder must be a string');
    return { leaseMs, holder: options.holder };
  }

  /**
   * Gives a taken entry to its taker. `fromWrite`: the entry came straight
   * from a write and was never in the index.
   */
  private handOut(entry: StoredEntry, ack: { leaseMs: number; holder: string | undefined } | undefined, fromWrite: boolean): Tuple | Delivery {
    if (ack === undefined) {
      if (!fromWrite) this.core.take(entry);
      return exportTuple(entry);
    }
    const deliveries = entry.deliveries + 1;
    if (fromWrite) this.options.storage?.insert({ ...entry, deliveries, inflight: true });
    else this.core.take(entry, { deliveries });
    return this.deliveries.open(entry, deliveries, ack.leaseMs, ack.holder);
  }

  /** A crash-safe take was not acked: write the tuple again, or dead-letter it. */
  private returnTuple(entry: StoredEntry, deliveries: number): void {
    this.options.storage?.remove(entry.seq);
    if (this.closed) return;
    const item: NewTuple = { tuple: entry.tuple, hasBytes: entry.hasBytes, size: entry.size, expiresAt: entry.expiresAt, deliveries };
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.options.clock()) {
      this.core.emit('expire', entry);
    } else if (deliveries >= this.options.maxDeliveries && !this.isDeadLetterSpace) {
      this.deadLetters.core.put({ ...item, deliveries: 0 });
    } else {
      this.core.put(item);
    }
  }

  /** Rebuilds the index from storage; tuples that were out on crash-safe takes come back. */
  private loadFromStorage(): void {
    const storage = this.options.storage!;
    const now = this.options.clock();
    for (const record of storage.load()) {
      if (record.expiresAt !== 0 && record.expiresAt <= now) {
        storage.remove(record.seq);
        continue;
      }
      if (record.inflight && record.deliveries >= this.options.maxDeliveries && !this.isDeadLetterSpace) {
        storage.remove(record.seq);
        this.deadLetters.core.put({ tuple: record.tuple, hasBytes: record.hasBytes, size: encodedSize(record.tuple as never), expiresAt: record.expiresAt, deliveries: 0 });
        continue;
      }
      if (record.inflight) storage.setInflight(record.seq, false, record.deliveries);
      this.core.restore({
        seq: record.seq,
        tuple: record.tuple,
        hasBytes: record.hasBytes,
        expiresAt: record.expiresAt,
        deliveries: record.deliveries,
        // A restarted space counts what it holds again (exact size: the write-time bound was not stored).
        size: this.options.quota === undefined ? 0 : encodedSize(record.tuple as never),
        dead: false,
        hidden: false,
      });
    }
  }

  private block<T>(
    kind: 'read' | 'take',
    template: CompiledTemplate,
    options: BlockingOptions,
    onEntry: (entry: StoredEntry) => T,
  ): Promise<T | null> {
    const timeoutMs = optionalDuration('timeoutMs', options.timeoutMs);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    if (timeoutMs === 0) return Promise.resolve(null);
    if (this.options.quota !== undefined) checkWaiterRoom(this.options.quota, this.core, this.name);
    return new Promise<T | null>((resolve, reject) => {
      const op = new BlockedOp(kind, this.core.subscriptionSeq(), template);
      const cleanup = () => {
        this.core.waiters.remove(op);
        if (op.timer !== undefined) {
          op.timer.clear();
          this.blockedTimers.delete(op.timer);
        }
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(new AbortError(signal!.reason));
      };
      op.deliver = (entry) => {
        cleanup();
        let value: T;
        try {
          value = onEntry(entry);
        } catch (error) {
          reject(error);
          return;
        }
        if (this.options.storage === undefined) resolve(value);
        else this.durable().then(() => resolve(value), reject);
      };
      op.fail = (error) => {
        cleanup();
        reject(error);
      };
      if (timeoutMs !== undefined) {
        // A long timer: a wait past 2^31-1 ms would otherwise time out at once.
        // Referenced, as a plain setTimeout was: a blocked read keeps the process up.
        op.timer = setLongTimeout(
          () => {
            cleanup();
            resolve(null);
          },
          timeoutMs,
          { ref: true },
        );
        this.blockedTimers.add(op.timer);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.core.waiters.add(op, this.core.registrationPosition(template));
    });
  }
}

const NO_OPTIONS = Object.freeze({});

/** Marks the companion dead-letter space a `TupleSpace` makes for itself. */
const DEAD_LETTER_ROLE = Symbol('dead-letter');

class BlockedOp implements Waiter {
  dead = false;
  timer: LongTimeout | undefined;
  deliver: (entry: StoredEntry) => void = () => {};
  fail: (error: Error) => void = () => {};

  constructor(
    readonly kind: 'read' | 'take',
    readonly seq: number,
    readonly template: CompiledTemplate,
  ) {}
}
