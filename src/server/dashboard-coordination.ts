import type { Coordination } from '../coord/coordination.js';
import type { QueueStats } from '../coord/queue-channel.js';
import type { Scope } from './node-service.js';

/** Keys read to size a namespace's key-value store; past it the figures say `truncated`. */
export const KV_SIZING_LIMIT = 10_000;

/**
 * The Coordination page's figures for one scope (tenant / namespace, which
 * the caller has already been granted): its queues with their depth, in
 * flight and dead letters, its topics, its process groups and their
 * members, and how much it keeps in the key-value and blob stores.
 *
 * Locks are looked up by name (`lock`): the lock services keep no list of
 * a scope's locks (the Redis one would need a SCAN, which no path does).
 */
export async function coordinationFigures(coordination: Coordination, scope: Scope, lock?: string) {
  const [channels, groups, entries, blobs] = await Promise.all([
    coordination.channels.list(scope),
    coordination.groups.list(scope),
    coordination.kv.list(scope, '', KV_SIZING_LIMIT),
    coordination.blobs.list(scope),
  ]);
  return {
    tenant: scope.tenant,
    namespace: scope.namespace,
    channels: await Promise.all(
      channels.map(async ({ name, kind }) => {
        // A topic keeps no queue; a queue deleted between list and stats shows no figures rather than failing the page.
        const stats: QueueStats | null = kind === 'queue' ? await coordination.channels.stats(scope, name).catch(() => null) : null;
        return { name, kind, ready: stats?.ready ?? null, inFlight: stats?.inFlight ?? null, deadLetters: stats?.deadLetters ?? null, capacity: stats?.capacity ?? null, sent: stats?.sent ?? null, acked: stats?.acked ?? null };
      }),
    ),
    groups: await Promise.all(groups.map(async (name) => ({ name, members: await coordination.groups.members(scope, name) }))),
    kv: { keys: entries.length, bytes: entries.reduce((sum, e) => sum + Buffer.byteLength(e.key) + Buffer.byteLength(e.value), 0), truncated: entries.length >= KV_SIZING_LIMIT },
    blobs: { count: blobs.length, bytes: blobs.reduce((sum, b) => sum + b.size, 0) },
    lock: lock === undefined ? null : { name: lock, grant: (await coordination.locks.holderOf(scope, lock)) ?? null },
  };
}
