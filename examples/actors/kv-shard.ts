/**
 * A key-value shard for ShardGroups, written with the SDK: it speaks the
 * shard protocol (bulk-update, barrier, keys, extract — the last two let
 * `scale` move keys) and answers a few queries. Keys keep their JSON type:
 * 7 and "7" are different keys, as they are to the group's partitioner.
 *
 *   npx plexspaces build examples/actors/kv-shard.ts -o kv-shard.wasm
 */
import { PlexSpacesActor } from 'plexspaces/sdk';

type Key = string | number;

interface Shard {
  /** By the key's JSON text, so that a number key stays a number. */
  values: Record<string, number>;
  /** Most keys this shard holds (config `{"capacity": n}`); a batch that would pass it is refused whole. */
  capacity: number;
  /** Config `{"merge": "sum"}`: bulk-update adds to a key's value instead of replacing it (a reduce by key). */
  sum: boolean;
  round: number;
  lastAllReduce: unknown;
}

export default class KvShard extends PlexSpacesActor<Shard> {
  getDefaultState(): Shard {
    return { values: {}, capacity: Number.MAX_SAFE_INTEGER, sum: false, round: -1, lastAllReduce: null };
  }

  override onInit(config: { capacity?: number; merge?: 'replace' | 'sum' }) {
    if (config.capacity !== undefined) this.state.capacity = config.capacity;
    this.state.sum = config.merge === 'sum';
  }

  onBulkUpdate({ entries }: { entries: [Key, number][] }) {
    let added = 0;
    for (const [key, value] of entries) {
      if (typeof value !== 'number') throw new Error(`values are numbers; ${JSON.stringify(key)} has ${JSON.stringify(value)}`);
      if (!(JSON.stringify(key) in this.state.values)) added++;
    }
    const count = Object.keys(this.state.values).length;
    if (count + added > this.state.capacity) throw new Error(`full: ${count} keys + ${added} new > capacity ${this.state.capacity}`);
    for (const [key, value] of entries) {
      const text = JSON.stringify(key);
      this.state.values[text] = this.state.sum ? (this.state.values[text] ?? 0) + value : value;
    }
    return { applied: entries.length };
  }

  onGet({ key }: { key: Key }) {
    return { key, value: this.state.values[JSON.stringify(key)] ?? null };
  }

  onKeys(): Key[] {
    return Object.keys(this.state.values).map((text) => JSON.parse(text) as Key);
  }

  /** Removes `keys` and answers their entries (keys it does not hold are skipped). */
  onExtract({ keys }: { keys: Key[] }) {
    const entries: [Key, number][] = [];
    for (const key of keys) {
      const text = JSON.stringify(key);
      if (text in this.state.values) {
        entries.push([key, this.state.values[text]]);
        delete this.state.values[text];
      }
    }
    return { entries };
  }

  onStats() {
    const values = Object.values(this.state.values);
    return {
      count: values.length,
      sum: values.reduce((a, b) => a + b, 0),
      min: values.length ? Math.min(...values) : null,
      max: values.length ? Math.max(...values) : null,
      nonEmpty: values.length > 0,
    };
  }

  onBarrier({ round }: { round: number }) {
    this.state.round = round;
    return { round };
  }

  onAllReduceResult({ value }: { value: unknown }) {
    this.state.lastAllReduce = value;
  }

  onLastAllReduce() {
    return { value: this.state.lastAllReduce };
  }

  /** The `n` keys with the largest values, largest first. */
  onTop({ n }: { n: number }) {
    return Object.entries(this.state.values)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([text, value]) => [JSON.parse(text) as Key, value]);
  }

  /** Collatz step counts of `items` (for `mapItems`; the same tiny task as src/wasm/actors/task-shard.ts). */
  onCollatz(items: number[]) {
    return items.map((start) => {
      let n = start;
      let steps = 0;
      while (n !== 1) {
        n = n % 2 === 0 ? n / 2 : 3 * n + 1;
        steps++;
      }
      return steps;
    });
  }

  /** For tests: spin until the watchdog stops this shard. */
  onHang() {
    for (;;) this.state.round++;
  }

  /** For tests: answer slowly (busy-waits `ms`). */
  onSlow({ ms }: { ms: number }) {
    const until = this.host.nowMs() + ms;
    while (this.host.nowMs() < until) this.state.round += 0;
    return { slow: ms };
  }
}
