import { AbortError, InvalidArgumentError, QuotaExceededError, SpaceClosedError, shown } from '../../errors.js';
import { checkRedisSpaceOptions, DEFAULT_LEASE_MS, DEFAULT_MAX_DELIVERIES, DEFAULT_WAITER_LIVENESS_MS, type RedisSpaceStats, type RedisTupleSpaceOptions } from './redis-space-options.js';
import { optionalDuration } from '../../space/options.js';
import type { Delivery } from '../../space/deliveries.js';
import { bulkLimit, checkBlockingOptions, type AckTakeOptions, type BlockingOptions, type BulkOptions, type WriteOptions } from '../../space/operation-options.js';
import { decodeTuple } from '../../tuple/codec.js';
import { resolveTupleLimits, type TupleLimits } from '../../tuple/limits.js';
import { compileTemplate } from '../../tuple/template.js';
import type { Template, Tuple } from '../../tuple/types.js';
import type { WatchEvent, WatchOptions } from '../../space/watch.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { BlockedOp, type Handed } from './blocked-op.js';
import { RedisDeliveries } from './redis-deliveries.js';
import { noteDeliverySpace } from './node-deliveries.js';
import { matchRecord } from './match-record.js';
import { SpaceScripts, type AckArgs } from './space-script-runner.js';
import { expiryKey, handoffKey, spaceBaseKey, tupleHashKey, watchChannel } from './space-keys.js';
import { SpaceWatchers } from './space-watchers.js';
import { templateProgram, type TemplateProgram } from './template-program.js';
import { RedisWakeups } from './wakeups.js';
import type { Space, SpaceStorageKind } from '../../space/space.js';
import type { SpaceTransaction } from '../../space/transaction.js';
import { redisAtomically } from './redis-atomically.js';
import { ackArgs, batchArgs, refuseOnQuota, writeArgs } from './space-call-args.js';
import { LivenessRenewal } from './liveness-renewal.js';
import { LeaseTick } from './lease-tick.js';

/**
 * A tuple space in Redis, shared by every process that opens the same name
 * (docs/cluster.md, "Tuple spaces on Redis"). The contract is the
 * in-process `TupleSpace`'s: write / writeAll / read / take / tryRead /
 * tryTake / readAll / takeAll / count, FIFO results, blocking with timeout
 * and abort, leases, watch, and crash-safe take (ack / nack / lease / dead
 * letters / releaseHolder). Each operation is one Lua script, so it is
 * atomic across processes; a write hands its tuple to blocked operations of
 * any process in the same script and publishes it to their process (no
 * polling).
 *
 * Not yet: quotas.
 */
export class RedisTupleSpace implements Space, AsyncDisposable {
  readonly name: string;
  /**
   * Tuples that reached `maxDeliveries` crash-safe deliveries without an ack
   * (keys `{ts:S}:dead:…`, the same slot). A dead-letter space is its own
   * `deadLetters`: its unacked tuples simply return.
   */
  deadLetters!: RedisTupleSpace;
  private readonly base: string;
  private readonly defaultLeaseMs: number;
  private readonly deliveries: RedisDeliveries;
  private readonly limits: TupleLimits;
  private readonly blocked = new Set<BlockedOp>();
  private readonly watchers = new SpaceWatchers();
  private readonly livenessMs: number;
  private readonly renewal: LivenessRenewal;
  /** While this instance has blocked operations, a lease ending (its holder may be dead) gives the tuple back on time. */
  private readonly leaseTick = new LeaseTick(
    () => this.blocked.size > 0 && !this.closed,
    () => this.call('tick', () => this.scripts.tick(this.base)).then(Number),
  );
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly stopReconnectListener: () => void;
  /** Configures the space in Redis and subscribes to its watch channels (the space and its dead letters at once). */
  private setUp: () => Promise<void> = async () => undefined;
  /** The space whose set-up covers this one (a dead-letter space's parent; else itself). */
  private root: RedisTupleSpace = this;
  private ready = false;
  private deliveriesNoted: Promise<void> | undefined;
  private preparing: Promise<void> | undefined;

  private constructor(
    options: RedisTupleSpaceOptions,
    base: string,
    private readonly redis: RedisClient,
    private readonly scripts: SpaceScripts,
    private readonly wakeups: RedisWakeups,
    private readonly ownsWakeups: boolean,
  ) {
    this.name = options.name;
    this.base = base;
    this.defaultLeaseMs = options.defaultLeaseMs ?? DEFAULT_LEASE_MS;
    this.deliveries = new RedisDeliveries(
      async (mode, id) => Number(await this.call(mode, () => this.scripts.settle(this.base, mode, id))) === 1,
      async (id, tuples, options) => {
        const args = batchArgs(tuples, options, this.limits);
        const reply = await this.call('ackWith', () => this.scripts.ackWrite(this.base, id, tuples.length, args));
        refuseOnQuota(this.name, reply);
        return Number(reply) === 1;
      },
    );
    this.limits = resolveTupleLimits(options.limits);
    this.livenessMs = options.waiterLivenessMs ?? DEFAULT_WAITER_LIVENESS_MS;
    this.renewal = new LivenessRenewal(Math.floor(this.livenessMs / 3), () => this.call('renew', () => this.scripts.renew(this.base, this.wakeups.node, this.livenessMs, this.watchers.size > 0)));
    this.stopReconnectListener = wakeups.onReconnect(() => void this.collectMissedHandoffs());
    this.watchers.onLease = (ms) => this.leaseTick.arm(ms);
  }

  /** Opens the space: resolves once this process can be woken (its subscriber is subscribed). */
  static async open(options: RedisTupleSpaceOptions): Promise<RedisTupleSpace> {
    checkRedisSpaceOptions(options);
    const wakeups = options.wakeups ?? (await onBackend('open a tuple space', () => RedisWakeups.open(options.redis)));
    const space = RedisTupleSpace.build(options, wakeups, options.wakeups === undefined);
    await space.prepare();
    return space;
  }

  /**
   * The space at once, on a node's shared `wakeups` (already open): what a
   * registry that must answer synchronously uses. Its first operation waits
   * until the space is subscribed; while Redis is down that operation fails
   * with `PLEX_ERR_BACKEND_UNAVAILABLE` and the next one tries again.
   */
  static attach(options: RedisTupleSpaceOptions & { wakeups: RedisWakeups }): RedisTupleSpace {
    checkRedisSpaceOptions(options);
    return RedisTupleSpace.build(options, options.wakeups, false);
  }

  private static build(options: RedisTupleSpaceOptions, wakeups: RedisWakeups, ownsWakeups: boolean): RedisTupleSpace {
    const scripts = SpaceScripts.on(options.redis);
    const base = spaceBaseKey(options.name);
    const space = new RedisTupleSpace(options, base, options.redis, scripts, wakeups, ownsWakeups);
    const dead = new RedisTupleSpace({ ...options, name: `${options.name}#dead-letter` }, `${base}:dead`, options.redis, scripts, wakeups, false);
    space.deadLetters = dead;
    dead.deadLetters = dead;
    const maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
    space.setUp = dead.setUp = async () => {
      await options.register?.();
      await scripts.configure(base, maxDeliveries, options.quota);
      // Subscribed from the start, so a watch begun later needs only its (ordered) watch script.
      await wakeups.listen(watchChannel(space.base), (message) => space.watchers.onMessage(message));
      await wakeups.listen(watchChannel(dead.base), (message) => dead.watchers.onMessage(message));
    };
    dead.root = space;
    return space;
  }

  write(tuple: Tuple, options: WriteOptions = {}): Promise<void> {
    return this.run(async () => {
      const args = writeArgs(tuple, options.ttlMs, this.limits);
      refuseOnQuota(this.name, await this.call('write', () => this.scripts.write(this.base, 1, args)));
    });
  }

  /** Writes every tuple or, if any is invalid, none; one script, so no process sees part of the batch. */
  writeAll(tuples: readonly Tuple[], options: WriteOptions = {}): Promise<void> {
    return this.run(async () => {
      if (!Array.isArray(tuples)) throw new InvalidArgumentError('writeAll takes an array of tuples');
      const args = batchArgs(tuples, options, this.limits);
      if (tuples.length === 0) return;
      refuseOnQuota(this.name, await this.call('writeAll', () => this.scripts.write(this.base, tuples.length, args)));
    });
  }

  /** The oldest matching tuple, left in place; waits for one. `null` on timeout. */
  read(template: Template, options: BlockingOptions = {}): Promise<Tuple | null> {
    return this.run(async () => this.blocking('r', template, options, undefined) as Promise<Tuple | null>);
  }

  /**
   * Removes and returns the oldest matching tuple; waits for one. `null` on
   * timeout. With `ack: true`, a crash-safe take: a `Delivery` whose tuple
   * comes back unless acked within its lease, also if this process dies.
   */
  take(template: Template, options?: BlockingOptions): Promise<Tuple | null>;
  take(template: Template, options: AckTakeOptions): Promise<Delivery | null>;
  take(template: Template, options: BlockingOptions | AckTakeOptions = {}): Promise<Tuple | Delivery | null> {
    return this.run(async () => this.blocking('t', template, options, ackArgs(this.defaultLeaseMs, options)));
  }

  tryRead(template: Template): Promise<Tuple | null> {
    return this.run(async () => (await this.find(this.program(template), 'read', 1))[0] ?? null);
  }

  tryTake(template: Template): Promise<Tuple | null>;
  tryTake(template: Template, options: AckTakeOptions): Promise<Delivery | null>;
  tryTake(template: Template, options?: AckTakeOptions): Promise<Tuple | Delivery | null> {
    return this.run(async () => {
      const program = this.program(template);
      const ack = options === undefined ? undefined : ackArgs(this.defaultLeaseMs, options);
      if (ack !== undefined) return this.takeDelivery(program, ack);
      return (await this.find(program, 'take', 1))[0] ?? null;
    });
  }

  /**
   * Runs a synchronous callback as one serializable transaction across
   * every process sharing the space: all of its changes apply, or none. It
   * is optimistic (redis-atomically.ts): the callback may run several times
   * and must have no side effects outside `tx`. Gives up with
   * `PLEX_ERR_TRANSACTION_CONFLICT` after `DEFAULT_TRANSACTION_ATTEMPTS`
   * conflicting commits.
   */
  atomically<R>(fn: (tx: SpaceTransaction) => R): Promise<R> {
    return this.run(() => redisAtomically({ name: this.name, base: this.base, scripts: this.scripts, limits: this.limits, isClosed: () => this.closed }, fn));
  }

  /** Settles a delivery opened by any process, by its `ref`; false when it was no longer open (its lease ended, or it was settled). */
  settleDelivery(ref: string, outcome: 'ack' | 'nack'): Promise<boolean> {
    return this.run(async () => {
      if (typeof ref !== 'string' || !/^\d+$/.test(ref)) throw new InvalidArgumentError('a delivery ref is the digits a delivery carries');
      return Number(await this.call(outcome, () => this.scripts.settle(this.base, outcome, ref))) === 1;
    });
  }

  /** Gives back every tuple held by crash-safe takes of `holder`, in any process; resolves to how many. */
  releaseHolder(holder: string): Promise<number> {
    return this.run(async () => {
      if (typeof holder !== 'string') throw new InvalidArgumentError('holder must be a string');
      return Number(await this.call('releaseHolder', () => this.scripts.release(this.base, holder)));
    });
  }

  /** How many tuples crash-safe takes of `holder` hold, in every process (lapsed leases given back first). */
  heldBy(holder: string): Promise<number> {
    return this.run(async () => {
      if (typeof holder !== 'string') throw new InvalidArgumentError('holder must be a string');
      return Number(await this.call('heldBy', () => this.scripts.held(this.base, holder)));
    });
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
    const [tuples, leased] = await this.call('stats', () => Promise.all([this.redis.hlen(tupleHashKey(this.base)), this.redis.zcard(expiryKey(this.base))]));
    let timers = (this.renewal.running ? 1 : 0) + (this.leaseTick.armed ? 1 : 0);
    for (const op of this.blocked) if (op.hasTimer) timers++;
    return { tuples, leased, waiters: this.blocked.size, watchers: this.watchers.size, inflight: this.deliveries.size, timers: timers + this.deliveries.size };
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
      if (this.blocked.size === 0 && this.watchers.size === 0) this.renewal.stop();
    });
    this.renewal.start();
    const existing = options.includeExisting && (options.events ?? ['write']).includes('write') ? templateProgram(template as readonly unknown[]).bytes : undefined;
    // Sent now when the space is set up: the watch script must go before any call made after watch() returns.
    const start = () => this.call('watch', () => this.scripts.watch(this.base, this.livenessMs, existing));
    (this.root.ready ? start() : this.root.prepare().then(start)).then(
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

  get storageKind(): SpaceStorageKind {
    return 'redis';
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
    this.renewal.stop();
    this.leaseTick.stop();
    this.deliveries.close();
    if (this.deadLetters !== this) await this.deadLetters.close();
    if (this.ownsWakeups) await this.wakeups.close();
    else await this.wakeups.unlisten(watchChannel(this.base));
    // Last, just before close() resolves: a caller awaiting close() then the watch sees the end
    // in the same turn, as with the in-process space.
    this.watchers.end(error);
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SpaceClosedError(`the tuple space ${this.name} is closed`));
    if (!this.root.ready) {
      return this.root.prepare().then(() => {
        if (this.closed) throw new SpaceClosedError(`the tuple space ${this.name} is closed`);
        return op();
      });
    }
    try {
      return op();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs the set-up once; a failure (Redis down) is not remembered, so the next operation tries again. */
  private prepare(): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.preparing ??= onBackend(`open the tuple space ${this.name}`, () => this.setUp()).then(
      () => {
        this.ready = true;
      },
      (error: unknown) => {
        this.preparing = undefined;
        throw error;
      },
    );
    return this.preparing;
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return onBackend(`${what} on the tuple space ${this.name}`, fn);
  }

  /** Validates with the in-process compiler (same typed errors), then builds the Lua program. */
  private program(template: unknown): TemplateProgram {
    compileTemplate(template, this.limits);
    return templateProgram(template as readonly unknown[]);
  }

  private async find(program: TemplateProgram, mode: 'read' | 'take', limit: number): Promise<Tuple[]> {
    const found = (await this.call(mode === 'take' ? 'take' : 'read', () => this.scripts.find(this.base, program.bytes, mode, Number.isFinite(limit) ? limit : -1))) as Buffer[];
    return found.map((bytes) => decodeTuple(bytes).tuple);
  }

  private async blocking(kind: 'r' | 't', template: Template, options: BlockingOptions, ack: AckArgs | undefined): Promise<Tuple | Delivery | null> {
    const program = this.program(template);
    checkBlockingOptions(options);
    const timeoutMs = optionalDuration('timeoutMs', options.timeoutMs);
    const signal = options.signal;
    if (signal?.aborted || timeoutMs === 0) {
      // As in-process: a match at hand is returned; only waiting is refused.
      const found = ack !== undefined ? await this.takeDelivery(program, ack) : ((await this.find(program, kind === 't' ? 'take' : 'read', 1))[0] ?? null);
      if (found !== null) return found;
      if (signal?.aborted) throw new AbortError(signal.reason);
      return null;
    }
    const handed = await new Promise<Handed | null>((resolve, reject) => {
      const op = new BlockedOp(this.wakeups.newWaiterId(), kind, resolve, reject, this.hooks, timeoutMs, signal);
      this.blocked.add(op);
      this.renewal.start();
      this.wakeups.expect(op.waiterId, (tuple, header) => this.onHandoff(op, { tuple, header }));
      op.registered = this.register(op, program, ack);
    });
    if (handed === null) return null;
    const tuple = decodeTuple(handed.tuple).tuple;
    return ack === undefined ? tuple : this.deliveries.open(handed.header, tuple, ack.leaseMs);
  }

  private async takeDelivery(program: TemplateProgram, ack: AckArgs): Promise<Delivery | null> {
    await this.noteDeliveries();
    const reply = (await this.call('take', () => this.scripts.find(this.base, program.bytes, 'atake', 1, ack, this.wakeups.node))) as Buffer[];
    if (reply.length === 0) return null;
    return this.deliveries.open(reply[0].toString('latin1'), decodeTuple(reply[1]).tuple, ack.leaseMs);
  }

  private readonly hooks = {
    onTimeout: (op: BlockedOp) => void this.leaveOnTimeout(op),
    onAbort: (op: BlockedOp, error: AbortError) => void this.leaveOnAbort(op, error),
    onSettled: (op: BlockedOp) => {
      this.blocked.delete(op);
      this.wakeups.forget(op.waiterId);
      if (this.blocked.size === 0) this.leaseTick.stop();
      if (this.blocked.size === 0 && this.watchers.size === 0) this.renewal.stop();
    },
  };

  /** Runs the block script: a match now settles the op; otherwise it is filed in Redis and waits. */
  private async register(op: BlockedOp, program: TemplateProgram, ack: AckArgs | undefined): Promise<void> {
    let reply: [number, Buffer?, Buffer?];
    try {
      if (ack !== undefined) await this.noteDeliveries();
      reply = (await this.call(op.kind === 't' ? 'take' : 'read', () => this.scripts.block(this.base, program.bytes, op.kind, op.waiterId, this.wakeups.node, this.livenessMs, ack))) as [number, Buffer?, Buffer?];
    } catch (error) {
      op.isRegistered = true;
      op.fail(error as Error);
      return;
    }
    op.isRegistered = true;
    if (Number(reply[0]) === 2) {
      op.fail(new QuotaExceededError('waitersPerSpace', Number(reply[1]), `space ${shown(this.name)}`, `${Number(reply[2])} calls are waiting (counted across the cluster)`));
      return;
    }
    if (reply[0] === 1) {
      const header = reply[2]!.toString('latin1');
      if (op.state === 'settled' && op.kind === 't') {
        // Aborted or closed while the script ran, which took a tuple: it goes back (as a new write).
        const back = header === '' ? this.scripts.write(this.base, 1, [matchRecord(decodeTuple(reply[1]!).tuple, false), '']) : this.scripts.settle(this.base, 'lapse', header.split(':')[0]);
        await this.call('put back', () => back).catch(() => undefined);
        return;
      }
      op.succeed({ tuple: reply[1]!, header });
    } else {
      if (op.state === 'registering') op.state = 'waiting';
      if (Number(reply[1]) >= 0) this.leaseTick.arm(Number(reply[1]));
    }
  }

  private onHandoff(op: BlockedOp, handed: Handed): void {
    if (!op.acceptsHandoff) return; // the leave script decides (timeout: deliver it; abort: put it back)
    op.succeed({ tuple: Buffer.from(handed.tuple), header: handed.header });
    // The handoff record is only a safety copy for missed messages: drop it.
    this.call('claim', () => this.redis.hdel(handoffKey(this.base), op.waiterId)).catch(() => undefined);
  }

  private async leaveOnTimeout(op: BlockedOp): Promise<void> {
    await op.registered;
    if (op.state === 'settled') return;
    try {
      const reply = (await this.call('leave', () => this.scripts.leave(this.base, 'timeout', [op.waiterId]))) as Buffer[];
      op.succeed(reply.length === 3 ? { tuple: reply[1], header: reply[2].toString('latin1') } : null);
    } catch (error) {
      op.fail(error as Error);
    }
  }

  /**
   * Withdraws an aborted op, then rejects it. A tuple the block script found
   * while the abort landed is delivered (a match at hand, as in-process);
   * one handed over while it waited goes back in its old place before the
   * caller hears of the abort. Redis unreachable: the abort still rejects.
   */
  private async leaveOnAbort(op: BlockedOp, error: AbortError): Promise<void> {
    await op.registered;
    if (op.state === 'settled') return;
    await this.call('leave', () => this.scripts.leave(this.base, 'abort', [op.waiterId])).catch(() => undefined);
    op.fail(error);
  }

  /** Withdraws an op that was closed; a tuple handed to it goes back in its old place. */
  private async withdraw(op: BlockedOp): Promise<void> {
    // Sent at once when it can be, so a write the caller makes next finds the waiter gone.
    if (!op.isRegistered) await op.registered;
    await this.call('leave', () => this.scripts.leave(this.base, 'abort', [op.waiterId])).catch(() => undefined);
  }

  /** Before this process's first crash-safe take here: its node's deliveries in this space come back when the node leaves. */
  private noteDeliveries(): Promise<void> {
    this.deliveriesNoted ??= this.call('take', () => noteDeliverySpace(this.redis, this.wakeups.node, this.base)).catch((error: unknown) => {
      this.deliveriesNoted = undefined;
      throw error;
    });
    return this.deliveriesNoted;
  }

  /** After the subscriber reconnected: handoffs whose message was lost are still in Redis. */
  private async collectMissedHandoffs(): Promise<void> {
    const waiting = [...this.blocked].filter((op) => op.state === 'waiting');
    if (waiting.length === 0) return;
    const reply = (await this.call('claim', () => this.scripts.leave(this.base, 'claim', waiting.map((op) => op.waiterId))).catch(() => [])) as Buffer[];
    for (let i = 0; i < reply.length; i += 3) {
      const id = reply[i].toString('latin1');
      waiting.find((op) => op.waiterId === id)?.succeed({ tuple: reply[i + 1], header: reply[i + 2].toString('latin1') });
    }
  }
}
