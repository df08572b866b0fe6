import { InvalidArgumentError, shown } from '../errors.js';

/**
 * A shard group's definition as a remote caller sent it: checked before
 * anything starts, because every field is stored with the group (and a
 * bigint or an object where a number or a string belongs would make it
 * unstorable after its shards already run).
 */
export function checkGroupSpec(spec: { application: unknown; shards: unknown; partition?: unknown; config?: unknown; maxInFlight?: unknown }): void {
  if (typeof spec.application !== 'string' || spec.application === '') throw new InvalidArgumentError(`application must be the id or name of a deployed application, got ${shown(spec.application)}`);
  if (typeof spec.shards !== 'number' || !Number.isSafeInteger(spec.shards) || spec.shards < 1) throw new InvalidArgumentError(`shards must be a positive integer, got ${shown(spec.shards)}`);
  if (spec.partition !== undefined && spec.partition !== 'hash' && spec.partition !== 'consistent-hash') throw new InvalidArgumentError(`partition must be "hash" or "consistent-hash", got ${shown(spec.partition)}`);
  if (spec.config !== undefined && typeof spec.config !== 'string') throw new InvalidArgumentError(`config must be a string (handed to every shard's init), got ${shown(spec.config)}`);
  if (spec.maxInFlight !== undefined && (typeof spec.maxInFlight !== 'number' || !Number.isSafeInteger(spec.maxInFlight) || spec.maxInFlight < 1)) {
    throw new InvalidArgumentError(`maxInFlight must be a positive integer, got ${shown(spec.maxInFlight)}`);
  }
}
