/**
 * The first article's orchestration of a 20-worker pool, with the TS
 * client: create the pool (a ShardGroup of `worker` shards, hash
 * partitioned), parallel_update 10,000 keys, parallel_map a query to every
 * worker, parallel_reduce their stats. It prints one summary line per step.
 *
 *   npx tsx examples/seed/worker-pool/run-pool.ts ws://localhost:8001/ws
 *
 * Outside this repository, import the client from 'plexspaces/client'.
 */
import { PlexClient } from '../../../src/client/index.js';

const POOL = 'worker-pool-1';
const WORKERS = 20;
const KEYS = 10_000;

interface TotalCount {
  total: number;
  worker_id: string;
  keys_processed: number;
}

interface WorkerStats {
  worker_id: string;
  tasks_processed: number;
  avg_processing_time_ms: number;
  keys_in_state: number;
}

const url = process.argv[2] ?? 'ws://localhost:8001/ws';
const client = await PlexClient.connect(url);
try {
  // create_worker_pool("worker-pool-1", "worker", 20, PartitionStrategyHash)
  console.log(JSON.stringify(await client.shardGroups.create(POOL, { application: 'worker', shards: WORKERS, partition: 'hash' })));

  // parallel_update: each key goes to its shard; one batch per shard, sent without waiting for the shards (eventual).
  const updates = Array.from({ length: KEYS }, (_, i) => {
    const key = `key-${String(i).padStart(5, '0')}`;
    return [key, { action: 'set', key, value: i }] as const;
  });
  const updated = (await client.shardGroups.bulkUpdate(POOL, updates, { consistency: 'eventual' })) as { entries: number; shards: unknown[] };
  console.log(JSON.stringify({ parallel_update: { entries: updated.entries, shards: updated.shards.length } }));

  // parallel_map: the same query to every worker, one reply each, in shard order.
  const mapped = await client.shardGroups.scatterGather(POOL, 'get_total_count', { action: 'get_total_count' }, { aggregate: 'concat' });
  const counts = mapped.value as TotalCount[];
  console.log(JSON.stringify({ parallel_map: { replies: counts.length, total: sum(counts.map((c) => c.total)), keys_processed: sum(counts.map((c) => c.keys_processed)) } }));

  // parallel_reduce: every worker's stats, concatenated.
  const reduced = await client.shardGroups.reduce(POOL, 'stats', { action: 'stats' }, { op: 'concat' });
  const stats = reduced.value as WorkerStats[];
  console.log(JSON.stringify({ parallel_reduce: { workers: stats.length, tasks_processed: sum(stats.map((s) => s.tasks_processed)), busiest: Math.max(...stats.map((s) => s.tasks_processed)), idlest: Math.min(...stats.map((s) => s.tasks_processed)) } }));
} finally {
  client.close();
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
