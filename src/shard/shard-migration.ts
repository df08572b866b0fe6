/**
 * How a shard group moves keys between its shards: a rebalance's moves
 * (`scale`) and their undo, and a whole shard's move to another node
 * (`relocate`), through the JSON shard protocol (`keys`, `extract`,
 * `bulk-update`; docs/shard-groups.md). ShardGroup decides when a move
 * runs and swaps in the new shape; these are the moves themselves.
 */
import { RebalanceError, UsageError } from '../errors.js';
import type { ShardResult } from './gather.js';
import { jsonCodec } from './shard-codec.js';
import type { Partitioner } from './partitioner.js';
import type { CollectRequest, CollectResult } from './shard-messenger.js';
import type { GatherOptions } from './shard-group-types.js';

/** A rebalance or a relocation in progress: operations on the keys it moves, and collectives, wait for `done`. */
export interface Migration {
  readonly next: Partitioner;
  /** Shards being moved to another node whole (`relocate`): their keys wait too. */
  readonly relocating?: ReadonlySet<number>;
  readonly done: Promise<void>;
}

/** What the moves need of their group: ShardGroup hands them its own, read live. */
export interface MovingGroup {
  readonly id: string;
  /** The group's shard actors now, in shard order. */
  actorIds(): readonly string[];
  /** The group's `stateless` option: its shards hold no keys to move. */
  readonly stateless: boolean | undefined;
  actorIdOf(shard: number): string;
  /** ShardGroup's collect: one message per entry of `shards`, to the group's actors in its codec unless the request says. */
  collect(request: CollectRequest): Promise<CollectResult>;
  spawnShard(actorId: string, index: number): Promise<string>;
  stop(actorId: string): Promise<void>;
}

/** Empties one shard, starts it again where the host places it now, and puts its entries back; resolves with how many. */
export async function relocateShard(group: MovingGroup, shard: number, options: GatherOptions): Promise<number> {
  const id = group.actorIds()[shard];
  let entries: [string | number, unknown][] = [];
  if (!group.stateless) {
    const [listed] = (await group.collect({ shards: [shard], type: 'keys', payloadFor: () => ({}), options, codec: jsonCodec })).results;
    if (listed.status !== 'ok' || !Array.isArray(listed.value)) throw new RebalanceError(`cannot move shard ${id}: it answered keys with ${listed.status === 'ok' ? JSON.stringify(listed.value)?.slice(0, 80) : `${listed.errorCode}: ${listed.errorMessage}`}; it stays where it is`);
    const [extracted] = (await group.collect({ shards: [shard], type: 'extract', payloadFor: () => ({ keys: listed.value }), options, codec: jsonCodec })).results;
    const got = (extracted.value as { entries?: unknown } | undefined)?.entries;
    // A failed extract may have removed nothing or everything: the shard keeps running where it is, with whatever it holds.
    if (extracted.status !== 'ok' || !Array.isArray(got)) throw new RebalanceError(`cannot move shard ${id}: extract answered ${extracted.status === 'ok' ? JSON.stringify(extracted.value)?.slice(0, 80) : `${extracted.errorCode}: ${extracted.errorMessage}`}`);
    entries = got as [string | number, unknown][];
  }
  // From here its entries are only in our hands: the new instance must take them.
  await group.stop(id).catch(() => undefined);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await group.spawnShard(id, shard);
      lastError = undefined;
      break;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
  if (lastError !== undefined) throw new RebalanceError(`shard ${id} stopped to move and cannot start again (${(lastError as Error).message}): its ${entries.length} entries are lost`);
  if (entries.length > 0) {
    const [imported] = (await group.collect({ shards: [shard], type: 'bulk-update', payloadFor: () => ({ entries }), options, codec: jsonCodec })).results;
    if (imported.status !== 'ok') throw new RebalanceError(`shard ${id} moved but refused its ${entries.length} entries back (${imported.errorCode}: ${imported.errorMessage})`);
  }
  return entries.length;
}

/**
 * Asks every current shard for its keys, extracts the ones whose owner
 * changes, and bulk-updates them into their new owners. Per-actor message
 * order makes this safe under traffic: anything sent to a shard before its
 * `keys` request is applied before it, and nothing about a moving key is
 * sent while the move runs.
 */
export async function moveKeys(group: MovingGroup, next: Partitioner, nextIds: readonly string[], options: GatherOptions): Promise<{ keys: number; moved: number }> {
  const current = group.actorIds().map((_, i) => i);
  const listed = await group.collect({ shards: current, type: 'keys', payloadFor: () => ({}), options, codec: jsonCodec });
  const failed = listed.results.find((r) => r.status !== 'ok' || !Array.isArray(r.value));
  if (failed !== undefined) {
    throw new UsageError(
      `cannot rebalance ${group.id}: shard ${failed.shard} answered keys with ${failed.status === 'ok' ? JSON.stringify(failed.value)?.slice(0, 80) : `${failed.errorCode}: ${failed.errorMessage}`} (a stateful shard must implement keys/extract; a shard without keyed state belongs in a stateless group)`,
    );
  }
  let keys = 0;
  const leaving = new Map<number, (string | number)[]>();
  for (const result of listed.results) {
    const held = result.value as (string | number)[];
    keys += held.length;
    const moving = held.filter((key) => next.shardOf(key) !== result.shard);
    if (moving.length > 0) leaving.set(result.shard, moving);
  }
  if (leaving.size === 0) return { keys, moved: 0 };
  const sources = [...leaving.keys()];
  const extracted = await group.collect({ shards: sources, type: 'extract', payloadFor: (shard) => ({ keys: leaving.get(shard) }), options, codec: jsonCodec });
  // Whatever was extracted is only in our hands now: from here on a failure must put it back.
  const inHand: [string | number, unknown, number][] = [];
  let extractFailure: ShardResult | undefined;
  for (const result of extracted.results) {
    const entries = (result.value as { entries?: unknown } | undefined)?.entries;
    if (result.status !== 'ok' || !Array.isArray(entries)) {
      extractFailure ??= result;
      continue;
    }
    for (const [key, value] of entries as [string | number, unknown][]) inHand.push([key, value, result.shard]);
  }
  const target = (entry: [string | number, unknown, number]) => (extractFailure === undefined ? next.shardOf(entry[0]) : entry[2]);
  const perTarget = new Map<number, [string | number, unknown][]>();
  for (const entry of inHand) {
    const shard = target(entry);
    let batch = perTarget.get(shard);
    if (batch === undefined) perTarget.set(shard, (batch = []));
    batch.push([entry[0], entry[1]]);
  }
  const targets = [...perTarget.keys()];
  // Old and new shards alike (a put-back may go to a shard a shrink was about to remove).
  const everyId = Array.from({ length: Math.max(nextIds.length, group.actorIds().length) }, (_, i) => group.actorIdOf(i));
  const imported = await group.collect({ shards: targets, type: 'bulk-update', payloadFor: (shard) => ({ entries: perTarget.get(shard) }), options, ids: everyId, codec: jsonCodec });
  const importFailure = imported.results.find((r) => r.status !== 'ok');
  if (extractFailure !== undefined) {
    throw new RebalanceError(`cannot rebalance ${group.id}: shard ${extractFailure.shard} failed extract (${extractFailure.errorCode ?? 'bad reply'}); extracted keys were put back`);
  }
  if (importFailure !== undefined) {
    await undoImports(group, inHand, next, nextIds, imported.results, options);
    throw new RebalanceError(`cannot rebalance ${group.id}: shard ${importFailure.shard} failed to take its keys (${importFailure.errorCode}: ${importFailure.errorMessage}); keys were put back`);
  }
  return { keys, moved: inHand.length };
}

/** Puts moved entries back on their old owners after a failed import (taking them out of new owners that did accept them). */
async function undoImports(
  group: MovingGroup,
  inHand: [string | number, unknown, number][],
  next: Partitioner,
  nextIds: readonly string[],
  imports: ShardResult[],
  options: GatherOptions,
): Promise<void> {
  const accepted = new Set(imports.filter((r) => r.status === 'ok').map((r) => r.shard));
  const takeBack = new Map<number, (string | number)[]>();
  for (const [key] of inHand) {
    const shard = next.shardOf(key);
    if (!accepted.has(shard) || shard >= group.actorIds().length) continue; // shards being added are stopped anyway
    let list = takeBack.get(shard);
    if (list === undefined) takeBack.set(shard, (list = []));
    list.push(key);
  }
  if (takeBack.size > 0) {
    const shards = [...takeBack.keys()];
    await group.collect({ shards, type: 'extract', payloadFor: (shard) => ({ keys: takeBack.get(shard) }), options, ids: nextIds, codec: jsonCodec });
  }
  const home = new Map<number, [string | number, unknown][]>();
  for (const [key, value, origin] of inHand) {
    let batch = home.get(origin);
    if (batch === undefined) home.set(origin, (batch = []));
    batch.push([key, value]);
  }
  const shards = [...home.keys()];
  await group.collect({ shards, type: 'bulk-update', payloadFor: (shard) => ({ entries: home.get(shard) }), options, codec: jsonCodec });
}
