import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, KernelFailedError } from '../errors.js';
import type { ShardGroup } from '../shard/shard-group.js';
import type { ShardResult } from '../shard/gather.js';
import { coldSphere } from './nbody.js';

/** The module a group for `nbodyOverShards` runs (src/wasm/actors/nbody-slices.ts). */
export const NBODY_SLICES_MODULE = 'nbody-slices';

export interface NbodyOverShardsOptions {
  readonly bodies: number;
  readonly steps: number;
  /** Time step (default 0.001) and Plummer softening length (default 0.01). */
  readonly dt?: number;
  readonly softening?: number;
  /** The node this driver runs on: bytes sent to shards elsewhere count as moved between nodes. */
  readonly self?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface NbodyOverShardsResult {
  readonly bodies: number;
  readonly steps: number;
  readonly shards: number;
  /** Shards per node, e.g. { alpha: 1, beta: 1 }. */
  readonly placement: Record<string, number>;
  readonly seconds: number;
  /** Pair interactions per second, all shards together (n² per step, n padded to a multiple of 4). */
  readonly interactionsPerSecond: number;
  readonly energyStart: number;
  readonly energyEnd: number;
  /** |E_end − E_start| / |E_start|: the leapfrog's check, as on one node. */
  readonly relativeEnergyDrift: number;
  /** Bytes sent to and received from shards on other nodes than `self`. */
  readonly bytesBetweenNodes: number;
}

/**
 * The cold-sphere n-body of `runNbody`, over a shard group of
 * `nbody-slices` shards wherever they run: shard s owns a contiguous range
 * of bodies and their velocities; each step every shard gets all positions
 * (message bytes) and answers its bodies' new ones, which the driver puts
 * together for the next step — one scatter-gather per step, the gather
 * being the barrier. Kick-drift-kick as on one node, so the energy drift is
 * the same check.
 */
export async function nbodyOverShards(group: ShardGroup, options: NbodyOverShardsOptions): Promise<NbodyOverShardsResult> {
  const { bodies, steps } = options;
  if (!Number.isSafeInteger(bodies) || bodies < 4 || bodies > 1 << 20) throw new InvalidArgumentError(`bodies must be an integer in 4..1048576, got ${bodies}`);
  if (!Number.isSafeInteger(steps) || steps < 1) throw new InvalidArgumentError(`steps must be a positive integer, got ${steps}`);
  if (group.codec.name !== 'bytes') throw new InvalidArgumentError(`n-body over shards needs a group with the bytes codec, not ${group.codec.name}`);
  const dt = options.dt ?? 0.001;
  const eps = options.softening ?? 0.01;
  if (!(dt > 0) || !(eps > 0)) throw new InvalidArgumentError('dt and softening must be positive');
  const n = Math.ceil(bodies / 4) * 4; // padded with massless bodies
  const shards = group.shardCount;
  const nodes = group.shardNodes;
  const remote = (shard: number) => options.self !== undefined && nodes[shard] !== undefined && nodes[shard] !== options.self;
  let bytesBetweenNodes = 0;
  const moved = (results: ShardResult[], sent: (shard: number) => number) => {
    for (const result of results) {
      if (result.status !== 'ok') throw new KernelFailedError(`shard ${result.shard} failed: ${result.errorCode} ${result.errorMessage}`);
      if (remote(result.shard)) bytesBetweenNodes += sent(result.shard) + (result.value as Uint8Array).byteLength;
    }
  };
  const ranges = Array.from({ length: shards }, (_, s) => [Math.floor((n * s) / shards), Math.floor((n * (s + 1)) / shards)] as const);
  const { positions, masses } = coldSphere(n, bodies);

  const inits = ranges.map(([i0, i1]) => {
    const payload = new Uint8Array(16 + 16 * n);
    const view = new DataView(payload.buffer);
    [n, i0, i1].forEach((v, k) => view.setUint32(k * 4, v, true));
    view.setFloat32(12, eps * eps, true);
    // Velocities start at zero (a cold sphere); masses follow them.
    payload.set(new Uint8Array(masses.buffer, masses.byteOffset, masses.byteLength), 16 + 12 * n);
    return payload;
  });
  moved(await group.scatter('init', inits, { deadlineMs: 120_000 }), (s) => inits[s].byteLength);

  const energy = async (): Promise<number> => {
    const payload = new Uint8Array(positions.buffer, positions.byteOffset, positions.byteLength);
    const parts = await group.scatter('energy', ranges.map(() => payload), { deadlineMs: 600_000 });
    moved(parts, () => payload.byteLength);
    return parts.reduce((sum, r) => sum + new DataView((r.value as Uint8Array).buffer, (r.value as Uint8Array).byteOffset, 8).getFloat64(0, true), 0);
  };
  const step = async (dtKick: number, dtDrift: number) => {
    const payload = new Uint8Array(8 + 12 * n);
    const view = new DataView(payload.buffer);
    view.setFloat32(0, dtKick, true);
    view.setFloat32(4, dtDrift, true);
    payload.set(new Uint8Array(positions.buffer, positions.byteOffset, positions.byteLength), 8);
    const results = await group.scatter('step', ranges.map(() => payload), { deadlineMs: 600_000 });
    moved(results, () => payload.byteLength);
    for (const result of results) {
      const [i0, i1] = ranges[result.shard];
      const reply = result.value as Uint8Array;
      const rows = i1 - i0;
      if (reply.byteLength !== 12 * rows) throw new KernelFailedError(`shard ${result.shard} answered ${reply.byteLength} bytes for ${rows} bodies`);
      // Copied as bytes: the reply's offset in its buffer need not be a multiple of 4.
      const into = new Uint8Array(positions.buffer, positions.byteOffset, positions.byteLength);
      for (let axis = 0; axis < 3; axis++) into.set(reply.subarray(axis * rows * 4, (axis + 1) * rows * 4), (axis * n + i0) * 4);
    }
  };

  const energyStart = await energy();
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    await step(s === 0 ? dt / 2 : dt, dt);
    options.onProgress?.(s + 1, steps);
  }
  await step(dt / 2, 0);
  const seconds = (performance.now() - t0) / 1000;
  const energyEnd = await energy();
  const placement: Record<string, number> = {};
  for (const node of nodes) placement[node ?? 'here'] = (placement[node ?? 'here'] ?? 0) + 1;
  return {
    bodies,
    steps,
    shards,
    placement,
    seconds,
    interactionsPerSecond: (n * n * (steps + 1)) / seconds,
    energyStart,
    energyEnd,
    relativeEnergyDrift: Math.abs(energyEnd - energyStart) / Math.abs(energyStart),
    bytesBetweenNodes,
  };
}
