import { UsageError } from '../errors.js';
import { matmulOverShards, SGEMM_TILES_MODULE, type MatmulOverShardsResult } from '../kernels/matmul-over-shards.js';
import { Logger } from '../node/logger.js';
import { loadNodeConfig } from '../node/node-config.js';
import { startNode } from '../node/start-node.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { OPEN } from '../server/auth.js';
import { ProgressBar } from './progress.js';

/** An actor's memory is 64 MiB unless quotas say otherwise: B and its message copy must fit, with a tile. */
const MAX_CLUSTER_N = 2048;

export interface ClusterMatmulOptions {
  readonly redis: string[];
  readonly config?: string;
  readonly n: number;
  readonly shards?: number;
  readonly tileRows?: number;
  readonly progress: boolean;
}

/**
 * `plexspaces run matmul --cluster URL`: this process joins the cluster as
 * a node for the length of the job — marked draining, so it drives and
 * computes nothing itself — deploys the bytes-in SGEMM kernel as a cluster
 * application, and multiplies over a shard group spread over the cluster's
 * nodes (one shard per worker thread of each): B goes to every shard once,
 * row blocks of A out and of C back, as message bytes over the node links.
 * The product is checked against float64 as on one node.
 */
export async function runClusterMatmul(options: ClusterMatmulOptions): Promise<MatmulOverShardsResult> {
  if (options.n > MAX_CLUSTER_N) throw new UsageError(`--n across a cluster is at most ${MAX_CLUSTER_N} (a shard keeps B, ${MAX_CLUSTER_N}² floats, in its 64 MiB)`);
  const config = loadNodeConfig({ config: options.config, cluster: options.redis, memory: true, httpPort: '0', grpcPort: '0', workers: '1', nodeId: `run-matmul-${process.pid}` });
  if (config.cluster === null) throw new UsageError('run --cluster needs a Redis URL');
  if (config.cluster.secret === undefined) throw new UsageError('run --cluster needs the cluster secret of the nodes ([cluster] secret in --config FILE, or PLEXSPACES_CLUSTER_SECRET)');
  const started = await startNode({ ...config, logLevel: 'warn' }, new Logger('warn', { component: 'run' }));
  const applicationId = `run-matmul-${process.pid}`;
  const scope = started.server.service.scope(OPEN, 'default', 'default');
  try {
    const registry = started.cluster!.registry;
    // The driver takes no shards: placement (and every other node's) skips a draining node.
    await registry.drain();
    const nodes = (await registry.refresh()).filter((node) => node.id !== registry.self.id && node.draining !== true);
    if (nodes.length === 0) throw new UsageError(`no node of the cluster on ${config.cluster.redis.join(', ')} can take shards (start some with plexspaces start --cluster)`);
    const shards = options.shards ?? nodes.reduce((sum, node) => sum + node.workers, 0);
    const app = await started.server.service.deploy(scope, applicationId, SGEMM_TILES_MODULE, '1.0.0', builtActorWasm('sgemm-tiles'), { durable: false });
    const group = await started.node.shardGroups.create({ id: applicationId, actorPrefix: 'default/default/', module: app.module, shards, codec: 'bytes', stateless: true });
    try {
      // Warm-up: V8 optimizes a kernel that has been hot for a while, and a call already running never switches.
      for (let i = 0; i < 20; i++) await matmulOverShards(group, { n: 64 });
      const bar = new ProgressBar(`matmul ${options.n} over ${shards} shards on ${nodes.length} nodes`, options.progress);
      return await matmulOverShards(group, { n: options.n, tileRows: options.tileRows, self: registry.self.id, onProgress: (done, total) => bar.update(done, total) });
    } finally {
      await started.node.shardGroups.delete(group.id).catch(() => undefined);
    }
  } finally {
    await started.server.service.undeploy(scope, applicationId).catch(() => undefined);
    await started.stop();
  }
}
