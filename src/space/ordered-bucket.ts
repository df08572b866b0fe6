/** Something that can sit in buckets and be removed from all of them at once. */
export interface Removable {
  /** Set once by the owner when the item leaves the space; buckets skip dead items. */
  dead: boolean;
}

/**
 * An insertion-ordered list with O(1) append and O(1) amortized removal.
 *
 * An item can sit in several buckets (one per index position). Removing it
 * sets `item.dead` once; each bucket that holds it is told through
 * `noteRemoved()` and keeps the dead slot until it is cheap to drop:
 *
 *     items: [ d d d | a d b c d e ]      d = dead, head = 3
 *                      ^head
 *
 * Dead items at the front are skipped by moving `head`, so a FIFO workload
 * (take the oldest) costs O(1); dead items at the back are popped, so a
 * LIFO workload (take what was just written) does too. Dead items in the middle are compacted away
 * once they outnumber the live ones, so a scan never walks more than twice
 * the live items. `Set` would give the same order, but V8 leaves deleted
 * slots in its table until the next rehash, and a queue-shaped workload then
 * scans up to a table's worth of holes before its first live item.
 */
export class OrderedBucket<T extends Removable> {
  private items: T[] = [];
  private head = 0;
  /** Number of items not yet removed. */
  live = 0;
  push(item: T): void {
    this.items.push(item);
    this.live++;
  }

  /** Call once for each bucket holding `item`, after setting `item.dead`. */
  noteRemoved(): void {
    this.live--;
    const items = this.items;
    while (this.head < items.length && items[this.head].dead) this.head++;
    // Also trim from the tail: a tuple taken soon after its write (the usual
    // work-queue case) is the newest item, and keeping it referenced would
    // make the garbage collector promote every short-lived tuple.
    while (items.length > this.head && items[items.length - 1].dead) items.pop();
    if (this.live === 0) {
      // Reuse the array: a work-queue key empties and refills constantly.
      items.length = 0;
      this.head = 0;
      return;
    }
    const deadInside = items.length - this.head - this.live;
    if (deadInside > 32 && deadInside > this.live) {
      this.items = items.slice(this.head).filter((item) => !item.dead);
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }

  /** Index of the first slot to look at; with `end` and `at`, lets hot loops scan without a callback. */
  get start(): number {
    return this.head;
  }

  get end(): number {
    return this.items.length;
  }

  /** The item at slot `i` (`start <= i < end`); it may be dead. */
  at(i: number): T {
    return this.items[i];
  }

  /** The first live item, oldest first, for which `visit` returns true. */
  find(visit: (item: T) => boolean): T | undefined {
    const items = this.items;
    for (let i = this.head; i < items.length; i++) {
      const item = items[i];
      if (!item.dead && visit(item)) return item;
    }
    return undefined;
  }

  /** Calls `visit` on live items in order until it returns false. */
  forEach(visit: (item: T) => boolean): void {
    const items = this.items;
    for (let i = this.head; i < items.length; i++) {
      const item = items[i];
      if (!item.dead && !visit(item)) return;
    }
  }
}
