import { AbortError, InvalidArgumentError, SpaceClosedError } from '../../errors.js';
import { optionalDuration } from '../../space/options.js';
import { bulkLimit, checkBlockingOptions, locateInBatch, type BlockingOptions, type BulkOptions, type WriteOptions } from '../../space/tuple-space.js';
import { decodeTuple } from '../../tuple/codec.js';
import { resolveTupleLimits, type TupleLimits } from '../../tuple/limits.js';
import { compileTemplate } from '../../tuple/template.js';
import type { Template, Tuple } from '../../tuple/types.js';
import { acceptTuple } from '../../tuple/validate-tuple.js';
import type { WatchEvent, WatchOptions } from '../../space/watch.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { BlockedOp } from './blocked-op.js';
import { matchRecord } from './match-record.js';
import { SpaceScripts } from './space-script-runner.js';
import { handoffKey, spaceBaseKey, tupleHashKey, watchChannel } from './space-keys.js';
import { SpaceWatchers } from './space-watchers.js';
import { templateProgram, type TemplateProgram } from './template-program.js';
import { RedisWakeups } from './wakeups.js';

export interface RedisTupleSpaceOptions {
  /** The space's name, e.g. `tenant/namespace/name`: every process that opens this name shares one space. */
  name: string;
  /** The connection commands and scripts go through (`connectRedis`). The space never closes it. */
  redis: RedisClient;
  /** This process's handoff subscriber, shared by a node's spaces. Default: one of the space's own, closed with it. */
  wakeups?: RedisWakeups;
  /** Tuple and template limits. Default 1 MiB encoded, depth 32, 1024 fields (as the in-process space). */
  limits?: Partial<TupleLimits>;
  /**
   * How long this process's blocked operations stay valid in Redis without a
   * renewal; renewed every third of it while any is blocked. A write skips
   * (and drops) waiters of a process that stopped renewing, so a dead
   * process does not swallow tuples. Default 15 000 ms.
   */
  waiterLivenessMs?: number;
}

export interface RedisSpaceStats {
  /** Tuples stored in Redis (every process's). */
  readonly tuples: number;
  /** Blocked operations of this instance. */
  readonly waiters: number;
  /** Watches of this instance. */
  readonly watchers: number;
  /** Timers this instance holds (blocked-operation timeouts, the liveness renewal). */
  readonly timers: number;
}

export const DEFAULT_WAITER_LIVENESS_MS = 15_000;

/**
 * A tuple space in Redis, shared by every process that opens the same name
 * (docs/cluster.md, "Tuple spaces on Redis"). The contract is the
 * in-process `TupleSpace`'s: write / writeAll / read / take / tryRead /
 * tryTake / readAll / takeAll / count, FIFO results, blocking with timeout
 * and abort, leases Each operation is one Lua script, so it is atomic
 * across processes; a write hands its tuple to blocked operations of any
 * process in the same script and publishes it to their process (no polling).
 *
 * and watch.
 *
 * Not yet: atomically, crash-safe take (ack / nack), quotas.
 */
export class RedisTupleSpace implements AsyncDisposable {
  readonly name: string;
  private readonly base: string;
  private readonly limits: TupleLimits;
  private readonly blocked = new Set<BlockedOp>();
  private readonly watchers = new SpaceWatchers();
  private readonly livenessMs: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly stopReconnectListener: () => void;

  private constructor(
    options: RedisTupleSpaceOptions,
    private readonly redis: RedisClient,
    private readonly scripts: SpaceScripts,
    private readonly wakeups: RedisWakeups,
    private readonly ownsWakeups: boolean,
  ) {
    this.name = options.name;
    this.base = spaceBaseKey(options.name);
    this.limits = resolveTupleLimits(options.limits);
    this.livenessMs = options.waiterLivenessMs ?? DEFAULT_WAITER_LIVENESS_MS;
    this.stopReconnectListener = wakeups.onReconnect(() => void this.collectMissedHandoffs());
  }

  /** Opens the space: resolves once this process can be woken (its subscriber is subscribed). */
  static async open(options: RedisTupleSpaceOptions): Promise<RedisTupleSpace> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('RedisTupleSpace.open takes { name, redis }');
    if (typeof options.name !== 'string' || options.name === '') throw new InvalidArgumentError(`name must be a non-empty string, got ${String(options.name)}`);
    if (options.redis === undefined) throw new InvalidArgumentError('redis: a connection from connectRedis is required');
    const liveness = options.waiterLivenessMs;
    if (liveness !== undefined && (!Number.isSafeInteger(liveness) || liveness < 30)) {
      throw new InvalidArgumentError(`waiterLivenessMs must be an integer ≥ 30, got ${String(liveness)}`);
    }
    const wakeups = options.wakeups ?? (await onBackend('open a tuple space', () => RedisWakeups.open(options.redis)));
    const space = new RedisTupleSpace(options, options.redis, SpaceScripts.on(options.redis), wakeups, options.wakeups === undefined);
    // Subscribed from the start, so a watch begun later needs only its (ordered) watch script.
    await onBackend('open a tuple space', () => wakeups.listen(watchChannel(space.base), (message) => space.watchers.onMessage(message)));
    return space;
  }

  write(tuple: Tuple, options: WriteOptions = {}): Promise<void> {
    return this.run(async () => {
      const args = this.writeArgs(tuple, options.ttlMs);
      await this.call('write', () => this.scripts.write(this.base, 1, args));
    });
  }

  /** Writes every tuple or, if any is invalid, none; one script, so no process sees part of the batch. */
  writeAll(tuples: readonly Tuple[], options: WriteOptions = {}): Promise<void> {
    return this.run(async () => {
      if (!Array.isArray(tuples)) throw new InvalidArgumentError('writeAll takes an array of tuples');
      const args: (Buffer | string)[] = [];
      tuples.forEach((t, i) => {
        try {
          const [record, ttl] = this.writeArgs(t, options.ttlMs);
          args.push(record, ttl);
        } catch (error) {
          throw locateInBatch(error, i);
        }
      });
      if (tuples.length === 0) return;
      await this.call('writeAll', () => this.scripts.write(this.base, tuples.length, args));
    });
  }

  /** The oldest matching tuple, left in place; waits for one. `null` on timeout. */
  read(template: Template, options: BlockingOptions = {}): Promise<Tuple | null> {
    return this.blocking('r', template, options);
  }

  /** Removes and returns the oldest matching tuple; waits for one. `null` on timeout. */
  take(template: Template, options: BlockingOptions = {}): Promise<Tuple | null> {
    const ack = (options as { ack?: unknown } | undefined)?.ack;
    if (ack !== undefined && ack !== false) {
      return Promise.reject(new InvalidArgumentError('crash-safe take (ack) is not supported on a Redis tuple space yet'));
    }
    return this.blocking('t', template, options);
  }

  tryRead(template: Template): Promise<Tuple | null> {
    return this.run(async () => (await this.find(this.program(template), 'read', 1))[0] ?? null);
  }

  tryTake(template: Template): Promise<Tuple | null> {
    return this.run(async () => (await this.find(this.program(template), 'take', 1))[0] ?? null);
  }

  readAll(template: Template, options: BulkOptions = {}): Promise<Tuple[]> {
    return this.run(() => this.find(this.program(template), 'read', bulkLimit(options)));
  }

  takeAll(template: Template, options: BulkOptions = {}): Promise<Tuple[]> {
    return this.run(() => this.find(this.program(template), 'take', bulkLimit(options)));
  }

  count(template: Template): Promise<number> {
    return this.run(async () => {
      const program = this.program(template);
      return Number(await this.call('count', () => this.scripts.find(this.base, program.bytes, 'count', -1)));
    });
  }

  async stats(): Promise<RedisSpaceStats> {
    const tuples = await this.call('stats', () => this.redis.hlen(tupleHashKey(this.base)));
    let timers = this.renewTimer === undefined ? 0 : 1;
    for (const op of this.blocked) if (op.hasTimer) timers++;
    return { tuples, waiters: this.blocked.size, watchers: this.watchers.size, timers };
  }

  /**
   * Streams `write`, `take` and `expire` events of tuples matching
   * `template`, from any process, from now on (the in-process options and
   * buffer). Events reach this process through pub/sub, after the operation
   * that caused them resolved: `syncWatchers()` waits for them.
   */
  watch(template: Template, options: WatchOptions = {}): AsyncIterableIterator<WatchEvent> {
    if (this.closed) throw new SpaceClosedError(`the tuple space ${this.name} is closed`);
    const compiled = compileTemplate(template, this.limits);
    const signal = options.signal;
    const onAbort = () => watcher.abort(signal!.reason);
    const watcher = this.watchers.add(compiled, options, () => {
      signal?.removeEventListener('abort', onAbort);
      if (this.blocked.size === 0 && this.watchers.size === 0) this.stopRenewing();
    });
    this.startRenewing();
    const existing = options.includeExisting && (options.events ?? ['write']).includes('write') ? templateProgram(template as readonly unknown[]).bytes : undefined;
    this.call('watch', () => this.scripts.watch(this.base, this.livenessMs, existing)).then(
      (reply) => {
        const [mark, ...tuples] = reply as [number, ...Buffer[]];
        this.watchers.started(watcher, Number(mark), tuples);
      },
      (error: Error) => watcher.end(error),
    );
    if (signal?.aborted) watcher.abort(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    return watcher;
  }

  /** Resolves once this instance's watchers have received the events of every operation that completed before the call. */
  async syncWatchers(): Promise<void> {
    if (this.closed) return;
    const { token, arrived } = this.watchers.newMark();
    try {
      await this.call('sync watchers', () => this.scripts.mark(this.base, token));
    } catch (error) {
      this.watchers.dropMark(token);
      throw error;
    }
    await arrived;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Blocked operations reject with `SpaceClosedError` and are withdrawn from
   * Redis (a tuple already handed to a blocked take goes back). The tuples
   * stay: they belong to every process sharing the space.
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
    this.stopReconnectListener();
    const ops = [...this.blocked];
    const error = new SpaceClosedError(`the tuple space ${this.name} was closed`);
    for (const op of ops) op.fail(error);
    await Promise.allSettled(ops.map((op) => this.withdraw(op)));
    this.stopRenewing();
    if (this.ownsWakeups) await this.wakeups.close();
    else await this.wakeups.unlisten(watchChannel(this.base));
    // Last, just before close() resolves: a caller awaiting close() then the watch sees the end
    // in the same turn, as with the in-process space.
    this.watchers.end(error);
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SpaceClosedError(`the tuple space ${this.name} is closed`));
    try {
      return op();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return onBackend(`${what} on the tuple space ${this.name}`, fn);
  }

  /** Validates with the in-process compiler (same typed errors), then builds the Lua program. */
  private program(template: unknown): TemplateProgram {
    compileTemplate(template, this.limits);
    return templateProgram(template as readonly unknown[]);
  }

  private writeArgs(tuple: unknown, ttlMs: number | undefined): [Buffer, string] {
    const ttl = optionalDuration('ttlMs', ttlMs);
    const { tuple: accepted } = acceptTuple(tuple, this.limits);
    return [matchRecord(accepted, ttl !== undefined), ttl === undefined ? '' : String(ttl)];
  }

  private async find(program: TemplateProgram, mode: 'read' | 'take', limit: number): Promise<Tuple[]> {
    const found = (await this.call(mode === 'take' ? 'take' : 'read', () => this.scripts.find(this.base, program.bytes, mode, Number.isFinite(limit) ? limit : -1))) as Buffer[];
    return found.map((bytes) => decodeTuple(bytes).tuple);
  }

  private blocking(kind: 'r' | 't', template: Template, options: BlockingOptions): Promise<Tuple | null> {
    return this.run(async () => {
      const program = this.program(template);
      checkBlockingOptions(options);
      const timeoutMs = optionalDuration('timeoutMs', options.timeoutMs);
      const signal = options.signal;
      if (signal?.aborted || timeoutMs === 0) {
        // As in-process: a match at hand is returned; only waiting is refused.
        const found = (await this.find(program, kind === 't' ? 'take' : 'read', 1))[0];
        if (found !== undefined) return found;
        if (signal?.aborted) throw new AbortError(signal.reason);
        return null;
      }
      const bytes = await new Promise<Buffer | null>((resolve, reject) => {
        const op = new BlockedOp(this.wakeups.newWaiterId(), kind, resolve, reject, this.hooks, timeoutMs, signal);
        this.blocked.add(op);
        this.startRenewing();
        this.wakeups.expect(op.waiterId, (tuple) => this.onHandoff(op, tuple));
        op.registered = this.register(op, program);
      });
      return bytes === null ? null : decodeTuple(bytes).tuple;
    });
  }

  private readonly hooks = {
    onTimeout: (op: BlockedOp) => void this.leaveOnTimeout(op),
    onAbort: (op: BlockedOp) => void this.withdraw(op),
    onSettled: (op: BlockedOp) => {
      this.blocked.delete(op);
      this.wakeups.forget(op.waiterId);
      if (this.blocked.size === 0 && this.watchers.size === 0) this.stopRenewing();
    },
  };

  /** Runs the block script: a match now settles the op; otherwise it is filed in Redis and waits. */
  private async register(op: BlockedOp, program: TemplateProgram): Promise<void> {
    let reply: [number, Buffer?];
    try {
      reply = (await this.call(op.kind === 't' ? 'take' : 'read', () => this.scripts.block(this.base, program.bytes, op.kind, op.waiterId, this.wakeups.node, this.livenessMs))) as [number, Buffer?];
    } catch (error) {
      op.isRegistered = true;
      op.fail(error as Error);
      return;
    }
    op.isRegistered = true;
    if (reply[0] === 1) {
      if (op.state === 'settled' && op.kind === 't') {
        // Aborted or closed while the script ran, which took a tuple: it goes back (as a new write).
        await this.call('put back', () => this.scripts.write(this.base, 1, [matchRecord(decodeTuple(reply[1]!).tuple, false), ''])).catch(() => undefined);
        return;
      }
      op.succeed(reply[1]!);
    } else if (op.state === 'registering') {
      op.state = 'waiting';
    }
  }

  private onHandoff(op: BlockedOp, tuple: Buffer): void {
    if (!op.acceptsHandoff) return; // the leave script decides (timeout: deliver it; abort: put it back)
    op.succeed(Buffer.from(tuple));
    // The handoff record is only a safety copy for missed messages: drop it.
    this.call('claim', () => this.redis.hdel(handoffKey(this.base), op.waiterId)).catch(() => undefined);
  }

  private async leaveOnTimeout(op: BlockedOp): Promise<void> {
    await op.registered;
    if (op.state === 'settled') return;
    try {
      const reply = (await this.call('leave', () => this.scripts.leave(this.base, 'timeout', [op.waiterId]))) as Buffer[];
      op.succeed(reply.length === 2 ? reply[1] : null);
    } catch (error) {
      op.fail(error as Error);
    }
  }

  /** Withdraws an op that was aborted or closed; a tuple handed to it goes back in its old place. */
  private async withdraw(op: BlockedOp): Promise<void> {
    // Sent at once when it can be, so a write the caller makes next finds the waiter gone.
    if (!op.isRegistered) await op.registered;
    await this.call('leave', () => this.scripts.leave(this.base, 'abort', [op.waiterId])).catch(() => undefined);
  }

  /** After the subscriber reconnected: handoffs whose message was lost are still in Redis. */
  private async collectMissedHandoffs(): Promise<void> {
    const waiting = [...this.blocked].filter((op) => op.state === 'waiting');
    if (waiting.length === 0) return;
    const reply = (await this.call('claim', () => this.scripts.leave(this.base, 'claim', waiting.map((op) => op.waiterId))).catch(() => [])) as Buffer[];
    for (let i = 0; i < reply.length; i += 2) {
      const id = reply[i].toString('latin1');
      waiting.find((op) => op.waiterId === id)?.succeed(reply[i + 1]);
    }
  }

  private startRenewing(): void {
    if (this.renewTimer !== undefined) return;
    this.renewTimer = setInterval(() => {
      this.call('renew', () => this.scripts.renew(this.base, this.wakeups.node, this.livenessMs, this.watchers.size > 0)).catch(() => undefined);
    }, Math.floor(this.livenessMs / 3));
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    if (this.renewTimer === undefined) return;
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}
