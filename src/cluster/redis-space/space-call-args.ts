import { InvalidArgumentError, QuotaExceededError, shown } from '../../errors.js';
import { locateInBatch, type AckTakeOptions, type BlockingOptions, type WriteOptions } from '../../space/operation-options.js';
import { optionalDuration } from '../../space/options.js';
import type { TupleLimits } from '../../tuple/limits.js';
import type { Tuple } from '../../tuple/types.js';
import { acceptTuple } from '../../tuple/validate-tuple.js';
import { matchRecord } from './match-record.js';
import type { AckArgs } from './space-script-runner.js';

/**
 * What the Redis space's calls send to its scripts, checked first with the
 * in-process space's rules (the same typed errors), and how a script's
 * quota refusal comes back as the in-process space's error.
 */

/** One tuple's (record, ttl) pair for the write scripts; a ttl of '' is none. */
export function writeArgs(tuple: unknown, ttlMs: number | undefined, limits: TupleLimits): [Buffer, string] {
  const ttl = optionalDuration('ttlMs', ttlMs);
  const { tuple: accepted } = acceptTuple(tuple, limits);
  return [matchRecord(accepted, ttl !== undefined), ttl === undefined ? '' : String(ttl)];
}

/** A batch's (record, ttl) pairs, every tuple checked; an invalid one throws, located in the batch. */
export function batchArgs(tuples: readonly Tuple[], options: WriteOptions | undefined, limits: TupleLimits): (Buffer | string)[] {
  if (!Array.isArray(tuples)) throw new InvalidArgumentError('a batch of tuples must be an array');
  const args: (Buffer | string)[] = [];
  tuples.forEach((t, i) => {
    try {
      const [record, ttl] = writeArgs(t, options?.ttlMs, limits);
      args.push(record, ttl);
    } catch (error) {
      throw locateInBatch(error, i);
    }
  });
  return args;
}

/** A crash-safe take's lease and holder, or undefined for a plain take. */
export function ackArgs(defaultLeaseMs: number, options: BlockingOptions | AckTakeOptions): AckArgs | undefined {
  const o = options as Partial<AckTakeOptions>;
  if (o === null || typeof o !== 'object' || o.ack === undefined || o.ack === (false as never)) return undefined;
  if (o.ack !== true) throw new InvalidArgumentError(`ack must be true or false, got ${String(o.ack)}`);
  const leaseMs = optionalDuration('leaseMs', o.leaseMs) ?? defaultLeaseMs;
  if (o.holder !== undefined && typeof o.holder !== 'string') throw new InvalidArgumentError('holder must be a string');
  return { leaseMs, holder: o.holder };
}

/** Throws a write script's quota refusal (`{'quota', name, limit, held, adding}`: nothing was written) as QuotaExceededError. */
export function refuseOnQuota(spaceName: string, reply: unknown): void {
  if (!Array.isArray(reply)) return;
  const [, name, limit, held, adding] = reply.map((part: Buffer | number) => part.toString());
  const detail = name === 'tuplesPerSpace' ? `it holds ${held} tuples` : `it holds ${held} bytes of tuples and the write adds ${adding}`;
  throw new QuotaExceededError(name, Number(limit), `space ${shown(spaceName)}`, `${detail} (counted across the cluster)`);
}
