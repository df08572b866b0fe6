import type { StoredEntry } from './tuple-index.js';

/**
 * A binary min-heap of leased tuples by `expiresAt`. Tuples taken before
 * their lease ends stay in the heap as dead entries (removing from the middle
 * of a heap costs a search); `noteRemoved` counts them and the heap is
 * rebuilt without them once they are the majority, so memory stays
 * proportional to the live leased tuples.
 */
export class ExpiryQueue {
  private heap: StoredEntry[] = [];
  private stale = 0;

  get size(): number {
    return this.heap.length - this.stale;
  }

  push(entry: StoredEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].expiresAt <= entry.expiresAt) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  /** The earliest live expiry, or undefined. */
  peekTime(): number | undefined {
    this.dropDeadTop();
    return this.heap.length > 0 ? this.heap[0].expiresAt : undefined;
  }

  /** Removes and returns every live entry with `expiresAt <= now`. */
  popDue(now: number): StoredEntry[] {
    const due: StoredEntry[] = [];
    for (;;) {
      this.dropDeadTop();
      if (this.heap.length === 0 || this.heap[0].expiresAt > now) return due;
      due.push(this.popTop());
    }
  }

  /** A leased entry left the space some other way. */
  noteRemoved(): void {
    this.stale++;
    if (this.stale > 1024 && this.stale * 2 > this.heap.length) {
      const live = this.heap.filter((e) => !e.dead);
      this.heap = [];
      this.stale = 0;
      for (const e of live) this.push(e);
    }
  }

  clear(): void {
    this.heap = [];
    this.stale = 0;
  }

  private dropDeadTop(): void {
    while (this.heap.length > 0 && this.heap[0].dead) {
      this.popTop();
      this.stale--;
    }
  }

  private popTop(): StoredEntry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && heap[r].expiresAt < heap[l].expiresAt ? r : l;
        if (heap[c].expiresAt >= last.expiresAt) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}
