import { performance } from 'node:perf_hooks';
import { AbortError, InvalidArgumentError, KernelFailedError } from '../errors.js';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { ShardGroup } from '../shard/shard-group.js';
import { instantiateKernel, kernelBuild, type NbodyExports } from './kernel-modules.js';
import { tierUpPause } from './matmul.js';
import { seededRandom } from './seeded-random.js';
import { SharedArena } from './shared-arena.js';

export interface NbodyOptions {
  readonly bodies: number;
  readonly steps: number;
  readonly workers: number;
  /** Time step (default 0.001) and Plummer softening length (default 0.01). */
  readonly dt?: number;
  readonly softening?: number;
  readonly relaxed?: boolean;
  /** Called after each step; `energy` is set every `energyEvery` steps (an O(n²) sum, so not every step by default). */
  readonly onProgress?: (done: number, total: number, energy?: number) => void;
  /** Compute the total energy every this many steps for `onProgress`. Default: never mid-run. */
  readonly energyEvery?: number;
  /** Stops between steps with PLEX_ERR_ABORTED. */
  readonly signal?: AbortSignal;
  /** Return the final (x, y) of this many bodies (spread over the system), for plots. Default 0. */
  readonly samplePositions?: number;
}

export interface NbodyResult {
  readonly bodies: number;
  readonly steps: number;
  readonly workers: number;
  readonly kernel: string;
  readonly seconds: number;
  /** Pair interactions per second, all workers together (bodies² per step). */
  readonly interactionsPerSecond: number;
  readonly energyStart: number;
  readonly energyEnd: number;
  /** |E_end − E_start| / |E_start|. */
  readonly relativeEnergyDrift: number;
  /** Final (x, y) of `samplePositions` bodies. */
  readonly positions?: [number, number][];
}

/**
 * A cold uniform sphere of equal masses (total mass 1, radius 1, G = 1)
 * evolved with leapfrog on `workers` shards: each shard owns a contiguous
 * range of bodies, positions live in shared memory (two buffers, read one,
 * write the other), and each step is one scatter — the gather is the
 * barrier.
 */
export async function runNbody(options: NbodyOptions): Promise<NbodyResult> {
  const { bodies, steps, workers } = options;
  if (!Number.isSafeInteger(bodies) || bodies < 4 || bodies > 1 << 20) throw new InvalidArgumentError(`bodies must be an integer in 4..1048576, got ${bodies}`);
  if (!Number.isSafeInteger(steps) || steps < 1) throw new InvalidArgumentError(`steps must be a positive integer, got ${steps}`);
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > 256) throw new InvalidArgumentError(`workers must be an integer in 1..256, got ${workers}`);
  const dt = options.dt ?? 0.001;
  const eps = options.softening ?? 0.01;
  if (!(dt > 0) || !(eps > 0)) throw new InvalidArgumentError('dt and softening must be positive');
  const eps2 = eps * eps;

  const n = Math.ceil(bodies / 4) * 4; // padded with massless bodies
  const build = kernelBuild('nbody', { relaxed: options.relaxed });
  const arena = new SharedArena();
  const plane = n * 4;
  const positions = [arena.allocate(3 * plane), arena.allocate(3 * plane)];
  const velocities = arena.allocate(3 * plane);
  const masses = arena.allocate(plane);
  placeBodies(arena, n, bodies, positions[0], masses);
  const local = instantiateKernel<NbodyExports>(build, arena.memory);
  const energyStart = local.nbody_energy(n, positions[0], velocities, masses, 0, n, eps2);

  const ranges = Array.from({ length: workers }, (_, w) => [Math.floor((n * w) / workers), Math.floor((n * (w + 1)) / workers)] as const);
  const runtime = new ActorRuntime({ workers });
  let seconds: number;
  let energyEnd: number;
  let sample: [number, number][] | undefined;
  try {
    await runtime.deploy('nbody', build.bytes, { watchdog: false, maxMemoryMb: 4096 });
    runtime.shareMemory('nbody', arena.memory);
    const group = await ShardGroup.create(runtime, { id: 'nbody', module: 'nbody', shards: workers, codec: 'bytes', memory: 'nbody', stateless: true });
    const step = async (from: number, to: number, dtKick: number, dtDrift: number) => {
      const payloads = ranges.map(([i0, i1]) => {
        const view = new DataView(new ArrayBuffer(40));
        [n, from, to, velocities, masses, i0, i1].forEach((v, k) => view.setUint32(k * 4, v, true));
        view.setFloat32(28, dtKick, true);
        view.setFloat32(32, dtDrift, true);
        view.setFloat32(36, eps2, true);
        return view;
      });
      const results = await group.scatter('step', payloads, { deadlineMs: 600_000 });
      const failed = results.find((r) => r.status !== 'ok');
      if (failed !== undefined) throw new KernelFailedError(`shard ${failed.shard} failed a step: ${failed.errorCode} ${failed.errorMessage}`);
    };
    // Warm up on a copy (see tierUpPause): a few steps into the spare buffer, velocities restored.
    const saved = arena.float32(velocities, 3 * n).slice();
    for (let r = 0; r < 3; r++) await step(positions[0], positions[1], 0, 0);
    await tierUpPause();
    arena.float32(velocities, 3 * n).set(saved);

    const energyOf = async (pos: number) => {
      const parts = await group.scatter(
        'energy',
        ranges.map(([i0, i1]) => {
          const view = new DataView(new ArrayBuffer(28));
          [n, pos, velocities, masses, i0, i1].forEach((v, k) => view.setUint32(k * 4, v, true));
          view.setFloat32(24, eps2, true);
          return view;
        }),
        { deadlineMs: 600_000 },
      );
      return parts.reduce((sum, r) => sum + new DataView((r.value as Uint8Array).buffer, (r.value as Uint8Array).byteOffset, 8).getFloat64(0, true), 0);
    };
    const t0 = performance.now();
    let current = 0;
    for (let s = 0; s < steps; s++) {
      if (options.signal?.aborted) throw new AbortError(options.signal.reason);
      await step(positions[current], positions[1 - current], s === 0 ? dt / 2 : dt, dt);
      current = 1 - current;
      // Velocities are half a step ahead of positions here: a progress energy is an estimate; the final one is exact.
      const report = options.energyEvery !== undefined && (s + 1) % options.energyEvery === 0 ? await energyOf(positions[current]) : undefined;
      options.onProgress?.(s + 1, steps, report);
    }
    // Close the leapfrog: the last half kick brings velocities to the same time as positions.
    await step(positions[current], positions[1 - current], dt / 2, 0);
    current = 1 - current;
    seconds = (performance.now() - t0) / 1000;
    energyEnd = await energyOf(positions[current]);
    if (options.samplePositions) {
      const xyz = arena.float32(positions[current], 3 * n);
      const every = Math.max(1, Math.floor(bodies / options.samplePositions));
      sample = [];
      for (let i = 0; i < bodies && sample.length < options.samplePositions; i += every) sample.push([xyz[i], xyz[n + i]]);
    }
    await group.delete();
  } finally {
    await runtime.close();
  }
  return {
    bodies,
    steps,
    workers,
    kernel: build.file,
    seconds,
    interactionsPerSecond: (n * n * (steps + 1)) / seconds,
    energyStart,
    energyEnd,
    relativeEnergyDrift: Math.abs(energyEnd - energyStart) / Math.abs(energyStart),
    positions: sample,
  };
}

/**
 * The initial conditions of every n-body run here (drivers, benchmark, the C
 * baseline reproduces them): `bodies` uniform in the unit sphere, at rest,
 * equal masses summing to 1, from a fixed seed; planes of `n` ≥ `bodies`
 * floats, the padding bodies massless at the origin.
 */
export function coldSphere(n: number, bodies = n): { positions: Float32Array; masses: Float32Array } {
  const random = seededRandom(7);
  const positions = new Float32Array(3 * n);
  const masses = new Float32Array(n);
  for (let i = 0; i < bodies; i++) {
    let x: number, y: number, z: number;
    do {
      x = random() * 2 - 1;
      y = random() * 2 - 1;
      z = random() * 2 - 1;
    } while (x * x + y * y + z * z > 1);
    positions[i] = x;
    positions[n + i] = y;
    positions[2 * n + i] = z;
    masses[i] = 1 / bodies;
  }
  return { positions, masses };
}

function placeBodies(arena: SharedArena, n: number, bodies: number, positions: number, masses: number): void {
  const start = coldSphere(n, bodies);
  arena.float32(positions, 3 * n).set(start.positions);
  arena.float32(masses, n).set(start.masses);
}
