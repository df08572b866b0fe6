import { indexKey } from '../tuple/index-key.js';
import type { CompiledTemplate } from '../tuple/template.js';
import type { Tuple } from '../tuple/types.js';
import { BucketMap, forEachInSlot, slotSize, type Slot } from './bucket-map.js';
import { OrderedBucket, type Removable } from './ordered-bucket.js';

/** A tuple stored in a space. */
export interface StoredEntry extends Removable {
  /** Write order; FIFO results follow it. */
  readonly seq: number;
  readonly tuple: Tuple;
  readonly hasBytes: boolean;
  /** Epoch ms after which the tuple is gone; 0 = no lease. */
  readonly expiresAt: number;
  /** How many times a crash-safe take has delivered this tuple before. */
  readonly deliveries: number;
  /** Its encoded size (an upper bound), for a space with a byte quota; 0 when none is kept. */
  readonly size?: number;
  /** Hidden from everyone while a transaction holds it as taken. */
  hidden: boolean;
}

/**
 * The stored-tuple index.
 *
 *     byArity ─┬─ 3 ─► ArityIndex
 *              │        all:        [t1 t2 t5 t9 …]              every 3-tuple, write order
 *              │        positions:  [0] Map "job"  ─► [t1 t5 t9]
 *              │                        Map "done" ─► [t2]
 *              │                    [1] Map 42     ─► [t1]
 *              │                        Map 43     ─► [t5 t9]
 *              │                    [2] …
 *              └─ 2 ─► ArityIndex …
 *
 * Every tuple sits in its arity's `all` bucket and in one bucket per
 * position, keyed by `indexKey(field)`. A template with actual values at
 * some positions looks up each one's bucket and scans only the smallest, in
 * write order, testing the rest of the template on each candidate. A missing
 * bucket proves there is no match without scanning anything. `$in`
 * positions scan the union of their buckets; templates with only wildcards,
 * ranges, prefixes or type tests scan the arity's `all` bucket, never
 * tuples of other arities.
 */
export class TupleIndex {
  private readonly byArity = new Map<number, ArityIndex>();
  /** Live tuples in the index. */
  size = 0;

  insert(entry: StoredEntry): void {
    const arity = entry.tuple.length;
    let index = this.byArity.get(arity);
    if (index === undefined) {
      index = new ArityIndex(arity);
      this.byArity.set(arity, index);
    }
    index.all.push(entry);
    // Keys are recomputed rather than stored: for the usual primitive fields
    // indexKey is the field itself, and a stored array would cost an
    // allocation per tuple and memory per tuple.
    const tuple = entry.tuple;
    for (let pos = 0; pos < arity; pos++) index.positions[pos].add(indexKey(tuple[pos]), entry);
    this.size++;
  }

  remove(entry: StoredEntry): void {
    if (entry.dead) return;
    entry.dead = true;
    const index = this.byArity.get(entry.tuple.length)!;
    index.all.noteRemoved();
    const tuple = entry.tuple;
    for (let pos = 0; pos < tuple.length; pos++) index.positions[pos].remove(indexKey(tuple[pos]), entry);
    this.size--;
  }

  /**
   * Visits the tuples matching `template`, oldest first, until `visit`
   * returns true; returns that entry.
   */
  find(template: CompiledTemplate, visit: (entry: StoredEntry) => boolean): StoredEntry | undefined {
    const plan = this.plan(template);
    if (plan === undefined) return undefined;
    if (!Array.isArray(plan)) {
      // The hot path, written out without a callback per call.
      if (!(plan instanceof OrderedBucket)) return !plan.dead && template.matches(plan.tuple) && visit(plan) ? plan : undefined;
      for (let i = plan.start, end = plan.end; i < end; i++) {
        const entry = plan.at(i);
        if (!entry.dead && template.matches(entry.tuple) && visit(entry)) return entry;
      }
      return undefined;
    }
    // A `$in` union: candidates from several buckets, merged into write order.
    const candidates: StoredEntry[] = [];
    for (const slot of plan) {
      forEachInSlot(slot, (entry) => {
        if (template.matches(entry.tuple)) candidates.push(entry);
        return true;
      });
    }
    candidates.sort((a, b) => a.seq - b.seq);
    return candidates.find(visit);
  }

  /** Live entries matching `template` for which `accept` holds, oldest first, at most `limit`. */
  collect(template: CompiledTemplate, accept: (entry: StoredEntry) => boolean, limit = Infinity): StoredEntry[] {
    const out: StoredEntry[] = [];
    if (limit <= 0) return out;
    const plan = this.plan(template);
    if (plan === undefined) return out;
    if (!Array.isArray(plan)) {
      forEachInSlot(plan, (entry) => {
        if (template.matches(entry.tuple) && accept(entry)) out.push(entry);
        return out.length < limit;
      });
      return out;
    }
    for (const slot of plan) {
      forEachInSlot(slot, (entry) => {
        if (template.matches(entry.tuple) && accept(entry)) out.push(entry);
        return true;
      });
    }
    out.sort((a, b) => a.seq - b.seq);
    if (out.length > limit) out.length = limit;
    return out;
  }

  /**
   * The number of matching tuples when a bucket's live count answers it
   * exactly (the template constrains one position to one value, or nothing
   * but the arity); `undefined` when a scan is needed.
   */
  exactCount(template: CompiledTemplate): number | undefined {
    const index = this.byArity.get(template.arity);
    if (index === undefined) return 0;
    if (template.constrained === 0) return index.all.live;
    if (template.constrained === 1 && template.keyed.length === 1) {
      const { pos, key } = template.keyed[0];
      const slot = index.positions[pos].get(key);
      return slot === undefined ? 0 : slotSize(slot);
    }
    return undefined;
  }

  /** How many distinct values position `pos` of `arity`-tuples holds now: a selectivity estimate. */
  cardinality(arity: number, pos: number): number {
    return this.byArity.get(arity)?.positions[pos].liveKeys ?? 0;
  }

  /**
   * What to scan for `template`: one slot (the usual case), several (a `$in`
   * union), or `undefined` when no tuple can match.
   */
  private plan(template: CompiledTemplate): Slot<StoredEntry> | Slot<StoredEntry>[] | undefined {
    const index = this.byArity.get(template.arity);
    if (index === undefined) return undefined;
    let best: Slot<StoredEntry> | Slot<StoredEntry>[] = index.all;
    let bestSize = index.all.live;
    const keyed = template.keyed;
    for (let i = 0; i < keyed.length; i++) {
      const slot = index.positions[keyed[i].pos].get(keyed[i].key);
      if (slot === undefined) return undefined;
      const size = slotSize(slot);
      if (size < bestSize) {
        best = slot;
        bestSize = size;
      }
    }
    for (const { pos, keys } of template.keySets) {
      const buckets: Slot<StoredEntry>[] = [];
      let size = 0;
      for (const key of keys) {
        const slot = index.positions[pos].get(key);
        if (slot !== undefined) {
          buckets.push(slot);
          size += slotSize(slot);
        }
      }
      if (buckets.length === 0) return undefined;
      if (size < bestSize) {
        best = buckets;
        bestSize = size;
      }
    }
    return best;
  }
}

class ArityIndex {
  readonly all = new OrderedBucket<StoredEntry>();
  readonly positions: BucketMap<StoredEntry>[];

  constructor(arity: number) {
    this.positions = Array.from({ length: arity }, () => new BucketMap<StoredEntry>());
  }
}
