import { AbortError, BackpressureError, InvalidArgumentError, PlexError } from '../errors.js';
import type { ActorRuntime } from '../runtime/actor-runtime.js';
import { aggregate, reduceValues, valueAt, type AggregateStrategy, type ReduceOp, type ShardResult } from './gather.js';
import { consistentHashPartitioner, hashPartitioner, type Partitioner, type ShardKey } from './partitioner.js';

export interface ShardGroupOptions {
  /** Group id; shard actors are named `<id>/shard-<i>`. */
  readonly id: string;
  /** A deployed module that speaks the shard protocol (docs/shard-groups.md). */
  readonly module: string;
  readonly shards: number;
  /** Default `consistent-hash` (160 virtual nodes). */
  readonly partition?: 'hash' | 'consistent-hash' | Partitioner;
  /** Config handed to every shard's init. */
  readonly config?: string;
  /**
   * Messages in flight for the whole group. When reached, new operations
   * wait for room (each still honours its deadline and signal) instead of
   * queueing without bound. Default 10 000.
   */
  readonly maxInFlight?: number;
  /** Restart a shard that crashes (a fresh instance with the same id). Default true. */
  readonly restartCrashed?: boolean;
}

export interface GatherOptions {
  /** Shards that do not answer within this many ms are reported as `timeout`. Default 5000. */
  readonly deadlineMs?: number;
  /** Resolve as soon as this many shards answered `ok`; the rest are reported as `timeout`. Default: all. */
  readonly minResponses?: number;
  readonly signal?: AbortSignal;
}

export interface GatherResult<T = unknown> {
  /** The aggregated `ok` answers. */
  readonly value: T;
  /** One entry per shard, in shard order. */
  readonly shards: ShardResult[];
  /** At least `minResponses` (default: every shard) answered `ok`. */
  readonly satisfied: boolean;
}

export interface BulkUpdateResult {
  readonly entries: number;
  /** Per-shard status of the batches (`ok` without waiting under `eventual`). */
  readonly shards: ShardResult[];
}

/**
 * A named pool of shard actors with collective operations: routing by key,
 * bulk updates batched per shard, map / scatter-gather with aggregation,
 * reductions, barriers. Every gather reports each shard's status, latency and
 * error code, so a caller can act on partial results. Messages are JSON.
 */
export class ShardGroup {
  readonly id: string;
  private partitioner: Partitioner;
  private readonly actorIds: string[];
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly maxInFlight: number;
  private readonly unsubscribe: () => void;
  private deleted = false;

  private constructor(
    private readonly runtime: ActorRuntime,
    options: ShardGroupOptions,
    partitioner: Partitioner,
  ) {
    this.id = options.id;
    this.partitioner = partitioner;
    this.actorIds = Array.from({ length: partitioner.shardCount }, (_, i) => `${options.id}/shard-${i}`);
    this.maxInFlight = options.maxInFlight ?? 10_000;
    this.unsubscribe = runtime.onCrash((report) => {
      if (this.deleted || options.restartCrashed === false) return;
      const shard = this.actorIds.indexOf(report.actorId);
      if (shard >= 0) void this.runtime.spawn(options.module, { id: report.actorId, config: options.config }).catch(() => undefined);
    });
  }

  /** Spawns the shard actors, spread over the workers, and resolves once all are up. */
  static async create(runtime: ActorRuntime, options: ShardGroupOptions): Promise<ShardGroup> {
    if (typeof options.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.id)) {
      throw new InvalidArgumentError(`a shard group id must be 1–64 of A–Z a–z 0–9 _ . -, got ${JSON.stringify(options.id)}`);
    }
    const partition = options.partition ?? 'consistent-hash';
    const partitioner =
      typeof partition === 'object'
        ? partition
        : partition === 'hash'
          ? hashPartitioner(options.shards)
          : partition === 'consistent-hash'
            ? consistentHashPartitioner(options.shards)
            : undefined;
    if (partitioner === undefined) throw new InvalidArgumentError(`partition must be hash, consistent-hash or a Partitioner, got ${String(partition)}`);
    if (partitioner.shardCount !== options.shards) {
      throw new InvalidArgumentError(`the partitioner has ${partitioner.shardCount} shards but shards is ${options.shards}`);
    }
    const maxInFlight = options.maxInFlight ?? 10_000;
    if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) throw new InvalidArgumentError(`maxInFlight must be a positive integer, got ${maxInFlight}`);
    const group = new ShardGroup(runtime, options, partitioner);
    const spawned: string[] = [];
    try {
      for (let i = 0; i < group.actorIds.length; i++) {
        spawned.push(await runtime.spawn(options.module, { id: group.actorIds[i], config: options.config, worker: i % runtime.workerCount }));
      }
    } catch (error) {
      group.deleted = true;
      group.unsubscribe();
      await Promise.all(spawned.map((id) => runtime.stop(id).catch(() => undefined)));
      throw error;
    }
    return group;
  }

  get shardCount(): number {
    return this.actorIds.length;
  }

  /** The shard that owns `key`. */
  shardOf(key: ShardKey): number {
    return this.partitioner.shardOf(key);
  }

  /** Asks the shard that owns `key`. */
  async sendToShard(key: ShardKey, type: string, payload: unknown = {}, options: GatherOptions = {}): Promise<ShardResult> {
    const shard = this.shardOf(key);
    return (await this.collect([shard], type, () => payload, options)).results[0];
  }

  /**
   * Groups `entries` by owner and sends one `bulk-update` batch per shard
   * (`{"entries": [[key, value], …]}`). `eventual` resolves once the
   * batches are handed to the runtime; `all` once every shard acknowledged.
   */
  async bulkUpdate(entries: readonly (readonly [ShardKey, unknown])[], options: { consistency?: 'eventual' | 'all' } & GatherOptions = {}): Promise<BulkUpdateResult> {
    this.assertAlive();
    const consistency = options.consistency ?? 'all';
    if (consistency !== 'all' && consistency !== 'eventual') throw new InvalidArgumentError(`consistency must be all or eventual, got ${String(consistency)}`);
    const perShard = new Map<number, [ShardKey, unknown][]>();
    for (const [key, value] of entries) {
      const shard = this.shardOf(key);
      let batch = perShard.get(shard);
      if (batch === undefined) perShard.set(shard, (batch = []));
      batch.push([typeof key === 'bigint' ? key.toString() : key, value]);
    }
    const shards = [...perShard.keys()].sort((a, b) => a - b);
    if (consistency === 'eventual') {
      for (const shard of shards) this.runtime.tell(this.actorIds[shard], 'bulk-update', JSON.stringify({ entries: perShard.get(shard) }));
      return { entries: entries.length, shards: shards.map((shard) => ({ shard, actorId: this.actorIds[shard], status: 'ok', latencyMs: 0 })) };
    }
    const { results } = await this.collect(shards, 'bulk-update', (shard) => ({ entries: perShard.get(shard) }), options);
    return { entries: entries.length, shards: results };
  }

  /** Sends `type` to every shard without waiting. */
  broadcast(type: string, payload: unknown = {}): void {
    this.assertAlive();
    const text = JSON.stringify(payload);
    for (const id of this.actorIds) this.runtime.tell(id, type, text);
  }

  /** Every shard's answer, in shard order. */
  async map(type: string, payload: unknown = {}, options: GatherOptions = {}): Promise<ShardResult[]> {
    return (await this.collect(this.allShards(), type, () => payload, options)).results;
  }

  /** Asks every shard and aggregates the `ok` answers. */
  async scatterGather<T = unknown>(type: string, payload: unknown = {}, options: GatherOptions & { aggregate?: AggregateStrategy } = {}): Promise<GatherResult<T>> {
    const { results, firstOk, satisfied } = await this.collect(this.allShards(), type, () => payload, options);
    const ok = results.filter((r) => r.status === 'ok');
    return { value: aggregate(options.aggregate ?? 'concat', ok, firstOk) as T, shards: results, satisfied };
  }

  /** Every shard's answer as it arrives (completion order). */
  async *scatterGatherStream(type: string, payload: unknown = {}, options: GatherOptions = {}): AsyncIterableIterator<ShardResult> {
    const arrived: ShardResult[] = [];
    let wake: (() => void) | undefined;
    const done = this.collect(this.allShards(), type, () => payload, options, (result) => {
      arrived.push(result);
      wake?.();
    });
    let finished = false;
    void done.then(
      () => {
        finished = true;
        wake?.();
      },
      () => {
        finished = true;
        wake?.();
      },
    );
    let yielded = 0;
    while (yielded < this.actorIds.length) {
      if (arrived.length > yielded) {
        yield arrived[yielded++];
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    await done; // surface an abort
  }

  /** Reduces the value at `path` of every shard's answer with `op`. */
  async reduce(type: string, payload: unknown, options: GatherOptions & { op: ReduceOp; path?: string }): Promise<GatherResult> {
    const { results, satisfied } = await this.collect(this.allShards(), type, () => payload, options);
    const values = results.filter((r) => r.status === 'ok').map((r) => valueAt(r.value, options.path));
    return { value: reduceValues(options.op, values), shards: results, satisfied };
  }

  /** `reduce`, then `broadcast` of the result as `resultType` with payload `{"value": …}`. */
  async allReduce(type: string, payload: unknown, options: GatherOptions & { op: ReduceOp; path?: string; resultType?: string }): Promise<GatherResult> {
    const reduced = await this.reduce(type, payload, options);
    this.broadcast(options.resultType ?? 'all-reduce-result', { value: reduced.value });
    return reduced;
  }

  /** Resolves when every shard has answered `barrier` for `round` (`{"round": n}` echoed back). */
  async barrier(round: number, options: GatherOptions = {}): Promise<GatherResult> {
    const { results, satisfied } = await this.collect(this.allShards(), 'barrier', () => ({ round }), options);
    const wrong = results.find((r) => r.status === 'ok' && valueAt(r.value, 'round') !== round);
    if (wrong !== undefined) throw new InvalidArgumentError(`shard ${wrong.shard} answered barrier ${round} with ${JSON.stringify(wrong.value)}`);
    return { value: round, shards: results, satisfied };
  }

  /** Stops every shard actor. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    this.unsubscribe();
    await Promise.all(this.actorIds.map((id) => this.runtime.stop(id).catch(() => undefined)));
  }

  // ── internals ────────────────────────────────────────────────────────────

  private allShards(): number[] {
    return this.actorIds.map((_, i) => i);
  }

  private assertAlive(): void {
    if (this.deleted) throw new InvalidArgumentError(`shard group ${this.id} was deleted`);
  }

  /**
   * Asks `shards` in parallel under one deadline; calls `onResult` as each
   * answer arrives. Never rejects for a shard's failure (that is its
   * status); rejects only on abort.
   */
  private async collect(
    shards: number[],
    type: string,
    payloadFor: (shard: number) => unknown,
    options: GatherOptions,
    onResult?: (result: ShardResult) => void,
  ): Promise<{ results: ShardResult[]; firstOk?: ShardResult; satisfied: boolean }> {
    this.assertAlive();
    const deadlineMs = options.deadlineMs ?? 5000;
    const minResponses = options.minResponses ?? shards.length;
    if (!(deadlineMs > 0)) throw new InvalidArgumentError(`deadlineMs must be > 0, got ${deadlineMs}`);
    if (!Number.isSafeInteger(minResponses) || minResponses < 0 || minResponses > shards.length) {
      throw new InvalidArgumentError(`minResponses must be an integer in 0..${shards.length}, got ${minResponses}`);
    }
    const signal = options.signal;
    if (signal?.aborted) throw new AbortError(signal.reason);
    const started = performance.now();
    await this.acquire(shards.length, started + deadlineMs, signal);
    const results: (ShardResult | undefined)[] = new Array(shards.length);
    let firstOk: ShardResult | undefined;
    let okCount = 0;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        let pending = shards.length;
        if (pending === 0 || minResponses === 0) resolve();
        controller.signal.addEventListener('abort', () => reject(new AbortError(controller.signal.reason)), { once: true });
        shards.forEach((shard, i) => {
          const actorId = this.actorIds[shard];
          this.runtime
            .ask(actorId, type, JSON.stringify(payloadFor(shard)), { timeoutMs: Math.max(1, started + deadlineMs - performance.now()), signal: controller.signal })
            .then(
              (bytes) => {
                const text = new TextDecoder().decode(bytes);
                let value: unknown;
                try {
                  value = text === '' ? undefined : JSON.parse(text);
                } catch {
                  return { shard, actorId, status: 'error' as const, latencyMs: performance.now() - started, errorCode: 'PLEX_ERR_BAD_REPLY', errorMessage: `not JSON: ${text.slice(0, 80)}` };
                }
                return { shard, actorId, status: 'ok' as const, latencyMs: performance.now() - started, value };
              },
              (error: PlexError) => ({
                shard,
                actorId,
                status: error.code === 'PLEX_ERR_ASK_TIMEOUT' ? ('timeout' as const) : ('error' as const),
                latencyMs: performance.now() - started,
                errorCode: error.code ?? 'PLEX_ERR',
                errorMessage: error.message,
              }),
            )
            .then((result: ShardResult) => {
              this.release(1);
              if (results[i] !== undefined || (result.errorCode === 'PLEX_ERR_ABORTED' && controller.signal.aborted)) return;
              results[i] = result;
              onResult?.(result);
              if (result.status === 'ok') {
                firstOk ??= result;
                okCount++;
              }
              pending--;
              if (pending === 0 || okCount >= minResponses) resolve();
            });
        });
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const now = performance.now();
    // Array.from, not map: unanswered slots are holes, which map skips.
    const filled = Array.from(
      { length: shards.length },
      (_, i): ShardResult =>
        results[i] ?? { shard: shards[i], actorId: this.actorIds[shards[i]], status: 'timeout', latencyMs: now - started, errorCode: 'PLEX_ERR_ASK_TIMEOUT', errorMessage: 'no answer before the gather completed' },
    );
    return { results: filled, firstOk, satisfied: okCount >= minResponses };
  }

  private async acquire(n: number, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    while (this.inFlight + n > this.maxInFlight && this.inFlight > 0) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new BackpressureError(`shard group ${this.id}: no room for ${n} more messages before the deadline (maxInFlight ${this.maxInFlight})`);
      if (signal?.aborted) throw new AbortError(signal.reason);
      // Wake on room or at the deadline, whichever comes first.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.inFlight += n;
  }

  private release(n: number): void {
    this.inFlight -= n;
    const waiters = this.waiting.splice(0);
    for (const wake of waiters) wake();
  }
}
