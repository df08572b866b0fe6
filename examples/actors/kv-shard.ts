/**
 * A key-value shard for ShardGroups, written with the SDK: it speaks the
 * shard protocol (bulk-update, barrier) and answers a few queries.
 *
 *   npx plexspaces build examples/actors/kv-shard.ts -o kv-shard.wasm
 */
import { PlexSpacesActor } from 'plexspaces/sdk';

interface Shard {
  values: Record<string, number>;
  round: number;
  lastAllReduce: unknown;
}

export default class KvShard extends PlexSpacesActor<Shard> {
  getDefaultState(): Shard {
    return { values: {}, round: -1, lastAllReduce: null };
  }

  onBulkUpdate({ entries }: { entries: [string | number, number][] }) {
    for (const [key, value] of entries) this.state.values[String(key)] = value;
    return { applied: entries.length };
  }

  onGet({ key }: { key: string | number }) {
    return { key, value: this.state.values[String(key)] ?? null };
  }

  onKeys() {
    return Object.keys(this.state.values);
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
