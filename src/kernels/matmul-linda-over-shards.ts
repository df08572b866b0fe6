import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, KernelFailedError } from '../errors.js';
import type { ShardGroup } from '../shard/shard-group.js';
import type { Space } from '../space/space.js';
import { any, type Tuple } from '../tuple/types.js';
import { checkProduct, clusterOperands, loadBOnShards, placementOf, type MatmulOverShardsResult } from './matmul-over-shards.js';

export interface MatmulLindaOptions {
  /** Square matrices n×n (float32), filled from the same seeds as `runMatmul`. */
  readonly n: number;
  /** Rows of C per tile (default: n / (4·shards), a multiple of 4, at most 1 MiB of A per tuple). */
  readonly tileRows?: number;
  /** Tells this job's tuples apart from another's in the same space. */
  readonly job: number;
  /** The node this driver runs on: bytes to and from other nodes are counted. */
  readonly self?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Tuples written per call: a batch of tiles is one round trip, and stays well under a script's argument size. */
const WRITE_BATCH = 4;

/**
 * C = A·B by Linda's master/worker over a cluster: the tiles — row blocks of
 * A as bytes — are tuples ("tile", row, m, job, bytes) in a space every node
 * shares (the cluster's, on Redis); each worker (an `sgemm-tiles` shard, on
 * whatever node it runs) takes the next tile there is, computes those rows of
 * C and writes ("c", row, m, job, bytes); the master takes the results. A
 * worker asks for work as soon as it is done, so faster workers take more
 * tiles: the bag of tasks balances itself. B goes to every worker once, as a
 * message. The result is checked against a float64 product.
 */
export async function matmulLindaOverShards(group: ShardGroup, space: Space, options: MatmulLindaOptions): Promise<MatmulOverShardsResult & { readonly tilesPerShard: number[] }> {
  const { n, job } = options;
  if (!Number.isSafeInteger(n) || n < 4 || n > 8192) throw new InvalidArgumentError(`n must be an integer in 4..8192, got ${n}`);
  if (!Number.isSafeInteger(job) || job < 0 || job > 2 ** 31) throw new InvalidArgumentError(`job must be a non-negative integer, got ${job}`);
  if (group.codec.name !== 'bytes') throw new InvalidArgumentError(`the Linda matmul needs a group with the bytes codec, not ${group.codec.name}`);
  const shards = group.shardCount;
  const maxRows = Math.max(1, Math.floor((1 << 20) / (n * 4 * 1.01)));
  const tileRows = Math.min(options.tileRows ?? Math.max(4, Math.floor(n / (4 * shards) / 4) * 4), maxRows);
  if (!Number.isSafeInteger(tileRows) || tileRows < 1) throw new InvalidArgumentError(`tileRows must be a positive integer, got ${tileRows}`);
  const { a, b, c } = clusterOperands(n);
  const nodes = group.shardNodes;
  const remote = (shard: number) => options.self !== undefined && nodes[shard] !== undefined && nodes[shard] !== options.self;
  const rows = Array.from({ length: Math.ceil(n / tileRows) }, (_, t) => t * tileRows);

  const started = performance.now();
  const bBytes = await loadBOnShards(group, b, n, remote);
  // The bag of tasks: every tile in the shared space before a worker starts.
  const tiles: Tuple[] = rows.map((row) => {
    const m = Math.min(tileRows, n - row);
    return ['tile', row, m, job, new Uint8Array(a.buffer, row * n * 4, m * n * 4)];
  });
  for (let i = 0; i < tiles.length; i += WRITE_BATCH) await space.writeAll(tiles.slice(i, i + WRITE_BATCH));

  // One lane per worker: "take-tile" until it says none is left.
  const jobBytes = new Uint8Array(new Uint32Array([job]).buffer);
  const tilesPerShard = new Array<number>(shards).fill(0);
  const lane = async (shard: number) => {
    for (;;) {
      const [result] = await group.dispatch('take-tile', [{ shard, payload: jobBytes }], { deadlineMs: 600_000 });
      const reply = result.value as Uint8Array | undefined;
      if (result.status !== 'ok' || reply === undefined || reply.byteLength !== 4) {
        throw new KernelFailedError(`worker ${shard} failed a tile: ${result.errorCode ?? ''} ${result.errorMessage ?? 'wrong reply'}`);
      }
      if (new DataView(reply.buffer, reply.byteOffset, 4).getUint32(0, true) === 0) return;
      tilesPerShard[shard]++;
    }
  };
  const collect = async () => {
    for (let done = 0; done < rows.length; done++) {
      const tuple = await space.take(['c', any, any, job, any], { timeoutMs: 600_000 });
      if (tuple === null) throw new KernelFailedError(`only ${done} of ${rows.length} tiles came back`);
      const [, row, m, , bytes] = tuple as [string, number, number, number, Uint8Array];
      if (row + m > n || bytes.byteLength !== m * n * 4) throw new KernelFailedError(`a result tuple for rows ${row}+${m} carries ${bytes.byteLength} bytes`);
      new Uint8Array(c.buffer, row * n * 4, m * n * 4).set(bytes);
      options.onProgress?.(done + 1, rows.length);
    }
  };
  await Promise.all([collect(), ...Array.from({ length: shards }, (_, s) => lane(s))]);
  const seconds = (performance.now() - started) / 1000;
  // Through the shared space (Redis, off every node): A in and out to the workers, C in and out to this node.
  const bytesBetweenNodes = bBytes + 4 * n * n * 4;

  const { maxRelError, checkedEntries } = checkProduct(n, a, b, c);
  const placement = placementOf(nodes);
  return { n, shards, placement, tiles: rows.length, seconds, gflops: (2 * n ** 3) / seconds / 1e9, bytesBetweenNodes, maxRelError, checkedEntries, tilesPerShard };
}
