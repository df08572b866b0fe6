import { indexKey, type IndexKey } from '../tuple/index-key.js';
import type { CompiledTemplate } from '../tuple/template.js';
import type { Tuple } from '../tuple/types.js';
import { BucketMap, forEachInSlot } from './bucket-map.js';
import { OrderedBucket, type Removable } from './ordered-bucket.js';

/** A standing template: a blocked read/take, or a watcher. */
export interface Subscription extends Removable {
  /** Arrival order; blocked operations are served in it. */
  readonly seq: number;
  readonly template: CompiledTemplate;
}

/**
 * Templates indexed the way tuples are, so that a write finds the
 * subscriptions it may satisfy without scanning all of them.
 *
 *     byArity ─ 3 ─► unkeyed:   [w4 w7]                 no actual value to key on
 *                    positions: [0] Map "job" ─► [w1 w9]
 *                               [1] Map 42    ─► [w3]
 *
 * Each subscription is filed once: under one actual position of its
 * template (the caller picks the most selective), or in `unkeyed` when the
 * template has none. A written tuple then looks in `unkeyed` and in one
 * bucket per position — the bucket for its own value there — and tests the
 * full template only on those candidates.
 */
export class TemplateRegistry<S extends Subscription> {
  private readonly byArity = new Map<number, ArityRegistry<S>>();
  /** Where each subscription is filed: the unkeyed bucket, or a key of a position map. */
  private readonly homes = new Map<S, OrderedBucket<S> | { map: BucketMap<S>; key: IndexKey }>();

  get size(): number {
    return this.homes.size;
  }

  /** Files `sub` under position `keyPos` of its template (one of `template.keyed`), or unkeyed when -1. */
  add(sub: S, keyPos: number): void {
    const arity = sub.template.arity;
    let registry = this.byArity.get(arity);
    if (registry === undefined) {
      registry = new ArityRegistry<S>(arity);
      this.byArity.set(arity, registry);
    }
    if (keyPos < 0) {
      registry.unkeyed.push(sub);
      this.homes.set(sub, registry.unkeyed);
      return;
    }
    const key = sub.template.keyed.find((k) => k.pos === keyPos)!.key;
    const map = registry.positions[keyPos];
    map.add(key, sub);
    this.homes.set(sub, { map, key });
  }

  remove(sub: S): void {
    const home = this.homes.get(sub);
    if (home === undefined) return;
    this.homes.delete(sub);
    sub.dead = true;
    if (home instanceof OrderedBucket) home.noteRemoved();
    else home.map.remove(home.key, sub);
  }

  /** The subscriptions whose template matches `tuple`, in arrival order. */
  matching(tuple: Tuple): S[] {
    const registry = this.byArity.get(tuple.length);
    if (registry === undefined) return [];
    const out: S[] = [];
    let sources = 0;
    const collect = (sub: S) => {
      if (sub.template.matches(tuple)) out.push(sub);
      return true;
    };
    if (registry.unkeyed.live > 0) {
      registry.unkeyed.forEach(collect);
      sources++;
    }
    for (let pos = 0; pos < tuple.length; pos++) {
      const map = registry.positions[pos];
      if (map.liveKeys === 0) continue;
      const slot = map.get(indexKey(tuple[pos]));
      if (slot !== undefined) {
        forEachInSlot(slot, collect);
        sources++;
      }
    }
    if (sources > 1) out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /** Every subscription, for shutdown. */
  all(): S[] {
    return [...this.homes.keys()];
  }
}

class ArityRegistry<S extends Subscription> {
  readonly unkeyed = new OrderedBucket<S>();
  readonly positions: BucketMap<S>[];

  constructor(arity: number) {
    this.positions = Array.from({ length: arity }, () => new BucketMap<S>());
  }
}
