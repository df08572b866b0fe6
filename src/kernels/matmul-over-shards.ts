import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, KernelFailedError } from '../errors.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { relaxedSimdSupported } from '../runtime/wasm-features.js';
import type { ShardGroup } from '../shard/shard-group.js';
import { fillMatrix } from './matmul.js';
import { entryError, sampledError } from './sgemm-check.js';

/** The module a group for `matmulOverShards` runs (src/wasm/actors/sgemm-tiles.ts). */
export const SGEMM_TILES_MODULE = 'sgemm-tiles';

/** The build of that module to deploy: with relaxed SIMD (fused multiply-add) where this engine compiles it. */
export function sgemmTilesWasm(): Uint8Array {
  return relaxedSimdSupported() ? builtActorWasm('sgemm-tiles-relaxed') : builtActorWasm('sgemm-tiles');
}

export interface MatmulOverShardsOptions {
  /** Square matrices n×n (float32), filled from the same seeds as `runMatmul`. */
  readonly n: number;
  /** Rows of C per tile (default: n / (4·shards), a multiple of 4). */
  readonly tileRows?: number;
  /** The node this driver runs on: bytes sent to shards elsewhere count as moved between nodes. */
  readonly self?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface MatmulOverShardsResult {
  readonly n: number;
  readonly shards: number;
  /** Shards per node, e.g. { alpha: 1, beta: 1 }. */
  readonly placement: Record<string, number>;
  readonly tiles: number;
  /** B sent to every shard, then every tile computed and back: the whole job. */
  readonly seconds: number;
  readonly gflops: number;
  /** Bytes sent to and received from shards on other nodes than `self` (B, A's tiles, C's tiles). */
  readonly bytesBetweenNodes: number;
  /** Largest |C − C64| / (|C64| + 1) over sampled entries, C64 computed in float64. */
  readonly maxRelError: number;
  readonly checkedEntries: number;
}

/** A and B filled from the drivers' seeds, and C filled with NaN so that a tile that never came back cannot pass the check. */
export function clusterOperands(n: number): { a: Float32Array; b: Float32Array; c: Float32Array } {
  const a = new Float32Array(n * n);
  const b = new Float32Array(n * n);
  fillMatrix(a, 1);
  fillMatrix(b, 2);
  return { a, b, c: new Float32Array(n * n).fill(Number.NaN) };
}

/** C against float64 on sampled entries and three corners; any entry left NaN fails it. */
export function checkProduct(n: number, a: Float32Array, b: Float32Array, c: Float32Array): { maxRelError: number; checkedEntries: number } {
  const samples = Math.min(n * n, 4096);
  let maxRelError = sampledError(n, a, b, c, samples, 99);
  for (const [i, j] of [[n - 1, n - 1], [0, n - 1], [n - 1, 0]]) maxRelError = Math.max(maxRelError, entryError(n, a, b, c, i, j));
  if (c.some(Number.isNaN)) maxRelError = Number.POSITIVE_INFINITY;
  return { maxRelError, checkedEntries: samples + 3 };
}

/** Shards per node ("here" for a shard of this process's own runtime). */
export function placementOf(nodes: readonly (string | undefined)[]): Record<string, number> {
  const placement: Record<string, number> = {};
  for (const node of nodes) placement[node ?? 'here'] = (placement[node ?? 'here'] ?? 0) + 1;
  return placement;
}

/**
 * Sends B (n×n) to every shard of the group ("load-b") and checks each kept
 * it; returns the bytes that went to shards for which `remote` is true.
 */
export async function loadBOnShards(group: ShardGroup, b: Float32Array, n: number, remote: (shard: number) => boolean): Promise<number> {
  const loadB = new Uint8Array(8 + b.byteLength);
  new Uint32Array(loadB.buffer, 0, 2).set([n, n]);
  loadB.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), 8);
  const loaded = await group.scatter('load-b', Array.from({ length: group.shardCount }, () => loadB), { deadlineMs: 120_000 });
  let bytes = 0;
  for (const result of loaded) {
    const reply = result.value as Uint8Array | undefined;
    if (result.status !== 'ok' || reply === undefined || reply.byteLength !== 4 || new DataView(reply.buffer, reply.byteOffset, 4).getUint32(0, true) !== n * n) {
      throw new KernelFailedError(`shard ${result.shard} did not take B: ${result.errorCode ?? ''} ${result.errorMessage ?? 'wrong reply'}`);
    }
    if (remote(result.shard)) bytes += loadB.byteLength;
  }
  return bytes;
}

/**
 * C = A·B over a shard group of `sgemm-tiles` shards, wherever they run (one
 * node's workers or several nodes: the operands travel as message bytes, not
 * shared memory). Every shard gets B once; row blocks of A go to shard
 * t mod N and come back as row blocks of C. The result is checked against a
 * float64 product, and every entry must have been written.
 */
export async function matmulOverShards(group: ShardGroup, options: MatmulOverShardsOptions): Promise<MatmulOverShardsResult> {
  const { n } = options;
  if (!Number.isSafeInteger(n) || n < 4 || n > 8192) throw new InvalidArgumentError(`n must be an integer in 4..8192, got ${n}`);
  if (group.codec.name !== 'bytes') throw new InvalidArgumentError(`matmul over shards needs a group with the bytes codec, not ${group.codec.name}`);
  const shards = group.shardCount;
  const tileRows = options.tileRows ?? Math.max(4, Math.floor(n / (4 * shards) / 4) * 4);
  if (!Number.isSafeInteger(tileRows) || tileRows < 1) throw new InvalidArgumentError(`tileRows must be a positive integer, got ${tileRows}`);
  const { a, b, c } = clusterOperands(n);
  const nodes = group.shardNodes;
  const remote = (shard: number) => options.self !== undefined && nodes[shard] !== undefined && nodes[shard] !== options.self;
  let bytesBetweenNodes = 0;

  const rows = Array.from({ length: Math.ceil(n / tileRows) }, (_, t) => t * tileRows);
  const started = performance.now();
  bytesBetweenNodes += await loadBOnShards(group, b, n, remote);
  const tasks = rows.map((row, t) => {
    const m = Math.min(tileRows, n - row);
    const payload = new Uint8Array(8 + m * n * 4);
    new Uint32Array(payload.buffer, 0, 2).set([row, m]);
    payload.set(new Uint8Array(a.buffer, row * n * 4, m * n * 4), 8);
    return { shard: t % shards, payload };
  });
  let done = 0;
  const results = await group.dispatch('tile', tasks, {
    deadlineMs: 600_000,
    onResult: (result) => {
      options.onProgress?.(++done, rows.length);
      const reply = result.value as Uint8Array | undefined;
      if (result.status !== 'ok' || reply === undefined || reply.byteLength < 8) return;
      const view = new DataView(reply.buffer, reply.byteOffset, 8);
      const row = view.getUint32(0, true);
      const m = view.getUint32(4, true);
      if (row + m > n || reply.byteLength !== 8 + m * n * 4) return; // left NaN: the check below fails
      // Copied out as bytes: the reply's offset in its buffer need not be a multiple of 4.
      new Uint8Array(c.buffer, row * n * 4, m * n * 4).set(reply.subarray(8));
    },
  });
  const seconds = (performance.now() - started) / 1000;
  results.forEach((result, t) => {
    if (result.status !== 'ok') throw new KernelFailedError(`tile ${t} on shard ${result.shard} failed: ${result.errorCode} ${result.errorMessage}`);
    if (remote(result.shard)) bytesBetweenNodes += tasks[t].payload.byteLength + (result.value as Uint8Array).byteLength;
  });

  const { maxRelError, checkedEntries } = checkProduct(n, a, b, c);
  const placement = placementOf(nodes);
  return { n, shards, placement, tiles: rows.length, seconds, gflops: (2 * n ** 3) / seconds / 1e9, bytesBetweenNodes, maxRelError, checkedEntries };
}
