import { InvalidArgumentError, shown } from '../errors.js';
import type { ActorRuntime } from '../runtime/actor-runtime.js';
import { aggregate, reduceValues, valueAt, type AggregateStrategy, type ReduceOp, type ShardResult } from './gather.js';
import { arrivals } from './gather-stream.js';
import { codecNamed, type ShardCodec } from './shard-codec.js';
import { consistentHashPartitioner, hashPartitioner, type Partitioner, type ShardKey } from './partitioner.js';
import { localShardHost, type ShardHost } from './shard-host.js';
import { chunkItems, joinChunks } from './map-items.js';
import { ShardMessenger, type CollectRequest, type CollectResult } from './shard-messenger.js';
import { moveKeys, relocateShard, type Migration, type MovingGroup } from './shard-migration.js';
import type { BulkUpdateResult, GatherOptions, GatherResult, MapItems, MapItemsResult, RelocateResult, ScaleResult, ShardGroupOptions } from './shard-group-types.js';

export type { BulkUpdateResult, GatherOptions, GatherResult, MapItems, MapItemsResult, RelocateResult, ScaleResult, ShardGroupOptions } from './shard-group-types.js';

/**
 * A named pool of shard actors with collective operations: routing by key,
 * bulk updates batched per shard, map / scatter-gather with aggregation,
 * reductions, barriers, and `scale` with rebalancing. Every gather reports
 * each shard's status, latency and error code, so a caller can act on
 * partial results.
 */
export class ShardGroup {
  readonly id: string;
  readonly module: string;
  readonly codec: ShardCodec;
  private partitioner: Partitioner;
  private actorIds: string[];
  private readonly messenger: ShardMessenger;
  private readonly unsubscribe: () => void;
  private deleted = false;
  private migration: Migration | undefined;
  private scaling: Promise<unknown> = Promise.resolve();
  private readonly host: ShardHost;
  /** This group as its key moves see it (shard-migration.ts). */
  private readonly moving: MovingGroup;

  private constructor(
    runtime: ActorRuntime,
    private readonly options: ShardGroupOptions,
    partitioner: Partitioner,
  ) {
    this.id = options.id;
    this.module = options.module;
    this.codec = codecNamed(options.codec);
    this.partitioner = partitioner;
    this.actorIds = Array.from({ length: partitioner.shardCount }, (_, i) => this.actorIdOf(i));
    // Shared memory is this process's: shards on it cannot run anywhere else.
    this.host = options.host !== undefined && options.memory === undefined ? options.host : localShardHost(runtime);
    this.messenger = new ShardMessenger(this.id, this.host, options.maxInFlight ?? 10_000);
    this.moving = {
      id: this.id,
      actorIds: () => this.actorIds,
      stateless: options.stateless,
      actorIdOf: (shard) => this.actorIdOf(shard),
      collect: (request) => this.collect(request),
      spawnShard: (actorId, index) => this.spawnShard(actorId, index),
      stop: (actorId) => this.host.stop(actorId),
    };
    const stopHearingLosses = this.host.onLost((actorId, why) => {
      if (this.deleted || options.restartCrashed === false) return;
      const index = this.actorIds.indexOf(actorId);
      // A shard being moved whole (relocate) is started again by the move, with its entries.
      if (index >= 0 && this.migration?.relocating?.has(index) !== true) this.restartLost(actorId, index, why);
    });
    // A node that drains asks the groups with shards on it to move them (src/cluster/cluster-shards.ts).
    const stopHearingEvictions = this.host.onEvict?.(async (actorIds) => {
      const mine = actorIds.filter((id) => this.actorIds.includes(id));
      if (mine.length > 0 && !this.deleted) await this.relocate(mine);
    });
    this.unsubscribe = () => {
      stopHearingLosses();
      stopHearingEvictions?.();
    };
  }

  /** Spawns the shard actors, spread over the workers, and resolves once all are up. */
  static async create(runtime: ActorRuntime, options: ShardGroupOptions): Promise<ShardGroup> {
    if (typeof options.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.id)) {
      throw new InvalidArgumentError(`a shard group id must be 1–64 of A–Z a–z 0–9 _ . -, got ${shown(options.id)}`);
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
    try {
      await group.spawnShards(group.actorIds);
    } catch (error) {
      group.deleted = true;
      group.unsubscribe();
      throw error;
    }
    return group;
  }

  get shardCount(): number {
    return this.actorIds.length;
  }

  /** The shard actors' ids, in shard order. */
  get shardIds(): readonly string[] {
    return [...this.actorIds];
  }

  get partitionKind(): Partitioner['kind'] {
    return this.partitioner.kind;
  }

  /** True while `scale` moves keys (key-routed operations on moving keys and collectives wait for it). */
  get rebalancing(): boolean {
    return this.migration !== undefined;
  }

  /** The shard that owns `key`. Bigint keys travel as decimal strings and route as such. */
  shardOf(key: ShardKey): number {
    return this.partitioner.shardOf(wireKey(key));
  }

  /** Asks the shard that owns `key`. */
  async sendToShard(key: ShardKey, type: string, payload?: unknown, options: GatherOptions = {}): Promise<ShardResult> {
    this.assertAlive();
    const k = wireKey(key);
    this.partitioner.shardOf(k); // a bad key fails now, not after a rebalance
    if (this.migration !== undefined && this.moves(k, this.migration)) await this.migration.done;
    const shard = this.partitioner.shardOf(k);
    return (await this.collect({ shards: [shard], type, payloadFor: () => payload, options })).results[0];
  }

  /**
   * Groups `entries` by owner and sends one `bulk-update` batch per shard
   * (`{"entries": [[key, value], …]}`). `eventual` resolves once the
   * batches are handed to the runtime; `all` once every shard acknowledged.
   * During a rebalance, entries whose key is moving wait for it to finish.
   */
  async bulkUpdate(entries: readonly (readonly [ShardKey, unknown])[], options: { consistency?: 'eventual' | 'all' } & GatherOptions = {}): Promise<BulkUpdateResult> {
    this.assertAlive();
    const consistency = options.consistency ?? 'all';
    if (consistency !== 'all' && consistency !== 'eventual') throw new InvalidArgumentError(`consistency must be all or eventual, got ${String(consistency)}`);
    const wire = entries.map(([key, value]): [string | number, unknown] => [wireKey(key), value]);
    for (const [key] of wire) this.partitioner.shardOf(key); // validate every key before sending any
    const migration = this.migration;
    if (migration === undefined) return this.sendBatches(wire, consistency, options);
    const now = wire.filter(([key]) => !this.moves(key, migration));
    const later = wire.filter(([key]) => this.moves(key, migration));
    const first = await this.sendBatches(now, consistency, options);
    if (later.length === 0) return first;
    await migration.done;
    const second = await this.sendBatches(later, consistency, options);
    return { entries: wire.length, shards: [...first.shards, ...second.shards].sort((a, b) => a.shard - b.shard) };
  }

  /** Sends `type` to every shard without waiting (after a rebalance in progress). */
  broadcast(type: string, payload?: unknown): void {
    this.assertAlive();
    const bytes = this.codec.encode(payload);
    const send = () => {
      if (!this.deleted) for (const id of this.actorIds) this.host.tell(id, type, bytes);
    };
    if (this.migration === undefined) send();
    else void this.migration.done.then(send);
  }

  /** Every shard's answer, in shard order. */
  async map(type: string, payload?: unknown, options: GatherOptions = {}): Promise<ShardResult[]> {
    return (await this.collectAll(type, () => payload, options)).results;
  }

  /** Sends shard i `payloads[i]` and gathers the answers (MPI's scatter, then a gather). */
  async scatter(type: string, payloads: readonly unknown[], options: GatherOptions = {}): Promise<ShardResult[]> {
    await this.settled();
    if (!Array.isArray(payloads) || payloads.length !== this.actorIds.length) {
      throw new InvalidArgumentError(`scatter needs one payload per shard (${this.actorIds.length}), got ${Array.isArray(payloads) ? payloads.length : typeof payloads}`);
    }
    return (await this.collectAll(type, (shard) => payloads[shard], options)).results;
  }

  /**
   * Sends every task to the shard it names, all at once, and gathers the
   * answers in task order. A shard handles its tasks back to back, so
   * there is no barrier between them (unlike rounds of `scatter`);
   * `onResult` sees each answer as it arrives (progress). Tasks beyond
   * `maxInFlight` wait for room like any other operation.
   */
  async dispatch(type: string, tasks: readonly { readonly shard: number; readonly payload?: unknown }[], options: GatherOptions & { onResult?: (result: ShardResult) => void } = {}): Promise<ShardResult[]> {
    await this.settled();
    if (!Array.isArray(tasks)) throw new InvalidArgumentError('dispatch takes an array of { shard, payload } tasks');
    const shards = tasks.map((task, i) => {
      if (!Number.isSafeInteger(task?.shard) || task.shard < 0 || task.shard >= this.actorIds.length) {
        throw new InvalidArgumentError(`task ${i} names shard ${String(task?.shard)}; this group has shards 0..${this.actorIds.length - 1}`);
      }
      return task.shard;
    });
    return (await this.collect({ shards, type, payloadFor: (_, i) => tasks[i].payload, options, onResult: options.onResult })).results;
  }

  /**
   * Runs `type` over many items: they are cut into contiguous chunks
   * (default one per shard), chunk c goes to shard c mod N, and each shard
   * answers its chunk with one result per item. Many tiny tasks thus cost
   * one message per chunk, not one per task. Typed arrays travel as raw
   * bytes (the shard replies the same element type; use the `bytes` codec);
   * other items as JSON arrays.
   */
  async mapItems<T extends MapItems>(type: string, items: T, options: GatherOptions & { chunkSize?: number } = {}): Promise<MapItemsResult<T extends readonly unknown[] ? unknown[] : T>> {
    await this.settled();
    const { chunkSize, shards, payloadFor, codec } = chunkItems(items, this.actorIds.length, options.chunkSize, this.codec);
    const { results } = await this.collect({ shards, type, payloadFor, options, codec });
    return joinChunks(items, chunkSize, results);
  }

  /** Asks every shard and aggregates the `ok` answers. */
  async scatterGather<T = unknown>(type: string, payload?: unknown, options: GatherOptions & { aggregate?: AggregateStrategy } = {}): Promise<GatherResult<T>> {
    const { results, firstOk, satisfied } = await this.collectAll(type, () => payload, options);
    const ok = results.filter((r) => r.status === 'ok');
    return { value: aggregate(options.aggregate ?? 'concat', ok, firstOk) as T, shards: results, satisfied };
  }

  /** Every shard's answer as it arrives (completion order). */
  async *scatterGatherStream(type: string, payload?: unknown, options: GatherOptions = {}): AsyncIterableIterator<ShardResult> {
    await this.settled();
    yield* arrivals(this.actorIds.length, (onResult: (result: ShardResult) => void) => this.collectAll(type, () => payload, options, onResult));
  }

  /** Reduces the value at `path` of every shard's answer with `op`. */
  async reduce(type: string, payload: unknown, options: GatherOptions & { op: ReduceOp; path?: string }): Promise<GatherResult> {
    const { results, satisfied } = await this.collectAll(type, () => payload, options);
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
    const { results, satisfied } = await this.collectAll('barrier', () => ({ round }), options);
    const wrong = results.find((r) => r.status === 'ok' && valueAt(r.value, 'round') !== round);
    if (wrong !== undefined) throw new InvalidArgumentError(`shard ${wrong.shard} answered barrier ${round} with ${shown(wrong.value)}`);
    return { value: round, shards: results, satisfied };
  }

  /**
   * Grows or shrinks the group to `shardCount` shards and moves every key
   * whose owner changes — and only those (with consistent hashing, ≈1/N of
   * them per shard added). Operations keep flowing: those on keys that stay
   * put proceed, those on moving keys and collectives wait until the keys
   * have arrived. The shards move keys through the JSON shard protocol
   * (`keys`, `extract`, `bulk-update`; docs/shard-groups.md) unless the
   * group is `stateless`. A failed move puts every key back where it was and
   * rejects; the group keeps its old shape. Scales run one at a time.
   */
  scale(shardCount: number, options: { partitioner?: Partitioner; deadlineMs?: number } = {}): Promise<ScaleResult> {
    this.assertAlive();
    const run = this.scaling.then(() => this.rebalance(shardCount, options));
    this.scaling = run.catch(() => undefined);
    return run;
  }

  /**
   * Moves shards whole to wherever the host places them now (a drain of
   * the node they ran on: src/cluster/cluster-shards.ts). Each in turn is
   * emptied (`keys`, then `extract`), stopped, started again, and given its
   * entries back; meanwhile operations on its keys and collectives wait, as
   * in a rebalance, and the shard's messages keep their order, so nothing
   * is lost or applied twice. Runs after any `scale` in progress.
   */
  relocate(actorIds: readonly string[], options: { deadlineMs?: number } = {}): Promise<RelocateResult> {
    const run = this.scaling.then(() => this.relocateNow(actorIds, { deadlineMs: options.deadlineMs ?? 30_000 }));
    this.scaling = run.catch(() => undefined);
    return run;
  }

  /** Stops every shard actor. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    this.unsubscribe();
    await this.scaling;
    await Promise.all(this.actorIds.map((id) => this.host.stop(id).catch(() => undefined)));
  }

  /** The node each shard runs on, in shard order (undefined where the host does not say). */
  get shardNodes(): (string | undefined)[] {
    return this.actorIds.map((id) => this.host.nodeOf(id));
  }

  // ── internals ────────────────────────────────────────────────────────────

  private actorIdOf(shard: number): string {
    return `${this.options.actorPrefix ?? ''}${this.id}/shard-${shard}`;
  }

  private spawnShard(actorId: string, index: number, siblings: readonly string[] = this.actorIds.filter((id) => id !== actorId)): Promise<string> {
    const { module, config, memory } = this.options;
    return this.host.spawn({ module, id: actorId, config, memory, restartCrashed: this.options.restartCrashed !== false }, index, siblings);
  }

  /**
   * Starts a lost shard again (a fresh instance, same id), retrying while
   * the group lives: a shard whose node died comes back once a survivor
   * takes it (until then its messages fail, each with its status).
   */
  private restartLost(actorId: string, index: number, why: string, attempt = 0): void {
    this.spawnShard(actorId, index).catch((error: unknown) => {
      if (this.deleted || this.actorIds[index] !== actorId) return;
      if (attempt === 0) process.stderr.write(`plexspaces: shard ${actorId} of group ${this.id} was lost (${why}) and cannot start again yet: ${(error as Error).message}; retrying\n`);
      setTimeout(() => this.restartLost(actorId, index, why, attempt + 1), Math.min(5_000, 250 * 2 ** attempt)).unref();
    });
  }

  /** Spawns `ids` (spread by the host: over the workers by shard index, or over the nodes); on a failure stops the ones it made and rethrows. */
  private async spawnShards(ids: readonly string[]): Promise<void> {
    const spawned: string[] = [];
    const running = this.actorIds.filter((id) => !ids.includes(id));
    try {
      for (const id of ids) {
        const index = Number(id.slice(id.lastIndexOf('-') + 1));
        spawned.push(await this.spawnShard(id, index, [...running, ...spawned]));
      }
    } catch (error) {
      await Promise.all(spawned.map((id) => this.host.stop(id).catch(() => undefined)));
      throw error;
    }
  }

  private moves(key: string | number, migration: Migration): boolean {
    const shard = this.partitioner.shardOf(key);
    return shard !== migration.next.shardOf(key) || migration.relocating?.has(shard) === true;
  }

  /** Waits out a rebalance in progress (collectives run on a settled shape). */
  private async settled(): Promise<void> {
    this.assertAlive();
    while (this.migration !== undefined) await this.migration.done;
  }

  private async sendBatches(entries: [string | number, unknown][], consistency: 'eventual' | 'all', options: GatherOptions): Promise<BulkUpdateResult> {
    const perShard = new Map<number, [string | number, unknown][]>();
    for (const entry of entries) {
      const shard = this.partitioner.shardOf(entry[0]);
      let batch = perShard.get(shard);
      if (batch === undefined) perShard.set(shard, (batch = []));
      batch.push(entry);
    }
    const shards = [...perShard.keys()].sort((a, b) => a - b);
    if (consistency === 'eventual') {
      for (const shard of shards) this.host.tell(this.actorIds[shard], 'bulk-update', this.codec.encode({ entries: perShard.get(shard) }));
      return { entries: entries.length, shards: shards.map((shard) => ({ shard, actorId: this.actorIds[shard], status: 'ok', latencyMs: 0 })) };
    }
    const { results } = await this.collect({ shards, type: 'bulk-update', payloadFor: (shard) => ({ entries: perShard.get(shard) }), options });
    return { entries: entries.length, shards: results };
  }

  private async rebalance(shardCount: number, options: { partitioner?: Partitioner; deadlineMs?: number }): Promise<ScaleResult> {
    this.assertAlive();
    const started = performance.now();
    const from = this.actorIds.length;
    const next = options.partitioner ?? this.partitioner.withShards(shardCount);
    if (next.shardCount !== shardCount) throw new InvalidArgumentError(`the partitioner has ${next.shardCount} shards but scale asked for ${shardCount}`);
    const nextIds = Array.from({ length: shardCount }, (_, i) => this.actorIdOf(i));
    const added = nextIds.slice(from);
    await this.spawnShards(added);
    let release!: () => void;
    const migration: Migration = { next, done: new Promise<void>((resolve) => (release = resolve)) };
    this.migration = migration;
    try {
      const { keys, moved } = this.options.stateless
        ? { keys: 0, moved: 0 }
        : await moveKeys(this.moving, next, nextIds, { deadlineMs: options.deadlineMs ?? 30_000 });
      // Only now do new operations route by the new shape.
      const removed = this.actorIds.slice(shardCount);
      this.partitioner = next;
      this.actorIds = nextIds;
      this.migration = undefined;
      release();
      await Promise.all(removed.map((id) => this.host.stop(id).catch(() => undefined)));
      return { from, to: shardCount, keys, moved, elapsedMs: performance.now() - started };
    } catch (error) {
      this.migration = undefined;
      release();
      await Promise.all(added.map((id) => this.host.stop(id).catch(() => undefined)));
      throw error;
    }
  }

  private async relocateNow(actorIds: readonly string[], options: GatherOptions): Promise<RelocateResult> {
    this.assertAlive();
    const shards = [...new Set(actorIds.map((id) => this.actorIds.indexOf(id)).filter((i) => i >= 0))];
    if (shards.length === 0) return { moved: [], keys: 0 };
    let release!: () => void;
    this.migration = { next: this.partitioner, relocating: new Set(shards), done: new Promise<void>((resolve) => (release = resolve)) };
    const moved: string[] = [];
    let keys = 0;
    try {
      for (const shard of shards) {
        keys += await relocateShard(this.moving, shard, options);
        moved.push(this.actorIds[shard]);
      }
    } finally {
      this.migration = undefined;
      release();
    }
    return { moved, keys };
  }

  private assertAlive(): void {
    if (this.deleted) throw new InvalidArgumentError(`shard group ${this.id} was deleted`);
  }

  private async collectAll(type: string, payloadFor: (shard: number) => unknown, options: GatherOptions, onResult?: (result: ShardResult) => void) {
    await this.settled();
    return this.collect({ shards: this.actorIds.map((_, i) => i), type, payloadFor, options, onResult });
  }

  /** One message per entry of `shards` through the messenger (src/shard/shard-messenger.ts), to this group's actors in its codec unless the request says. */
  private collect(request: CollectRequest): Promise<CollectResult> {
    this.assertAlive();
    return this.messenger.collect({ ...request, ids: request.ids ?? this.actorIds, codec: request.codec ?? this.codec });
  }
}

/** The form a key travels in (JSON has no bigint): a bigint becomes its decimal string, and routes as that string. */
function wireKey(key: ShardKey): string | number {
  return typeof key === 'bigint' ? key.toString() : key;
}
