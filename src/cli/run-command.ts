import { availableParallelism } from 'node:os';
import { UsageError, shown } from '../errors.js';
import { JOVIAN_PUBLISHED_1000, runJovian } from '../kernels/jovian.js';
import { runMatmul, type MatmulMode } from '../kernels/matmul.js';
import { runNbody } from '../kernels/nbody.js';
import { parseCommandArgs } from './parse.js';
import { ProgressBar } from './progress.js';

const HELP = `usage: plexspaces run <matmul|nbody> [options]

  matmul   C = A·B, float32, n×n, tiles over worker actors on one shared memory
    --n N              matrix size (default 2048)
    --workers K        worker threads (default: this machine's cores)
    --mode M           shards (ShardGroup scatter per round) | linda (tile tuples
                       taken by worker actors) | both (default both)
    --tile-rows R      rows of C per tile (default n / 4K)
    --no-relaxed       plain SIMD128 kernel even where relaxed SIMD (FMA) works
    --no-scaling       skip the 1-worker run the speedup is measured against
    --cluster URL      instead: over the nodes of the cluster on this Redis (repeat for
                       Redis Cluster seeds): a shard group of the bytes-in kernel, one
                       shard per worker of each node, B and the tiles as message bytes;
                       with --mode linda the tiles are tuples in the cluster's space that
                       the workers take (default there: shards; both runs the two)
                       (needs the cluster secret: --config FILE or PLEXSPACES_CLUSTER_SECRET)
    --shards K         with --cluster: shards (default: the nodes' workers, summed)
    --config FILE      with --cluster: the nodes' TOML settings (its [cluster] secret)

  nbody    direct-sum gravity, float32, leapfrog, bodies split over shards
    --bodies N         (default 16384)
    --steps S          (default 20)
    --workers K        (default: this machine's cores)
    --dt, --softening  time step (0.001) and softening length (0.01)
    --jovian           instead: the Benchmarks Game 5-body problem in float64,
                       printing its two energies (--steps default 1000)
    --no-scaling       skip the 1-worker run the speedup is measured against
    --cluster URL, --shards K, --config FILE
                       instead: over the nodes of a cluster, as for matmul: every shard
                       owns a range of bodies and gets all positions each step

  --json               print one JSON document on stdout (progress stays on stderr)
  --quiet              no progress output
`;

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer, got ${shown(text)}`);
  return value;
}

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`--${name} must be a positive number, got ${shown(text)}`);
  return value;
}

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      n: { type: 'string' },
      bodies: { type: 'string' },
      steps: { type: 'string' },
      workers: { type: 'string' },
      mode: { type: 'string' },
      cluster: { type: 'string', multiple: true },
      shards: { type: 'string' },
      config: { type: 'string' },
      'tile-rows': { type: 'string' },
      dt: { type: 'string' },
      softening: { type: 'string' },
      jovian: { type: 'boolean' },
      'no-relaxed': { type: 'boolean' },
      'no-scaling': { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [workload, ...extra] = positionals;
  if (workload === undefined) throw new UsageError(`run needs a workload\n\n${HELP}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const workers = positiveInt('workers', values.workers, availableParallelism());
  const showProgress = !values.quiet;
  const print = (text: string) => {
    if (!values.json) process.stdout.write(text);
  };

  if (workload === 'matmul') {
    const n = positiveInt('n', values.n, 2048);
    const modeOption = values.mode ?? 'both';
    if (!['shards', 'linda', 'both'].includes(modeOption)) throw new UsageError(`--mode must be shards, linda or both, got ${shown(modeOption)}`);
    const modes: MatmulMode[] = modeOption === 'both' ? ['shards', 'linda'] : [modeOption as MatmulMode];
    const tileRows = values['tile-rows'] === undefined ? undefined : positiveInt('tile-rows', values['tile-rows'], 0);
    if (values.cluster !== undefined) {
      const shards = values.shards === undefined ? undefined : positiveInt('shards', values.shards, 1);
      // Loaded only here: it builds a whole node (Redis, server, cluster links).
      const { runClusterMatmul } = await import('./run-on-cluster.js');
      // Across nodes the default is the shard-group driver; --mode both runs the two, one after the other.
      const clusterModes: MatmulMode[] = values.mode === undefined ? ['shards'] : modes;
      const runs = [];
      for (const mode of clusterModes) {
        const result = await runClusterMatmul({ redis: values.cluster, config: values.config, n, shards, tileRows, mode, progress: showProgress });
        runs.push({ mode, ...result });
        print(
          `matmul n=${n} mode=${mode} over ${result.shards} shards (${Object.entries(result.placement).map(([node, count]) => `${count} on ${node}`).join(', ')}): ` +
            `${result.seconds.toFixed(3)} s, ${result.gflops.toFixed(1)} GFLOP/s, ${(result.bytesBetweenNodes / 2 ** 20).toFixed(1)} MiB between nodes, ` +
            `max rel. error ${result.maxRelError.toExponential(1)} over ${result.checkedEntries} entries` +
            ('tilesPerShard' in result ? `; tiles taken per worker ${(result.tilesPerShard as number[]).join('/')}` : '') +
            '\n',
        );
      }
      if (values.json) process.stdout.write(`${JSON.stringify({ workload: 'matmul', cluster: true, runs }, null, 2)}\n`);
      return runs.every((r) => r.maxRelError < 1e-3) ? 0 : 1;
    }
    if (values.shards !== undefined || values.config !== undefined) throw new UsageError('--shards and --config go with --cluster');
    const runs = [];
    for (const mode of modes) {
      const counts = values['no-scaling'] || workers === 1 ? [workers] : [1, workers];
      for (const k of counts) {
        const bar = new ProgressBar(`matmul ${n} ${mode} ×${k}`, showProgress);
        const result = await runMatmul({ n, workers: k, mode, tileRows, relaxed: !values['no-relaxed'], onProgress: (d, t) => bar.update(d, t) });
        runs.push(result);
        print(
          `matmul n=${n} mode=${mode} workers=${k} kernel=${result.kernel}: ${result.seconds.toFixed(3)} s, ${result.gflops.toFixed(1)} GFLOP/s, ` +
            `single thread ${result.singleThreadSeconds?.toFixed(3)} s, coordination overhead ${((result.coordinationOverhead ?? 0) * 100).toFixed(1)}%, ` +
            `max rel. error ${result.maxRelError.toExponential(1)} over ${result.checkedEntries} entries\n`,
        );
      }
      const [one, many] = runs.slice(-2);
      if (many !== undefined && one.workers === 1 && many.workers === workers) {
        print(`  speedup ${workers} workers vs 1: ${(one.seconds / many.seconds).toFixed(2)}× (parallel efficiency ${((one.seconds / many.seconds / workers) * 100).toFixed(0)}%)\n`);
      }
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ workload: 'matmul', runs }, null, 2)}\n`);
    return runs.every((r) => r.maxRelError < 1e-3) ? 0 : 1;
  }

  if (workload === 'nbody') {
    if (values.jovian) {
      const steps = values.steps === undefined ? 1000 : Number(values.steps);
      if (!Number.isSafeInteger(steps) || steps < 0) throw new UsageError(`--steps must be a non-negative integer, got ${shown(values.steps)}`);
      const result = runJovian(steps);
      const matches = steps === 1000 ? result.before === JOVIAN_PUBLISHED_1000.before && result.after === JOVIAN_PUBLISHED_1000.after : undefined;
      if (values.json) process.stdout.write(`${JSON.stringify({ workload: 'nbody-jovian', ...result, matchesPublished: matches }, null, 2)}\n`);
      else process.stdout.write(`${result.before}\n${result.after}\n`);
      return matches === false ? 1 : 0;
    }
    const bodies = positiveInt('bodies', values.bodies, 16384);
    const steps = positiveInt('steps', values.steps, 20);
    const dt = positiveNumber('dt', values.dt, 0.001);
    const softening = positiveNumber('softening', values.softening, 0.01);
    if (values.cluster !== undefined) {
      const shards = values.shards === undefined ? undefined : positiveInt('shards', values.shards, 1);
      // Loaded only here: it builds a whole node (Redis, server, cluster links).
      const { runClusterNbody } = await import('./run-on-cluster.js');
      const result = await runClusterNbody({ redis: values.cluster, config: values.config, shards, bodies, steps, dt, softening, progress: showProgress });
      print(
        `nbody bodies=${bodies} steps=${steps} over ${result.shards} shards (${Object.entries(result.placement).map(([node, count]) => `${count} on ${node}`).join(', ')}): ` +
          `${result.seconds.toFixed(3)} s, ${(result.interactionsPerSecond / 1e9).toFixed(2)} G interactions/s, ${(result.bytesBetweenNodes / 2 ** 20).toFixed(1)} MiB between nodes, ` +
          `energy ${result.energyStart.toFixed(9)} → ${result.energyEnd.toFixed(9)}, relative drift ${result.relativeEnergyDrift.toExponential(2)}\n`,
      );
      if (values.json) process.stdout.write(`${JSON.stringify({ workload: 'nbody', cluster: true, runs: [result] }, null, 2)}\n`);
      return 0;
    }
    if (values.shards !== undefined || values.config !== undefined) throw new UsageError('--shards and --config go with --cluster');
    const counts = values['no-scaling'] || workers === 1 ? [workers] : [1, workers];
    const runs = [];
    for (const k of counts) {
      const bar = new ProgressBar(`nbody ${bodies} ×${k}`, showProgress);
      const result = await runNbody({ bodies, steps, workers: k, dt, softening, onProgress: (d, t) => bar.update(d, t) });
      runs.push(result);
      print(
        `nbody bodies=${bodies} steps=${steps} workers=${k}: ${result.seconds.toFixed(3)} s, ${(result.interactionsPerSecond / 1e9).toFixed(2)} G interactions/s ` +
          `(${(result.interactionsPerSecond / 1e9 / k).toFixed(2)} per worker), energy ${result.energyStart.toFixed(9)} → ${result.energyEnd.toFixed(9)}, ` +
          `relative drift ${result.relativeEnergyDrift.toExponential(2)}\n`,
      );
    }
    if (runs.length === 2) print(`  speedup ${workers} workers vs 1: ${(runs[0].seconds / runs[1].seconds).toFixed(2)}× (parallel efficiency ${((runs[0].seconds / runs[1].seconds / workers) * 100).toFixed(0)}%)\n`);
    if (values.json) process.stdout.write(`${JSON.stringify({ workload: 'nbody', runs }, null, 2)}\n`);
    return 0;
  }
  throw new UsageError(`unknown workload "${workload}" (matmul, nbody)`);
}
