import { scopeKey, type Scope } from '../../coord/scope.js';

/**
 * The Redis key prefix of a coordination scope. Every key of a scope — its
 * KV entries and index, its locks, their fences and queues — shares one
 * hash tag, so a script that touches several of them (a fenced KV put reads
 * a lock) runs on one Redis Cluster slot; different scopes spread over the
 * cluster.
 */
export function scopePrefix(scope: Scope): string {
  return `{plex:${scopeKey(scope)}}`;
}

/** Redis's clock in the scripts, in ms: nodes' clocks may disagree; TTLs and leases are measured by one clock. */
export const LUA_NOW_MS = `local __t = redis.call('TIME'); local now = tonumber(__t[1]) * 1000 + math.floor(tonumber(__t[2]) / 1000)`;

/**
 * The Redis key prefix of one actor's durable state (journal, effects,
 * checkpoint, reminders): one hash tag per actor, so the scripts that append
 * and check, truncate or claim run on one Redis Cluster slot, and actors
 * spread over the cluster. `%`, `{` and `}` in the id are escaped so the tag
 * ends exactly at its own `}`.
 */
export function actorPrefix(actorId: string): string {
  return `{plex:actor:${actorId.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}}`;
}
