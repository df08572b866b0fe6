import type { BlockingOptions, BulkOptions, WriteOptions } from '../../../src/space/tuple-space.js';
import { TupleSpace } from '../../../src/space/tuple-space.js';
import type { Template, Tuple } from '../../../src/tuple/types.js';
import type { WatchEvent, WatchOptions } from '../../../src/space/watch.js';

/**
 * What the shared conformance suites need of a tuple space: the operations
 * every implementation has (in-process, Redis) with the same contract.
 */
export interface SpaceUnderTest {
  write(tuple: Tuple, options?: WriteOptions): Promise<void>;
  writeAll(tuples: readonly Tuple[], options?: WriteOptions): Promise<void>;
  read(template: Template, options?: BlockingOptions): Promise<Tuple | null>;
  take(template: Template, options?: BlockingOptions): Promise<Tuple | null>;
  tryRead(template: Template): Promise<Tuple | null>;
  tryTake(template: Template): Promise<Tuple | null>;
  readAll(template: Template, options?: BulkOptions): Promise<Tuple[]>;
  takeAll(template: Template, options?: BulkOptions): Promise<Tuple[]>;
  count(template: Template): Promise<number>;
  watch(template: Template, options?: WatchOptions): AsyncIterableIterator<WatchEvent>;
  close(): Promise<void>;
}

export interface SpaceCounters {
  /** Tuples the space holds. */
  readonly tuples: number;
  /** Blocked operations of this space object. */
  readonly waiters: number;
  /** Watches of this space object. */
  readonly watchers: number;
  /** Timers it holds. */
  readonly timers: number;
}

/**
 * One implementation under test. `stats` reads the counters as of the call
 * (the in-process space's `stats()` is synchronous and is read at once; the
 * Redis space asks Redis for its tuple count).
 */
export interface SpaceHarness {
  readonly label: string;
  /** A new, empty space, independent of every other one it made. */
  make(): Promise<SpaceUnderTest>;
  stats(space: SpaceUnderTest): Promise<SpaceCounters>;
  /**
   * Resolves once the space's watchers have every event of the operations
   * that completed before it (in-process: at once, events are synchronous;
   * Redis: they come through pub/sub).
   */
  settleWatchers(space: SpaceUnderTest): Promise<void>;
}

export const inProcessHarness: SpaceHarness = {
  label: 'in-process TupleSpace',
  make: async () => new TupleSpace(),
  stats: (space) => Promise.resolve((space as TupleSpace).stats()),
  settleWatchers: () => Promise.resolve(),
};
