import { InvalidArgumentError } from '../errors.js';

/** A shard key: strings, numbers and bigints route; everything else is rejected. */
export type ShardKey = string | number | bigint;

/**
 * Maps keys to shards `0 … shardCount-1`. Deterministic: the same key and
 * shard count give the same shard in every process.
 */
export interface Partitioner {
  readonly kind: 'hash' | 'consistent-hash' | 'range' | 'custom';
  readonly shardCount: number;
  shardOf(key: ShardKey): number;
  /** The same partitioner over a different number of shards (for `scale`). */
  withShards(shardCount: number): Partitioner;
}

/**
 * 32-bit FNV-1a over the key's canonical text, then a murmur3 finalizer so
 * that keys differing in their last characters still spread over all bits.
 * Numbers and bigints hash by their decimal text, with a type tag so that
 * `1`, `1n` and `"1"` are different keys.
 */
export function hashKey(key: ShardKey): number {
  const text = typeof key === 'string' ? key : typeof key === 'number' ? `\u0001${key}` : `\u0002${key}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkKey(key: unknown): asserts key is ShardKey {
  const type = typeof key;
  if (type !== 'string' && type !== 'number' && type !== 'bigint') {
    throw new InvalidArgumentError(`a shard key must be a string, number or bigint, got ${key === null ? 'null' : type}`);
  }
  if (type === 'number' && !Number.isFinite(key as number)) throw new InvalidArgumentError(`a numeric shard key must be finite, got ${String(key)}`);
}

function checkShardCount(shardCount: number): void {
  if (!Number.isSafeInteger(shardCount) || shardCount < 1 || shardCount > 65_536) {
    throw new InvalidArgumentError(`shards must be an integer in 1..65536, got ${shardCount}`);
  }
}

/** `hash(key) mod N`: the most even spread, but scaling moves most keys (≈ N/(N+1) of them going to N+1 shards); prefer consistent hashing for groups that scale. */
export function hashPartitioner(shardCount: number): Partitioner {
  checkShardCount(shardCount);
  return {
    kind: 'hash',
    shardCount,
    shardOf(key) {
      checkKey(key);
      return hashKey(key) % shardCount;
    },
    withShards: (n) => hashPartitioner(n),
  };
}

/**
 * A hash ring with `virtualNodes` points per shard. A key belongs to the
 * first point clockwise from its hash, found by binary search over the
 * sorted ring (not a linear walk). Going from N to N+1 shards moves only the
 * keys the new shard's points take over: about 1/(N+1) of them.
 */
export function consistentHashPartitioner(shardCount: number, virtualNodes = 160): Partitioner {
  checkShardCount(shardCount);
  if (!Number.isSafeInteger(virtualNodes) || virtualNodes < 1 || virtualNodes > 4096) {
    throw new InvalidArgumentError(`virtualNodes must be an integer in 1..4096, got ${virtualNodes}`);
  }
  const points = new Uint32Array(shardCount * virtualNodes);
  const owners = new Uint32Array(shardCount * virtualNodes);
  const order: number[] = [];
  for (let shard = 0; shard < shardCount; shard++) {
    for (let v = 0; v < virtualNodes; v++) {
      const i = shard * virtualNodes + v;
      points[i] = hashKey(`shard-${shard}#${v}`);
      owners[i] = shard;
      order.push(i);
    }
  }
  // Ties between points (rare) are broken by shard, so the ring is the same everywhere.
  order.sort((a, b) => points[a] - points[b] || owners[a] - owners[b]);
  const ring = Uint32Array.from(order, (i) => points[i]);
  const ringOwners = Uint32Array.from(order, (i) => owners[i]);
  return {
    kind: 'consistent-hash',
    shardCount,
    shardOf(key) {
      checkKey(key);
      const h = hashKey(key);
      let lo = 0;
      let hi = ring.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ring[mid] < h) lo = mid + 1;
        else hi = mid;
      }
      return ringOwners[lo === ring.length ? 0 : lo];
    },
    withShards: (n) => consistentHashPartitioner(n, virtualNodes),
  };
}

/**
 * Explicit boundaries: shard i holds keys in [boundaries[i-1], boundaries[i]),
 * shard 0 everything below boundaries[0], the last shard everything from the
 * last boundary up. Boundaries are strictly increasing and all numbers or all
 * strings; `shardCount` is `boundaries.length + 1`. Lookup is a binary search.
 */
export function rangePartitioner(boundaries: readonly (number | string)[]): Partitioner {
  if (!Array.isArray(boundaries)) throw new InvalidArgumentError('range boundaries must be an array');
  const type = boundaries.length > 0 ? typeof boundaries[0] : 'number';
  for (let i = 0; i < boundaries.length; i++) {
    if (typeof boundaries[i] !== type || (type !== 'number' && type !== 'string')) {
      throw new InvalidArgumentError(`range boundaries must be all numbers or all strings (boundary ${i} is ${typeof boundaries[i]})`);
    }
    if (i > 0 && !(boundaries[i - 1] < boundaries[i])) throw new InvalidArgumentError(`range boundaries must increase strictly (at index ${i})`);
  }
  const shardCount = boundaries.length + 1;
  checkShardCount(shardCount);
  const bounds = [...boundaries];
  return {
    kind: 'range',
    shardCount,
    shardOf(key) {
      checkKey(key);
      if (typeof key !== type && !(type === 'number' && typeof key === 'bigint')) {
        throw new InvalidArgumentError(`this range partitioner routes ${type} keys, got ${typeof key}`);
      }
      const k = typeof key === 'bigint' ? Number(key) : key;
      let lo = 0;
      let hi = bounds.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (bounds[mid] <= k) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    withShards(n) {
      if (n === shardCount) return this;
      throw new InvalidArgumentError('a range partitioner scales by new boundaries: create one with rangePartitioner([...])');
    },
  };
}

/** A partitioner from a function; its results are checked to be shard indices. */
export function customPartitioner(shardCount: number, route: (key: ShardKey, shardCount: number) => number): Partitioner {
  checkShardCount(shardCount);
  if (typeof route !== 'function') throw new InvalidArgumentError('a custom partitioner needs a function (key, shardCount) => shard');
  return {
    kind: 'custom',
    shardCount,
    shardOf(key) {
      checkKey(key);
      const shard = route(key, shardCount);
      if (!Number.isSafeInteger(shard) || shard < 0 || shard >= shardCount) {
        throw new InvalidArgumentError(`the custom partitioner returned ${shard} for ${String(key)}; it must be in 0..${shardCount - 1}`);
      }
      return shard;
    },
    withShards: (n) => customPartitioner(n, route),
  };
}
