import type { ShardResult } from '../shard/gather.js';

/** Gathers remembered per shard for its latency figures. */
export const RECENT_GATHERS = 20;
/** Groups remembered (the least recently gathered is forgotten past it). */
const MAX_GROUPS = 1000;

export interface ShardLatency {
  /** Gathers this shard answered in (at most `RECENT_GATHERS` remembered). */
  readonly gathers: number;
  readonly lastMs: number;
  readonly p50Ms: number;
  readonly maxMs: number;
  readonly lastStatus: ShardResult['status'];
}

/**
 * Each shard's latency over the recent gathers of its group (scatter-gather,
 * reduce, barrier, bulk update), for the dashboard's Shard groups page: a
 * slow or failing shard stands out. Fed by NodeService from every gather a
 * remote client makes; an actor's own gathers are not seen.
 */
export class GatherLatencies {
  /** group key → shard → recent [latencyMs, status], oldest first. */
  private readonly groups = new Map<string, Map<number, [number, ShardResult['status']][]>>();

  record(tenant: string, namespace: string, group: string, shards: readonly ShardResult[]): void {
    const key = `${tenant}/${namespace}/${group}`;
    let byShard = this.groups.get(key);
    if (byShard !== undefined) this.groups.delete(key);
    else {
      byShard = new Map();
      if (this.groups.size >= MAX_GROUPS) this.groups.delete(this.groups.keys().next().value!);
    }
    this.groups.set(key, byShard);
    for (const result of shards) {
      let recent = byShard.get(result.shard);
      if (recent === undefined) byShard.set(result.shard, (recent = []));
      recent.push([result.latencyMs, result.status]);
      if (recent.length > RECENT_GATHERS) recent.shift();
    }
  }

  /** Per shard, its figures over the recent gathers (undefined for a shard in none). */
  of(tenant: string, namespace: string, group: string, shard: number): ShardLatency | undefined {
    const recent = this.groups.get(`${tenant}/${namespace}/${group}`)?.get(shard);
    if (recent === undefined || recent.length === 0) return undefined;
    const sorted = recent.map(([ms]) => ms).sort((a, b) => a - b);
    const [lastMs, lastStatus] = recent.at(-1)!;
    return { gathers: recent.length, lastMs: round(lastMs), p50Ms: round(sorted[Math.ceil(sorted.length / 2) - 1]), maxMs: round(sorted.at(-1)!), lastStatus };
  }

  /** A group was deleted: its figures go with it (a new group of that id starts afresh). */
  forget(tenant: string, namespace: string, group: string): void {
    this.groups.delete(`${tenant}/${namespace}/${group}`);
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
