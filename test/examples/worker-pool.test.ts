import { describe, expect, it } from 'vitest';
import { PlexClient } from '../../src/client/index.js';
import { hashPartitioner } from '../../src/shard/partitioner.js';
import { testReadme } from '../support/readme-commands.js';

// examples/seed/worker-pool/README.md, run as written against a real node (its run-pool.ts drives the
// 20-worker pool with the TS client), then every worker's reply checked against the key partition.
const suite = testReadme('worker-pool', { workers: 2 });

const KEYS = Array.from({ length: 10_000 }, (_, i) => ({ key: `key-${String(i).padStart(5, '0')}`, value: i }));
const partition = hashPartitioner(20);
const shardOfKey = (key: string) => partition.shardOf(key);

describe('the pool run-pool.ts left behind, asked with the TS client', () => {
  const keysOf = (shard: number) => KEYS.filter((k) => shardOfKey(k.key) === shard);

  it('parallel_map: one reply per worker, in shard order, with its partition’s total and key count', async () => {
    const client = await PlexClient.connect(suite.node.http.replace('http://', 'ws://') + '/ws');
    try {
      const mapped = await client.shardGroups.scatterGather('worker-pool-1', 'get_total_count', { action: 'get_total_count' });
      expect(mapped.satisfied).toBe(true);
      expect(mapped.value).toEqual(
        Array.from({ length: 20 }, (_, shard) => ({ total: keysOf(shard).reduce((sum, k) => sum + k.value, 0), worker_id: `shard-${shard}`, keys_processed: keysOf(shard).length })),
      );
      expect(mapped.shards.map((s) => (s as { status: string }).status)).toEqual(Array(20).fill('ok'));
    } finally {
      client.close();
    }
  });

  it('parallel_reduce (concat): every worker’s stats; a second parallel_update overwrites keys without adding any', async () => {
    const client = await PlexClient.connect(suite.node.http.replace('http://', 'ws://') + '/ws');
    try {
      // Waiting for every shard this time (consistency all): the first 100 keys get new values.
      const again = KEYS.slice(0, 100).map(({ key }) => [key, { action: 'set', key, value: 1 }] as const);
      const updated = (await client.shardGroups.bulkUpdate('worker-pool-1', again, { consistency: 'all' })) as { entries: number };
      expect(updated.entries).toBe(100);
      const reduced = await client.shardGroups.reduce('worker-pool-1', 'stats', { action: 'stats' }, { op: 'concat' });
      const rewritten = (shard: number) => KEYS.slice(0, 100).filter((k) => shardOfKey(k.key) === shard).length;
      expect(reduced.value).toEqual(
        Array.from({ length: 20 }, (_, shard) => ({
          worker_id: `shard-${shard}`,
          tasks_processed: keysOf(shard).length + rewritten(shard),
          // A duration on this machine: whole milliseconds, not a fixed number.
          avg_processing_time_ms: expect.any(Number),
          keys_in_state: keysOf(shard).length,
        })),
      );
      for (const stats of reduced.value as { avg_processing_time_ms: number }[]) expect(Number.isSafeInteger(stats.avg_processing_time_ms) && stats.avg_processing_time_ms >= 0).toBe(true);
      const total = await client.shardGroups.reduce('worker-pool-1', 'get_total_count', {}, { op: 'sum', path: 'total' });
      expect(total.value).toBe(49_995_000 - KEYS.slice(0, 100).reduce((sum, k) => sum + k.value - 1, 0));
    } finally {
      client.close();
    }
  });
});
