import type { ClusterNodeView } from '../cluster/node-registry.js';
import { UsageError } from '../errors.js';
import { matmulLindaOverShards } from '../kernels/matmul-linda-over-shards.js';
import { matmulOverShards, SGEMM_TILES_MODULE, sgemmTilesWasm, type MatmulOverShardsResult } from '../kernels/matmul-over-shards.js';
import { NBODY_SLICES_MODULE, nbodyOverShards, type NbodyOverShardsResult } from '../kernels/nbody-over-shards.js';
import { Logger } from '../node/logger.js';
import { loadNodeConfig } from '../node/node-config.js';
import { startNode } from '../node/start-node.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { OPEN } from '../server/auth.js';
import type { ShardGroup } from '../shard/shard-group.js';
import type { Space } from '../space/space.js';
import { ProgressBar } from './progress.js';

/** An actor's memory is 64 MiB unless quotas say otherwise: B and its message copy must fit, with a tile. */
const MAX_CLUSTER_N = 2048;

export interface ClusterJobOptions {
  readonly redis: string[];
  readonly config?: string;
  /** Shards of the job's group (default: the nodes' workers, summed). */
  readonly shards?: number;
  readonly progress: boolean;
}

interface ClusterJob {
  readonly group: ShardGroup;
  /** The cluster's default space of the job's scope (on Redis, shared by every node). */
  readonly space: Space;
  /** This process's node id (bytes sent to shards elsewhere cross the network). */
  readonly self: string;
  /** The nodes that run the shards. */
  readonly nodes: readonly ClusterNodeView[];
}

/**
 * A compute job over the nodes of a cluster (`plexspaces run … --cluster`):
 * this process joins the cluster as a node for the length of the job —
 * marked draining, so it drives and computes nothing itself — deploys the
 * job's kernel (a bytes-in core module) as a cluster application, creates a
 * shard group of it spread over the nodes (one shard per worker thread of
 * each), runs `job`, and leaves nothing behind: group, application, node.
 */
async function onCluster<T>(options: ClusterJobOptions, module: string, wasm: Uint8Array, job: (context: ClusterJob) => Promise<T>): Promise<T> {
  const config = loadNodeConfig({ config: options.config, cluster: options.redis, memory: true, httpPort: '0', grpcPort: '0', workers: '1', nodeId: `run-${module}-${process.pid}` });
  if (config.cluster === null) throw new UsageError('run --cluster needs a Redis URL');
  if (config.cluster.secret === undefined) throw new UsageError('run --cluster needs the cluster secret of the nodes ([cluster] secret in --config FILE, or PLEXSPACES_CLUSTER_SECRET)');
  const started = await startNode({ ...config, logLevel: 'warn' }, new Logger('warn', { component: 'run' }));
  const applicationId = `run-${module}-${process.pid}`;
  const scope = started.server.service.scope(OPEN, 'default', 'default');
  try {
    const registry = started.cluster!.registry;
    // The driver takes no shards: placement (and every other node's) skips a draining node.
    await registry.drain();
    const nodes = (await registry.refresh()).filter((node) => node.id !== registry.self.id && node.draining !== true);
    if (nodes.length === 0) throw new UsageError(`no node of the cluster on ${config.cluster.redis.join(', ')} can take shards (start some with plexspaces start --cluster)`);
    const shards = options.shards ?? nodes.reduce((sum, node) => sum + node.workers, 0);
    const app = await started.server.service.deploy(scope, applicationId, module, '1.0.0', wasm, { durable: false });
    const group = await started.node.shardGroups.create({ id: applicationId, actorPrefix: 'default/default/', module: app.module, shards, codec: 'bytes', stateless: true });
    try {
      return await job({ group, space: started.server.service.space(scope, 'default'), self: registry.self.id, nodes });
    } finally {
      await started.node.shardGroups.delete(group.id).catch(() => undefined);
    }
  } finally {
    await started.server.service.undeploy(scope, applicationId).catch(() => undefined);
    await started.stop();
  }
}

/**
 * `run matmul --cluster`: C = A·B over the cluster's nodes. `shards` (the default): B once per shard and
 * row blocks as message bytes (src/kernels/matmul-over-shards.ts). `linda`: the tiles are tuples in the
 * cluster's shared space, which the workers on every node take as they finish the last
 * (src/kernels/matmul-linda-over-shards.ts).
 */
export function runClusterMatmul(options: ClusterJobOptions & { n: number; tileRows?: number; mode?: 'shards' | 'linda' }): Promise<MatmulOverShardsResult & { tilesPerShard?: number[] }> {
  if (options.n > MAX_CLUSTER_N) throw new UsageError(`--n across a cluster is at most ${MAX_CLUSTER_N} (a shard keeps B, ${MAX_CLUSTER_N}² floats, in its 64 MiB)`);
  return onCluster(options, SGEMM_TILES_MODULE, sgemmTilesWasm(), async ({ group, space, self, nodes }) => {
    const bar = new ProgressBar(`matmul ${options.n} (${options.mode ?? 'shards'}) over ${group.shardCount} shards on ${nodes.length} nodes`, options.progress);
    if (options.mode === 'linda') {
      // A job number of this process's own, so that its tuples never meet another run's in the shared space.
      const job = (process.pid * 1000 + Math.floor(Math.random() * 1000)) % 2 ** 31;
      for (let i = 0; i < 3; i++) await matmulLindaOverShards(group, space, { n: 64, job: job + 1 + i }); // warm-up, as below
      return matmulLindaOverShards(group, space, { n: options.n, tileRows: options.tileRows, job, self, onProgress: (done, total) => bar.update(done, total) });
    }
    // Warm-up: V8 optimizes a kernel that has been hot for a while, and a call already running never switches.
    for (let i = 0; i < 20; i++) await matmulOverShards(group, { n: 64 });
    return matmulOverShards(group, { n: options.n, tileRows: options.tileRows, self, onProgress: (done, total) => bar.update(done, total) });
  });
}

/** `run nbody --cluster`: the cold sphere over the cluster's nodes, all positions to every shard each step (src/kernels/nbody-over-shards.ts). */
export function runClusterNbody(options: ClusterJobOptions & { bodies: number; steps: number; dt: number; softening: number }): Promise<NbodyOverShardsResult> {
  return onCluster(options, NBODY_SLICES_MODULE, builtActorWasm(NBODY_SLICES_MODULE), async ({ group, self, nodes }) => {
    await nbodyOverShards(group, { bodies: 512, steps: 30 }); // warm-up, as for matmul
    const bar = new ProgressBar(`nbody ${options.bodies} over ${group.shardCount} shards on ${nodes.length} nodes`, options.progress);
    return nbodyOverShards(group, { bodies: options.bodies, steps: options.steps, dt: options.dt, softening: options.softening, self, onProgress: (done, total) => bar.update(done, total) });
  });
}
