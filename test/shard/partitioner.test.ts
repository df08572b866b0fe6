import { describe, expect, it } from 'vitest';
import { consistentHashPartitioner, customPartitioner, hashKey, hashPartitioner, rangePartitioner, type Partitioner } from '../../src/shard/partitioner.js';

const KEYS = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);

function loads(p: Partitioner, keys: readonly string[] = KEYS): number[] {
  const counts = new Array<number>(p.shardCount).fill(0);
  for (const key of keys) counts[p.shardOf(key)]++;
  return counts;
}

/** Pearson's chi-square statistic of observed counts against expected counts. */
function chiSquare(observed: number[], expected: number[]): number {
  return observed.reduce((sum, o, i) => sum + (o - expected[i]) ** 2 / expected[i], 0);
}

// Critical values of the chi-square distribution at p = 0.001.
const CHI2_CRITICAL_0_001: Record<number, number> = { 19: 43.82 };

describe('partitioners', () => {
  it('route deterministically: same key, same shard, across instances', () => {
    const a = consistentHashPartitioner(20);
    const b = consistentHashPartitioner(20);
    for (const key of KEYS.slice(0, 1000)) expect(a.shardOf(key)).toBe(b.shardOf(key));
    expect(hashKey('x')).toBe(hashKey('x'));
    expect(new Set([hashKey(1), hashKey(1n), hashKey('1')]).size).toBe(3);
  });

  it('hash spreads 10^5 keys over 20 shards uniformly (chi-square, p = 0.001)', () => {
    const observed = loads(hashPartitioner(20));
    const expected = new Array(20).fill(KEYS.length / 20);
    expect(chiSquare(observed, expected)).toBeLessThan(CHI2_CRITICAL_0_001[19]);
  });

  it('consistent hash: keys follow the ring arcs (chi-square) and no shard is far off the mean', () => {
    const p = consistentHashPartitioner(20);
    const observed = loads(p);
    // Each shard's share of the ring, estimated from a large independent key sample.
    const arcs = new Array<number>(20).fill(0);
    const probes = 1 << 20;
    const sample = loads(p, Array.from({ length: probes }, (_, i) => `probe-${i}`));
    for (let s = 0; s < 20; s++) arcs[s] = (sample[s] / probes) * KEYS.length;
    expect(chiSquare(observed, arcs)).toBeLessThan(CHI2_CRITICAL_0_001[19]);
    const mean = KEYS.length / 20;
    expect(Math.max(...observed) / mean).toBeLessThan(1.3);
    expect(Math.min(...observed) / mean).toBeGreaterThan(0.7);
  });

  it('consistent hash moves about 1/(N+1) of the keys when a shard is added, all to the new shard', () => {
    const before = consistentHashPartitioner(20);
    const after = before.withShards(21);
    let moved = 0;
    for (const key of KEYS) {
      const from = before.shardOf(key);
      const to = after.shardOf(key);
      if (from !== to) {
        moved++;
        expect(to).toBe(20);
      }
    }
    expect(moved / KEYS.length).toBeGreaterThan(0.03);
    expect(moved / KEYS.length).toBeLessThan(0.07);
    // Plain modulo hashing, by contrast, moves most keys.
    const h20 = hashPartitioner(20);
    const h21 = h20.withShards(21);
    const movedMod = KEYS.filter((k) => h20.shardOf(k) !== h21.shardOf(k)).length / KEYS.length;
    expect(movedMod).toBeGreaterThan(0.9);
  });

  it('range routes by boundaries with a binary search that agrees with a linear one', () => {
    const bounds = [10, 20, 30.5, 100];
    const p = rangePartitioner(bounds);
    expect(p.shardCount).toBe(5);
    const linear = (k: number) => bounds.filter((b) => b <= k).length;
    for (const k of [-5, 0, 9.99, 10, 15, 20, 30.4, 30.5, 99, 100, 1e9]) expect(p.shardOf(k)).toBe(linear(k));
    expect(p.shardOf(15n)).toBe(1);
    const alpha = rangePartitioner(['g', 'n', 't']);
    expect(['apple', 'grape', 'melon', 'zebra'].map((k) => alpha.shardOf(k))).toEqual([0, 1, 1, 3]);
  });

  it('rejects bad keys, boundaries, shard counts and custom results with PLEX_ERR_INVALID_ARGUMENT', () => {
    const invalid = expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(() => hashPartitioner(0)).toThrow(invalid);
    expect(() => hashPartitioner(4).shardOf(null as never)).toThrow(invalid);
    expect(() => hashPartitioner(4).shardOf(NaN)).toThrow(invalid);
    expect(() => rangePartitioner([3, 2])).toThrow(invalid);
    expect(() => rangePartitioner([1, 'b'] as never)).toThrow(invalid);
    expect(() => rangePartitioner([1, 2]).shardOf('x')).toThrow(invalid);
    expect(() => consistentHashPartitioner(4, 0)).toThrow(invalid);
    const broken = customPartitioner(4, () => 7);
    expect(() => broken.shardOf('k')).toThrow(invalid);
    const byLength = customPartitioner(4, (key) => String(key).length % 4);
    expect(byLength.shardOf('abc')).toBe(3);
    expect(byLength.withShards(8).shardCount).toBe(8);
  });
});
