import type { Delivery } from './deliveries.js';
import type { AckTakeOptions, BlockingOptions, BulkOptions, SpaceStats, WriteOptions } from './tuple-space.js';
import type { SpaceTransaction } from './transaction.js';
import type { Template, Tuple } from '../tuple/types.js';
import type { WatchEvent, WatchOptions } from './watch.js';

/**
 * The contract of a tuple space (docs/tuple-space.md), whatever keeps it:
 * the in-process `TupleSpace` (in memory, optionally durable in SQLite) or
 * the cluster's `RedisTupleSpace`, shared by every node. The surfaces
 * (HTTP, gRPC, websocket, actors' host calls) only ever use this, so a
 * space moves between a node and the cluster by configuration alone
 * (`SpaceRegistry`).
 */
export interface Space {
  readonly name: string;
  /** Tuples that reached `maxDeliveries` crash-safe deliveries without an ack. */
  readonly deadLetters: Space;
  readonly isClosed: boolean;
  /** Where its tuples live: `memory`, `sqlite` or `redis`. */
  readonly storageKind: SpaceStorageKind;
  write(tuple: Tuple, options?: WriteOptions): Promise<void>;
  writeAll(tuples: readonly Tuple[], options?: WriteOptions): Promise<void>;
  read(template: Template, options?: BlockingOptions): Promise<Tuple | null>;
  take(template: Template, options?: BlockingOptions): Promise<Tuple | null>;
  take(template: Template, options: AckTakeOptions): Promise<Delivery | null>;
  take(template: Template, options?: BlockingOptions | AckTakeOptions): Promise<Tuple | Delivery | null>;
  tryRead(template: Template): Promise<Tuple | null>;
  tryTake(template: Template): Promise<Tuple | null>;
  tryTake(template: Template, options: AckTakeOptions): Promise<Delivery | null>;
  tryTake(template: Template, options?: AckTakeOptions): Promise<Tuple | Delivery | null>;
  readAll(template: Template, options?: BulkOptions): Promise<Tuple[]>;
  takeAll(template: Template, options?: BulkOptions): Promise<Tuple[]>;
  count(template: Template): Promise<number>;
  watch(template: Template, options?: WatchOptions): AsyncIterableIterator<WatchEvent>;
  /** Runs a synchronous callback as one transaction: all of its changes apply, or none. */
  atomically<R>(fn: (tx: SpaceTransaction) => R): Promise<R>;
  releaseHolder(holder: string): Promise<number>;
  /**
   * How many tuples crash-safe takes of `holder` hold now — on a shared
   * space, in every process (the same pipeline stage on several nodes shares
   * one holder). A pipeline stage has drained only when its input has no
   * match and this is 0: a tuple another node holds may still come back.
   */
  heldBy(holder: string): Promise<number>;
  /**
   * Settles a delivery that another node opened, by its `ref` (a shared
   * space's deliveries carry one): true when it was still open. Only shared
   * spaces have it.
   */
  settleDelivery?(ref: string, outcome: 'ack' | 'nack'): Promise<boolean>;
  /** Counts for metrics; a shared space answers from its backend (so: maybe a promise). */
  stats(): SpaceStats | Promise<SpaceStats>;
  close(): Promise<void>;
}

export type SpaceStorageKind = 'memory' | 'sqlite' | 'redis';
