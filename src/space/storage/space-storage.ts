import type { Tuple } from '../../tuple/types.js';

/** One tuple as the storage keeps it. */
export interface StoredRecord {
  readonly seq: number;
  readonly tuple: Tuple;
  readonly hasBytes: boolean;
  /** Epoch ms; 0 = no lease. */
  readonly expiresAt: number;
  readonly deliveries: number;
  /** Taken by a crash-safe take that is not yet acked. */
  readonly inflight: boolean;
}

/**
 * What a durable space needs from its storage. Mutations are staged
 * synchronously, in the order the space applies them, and become durable
 * together at the next `flush()` (group commit): the space resolves the
 * operations that caused them only after that promise resolves.
 */
export interface SpaceStorage {
  /** True when `flush()` means the data survives a crash. */
  readonly durable: boolean;
  /** Every record of this space, in `seq` order. */
  load(): StoredRecord[];
  insert(record: StoredRecord): void;
  remove(seq: number): void;
  setInflight(seq: number, inflight: boolean, deliveries: number): void;
  /** Resolves once everything staged so far is durable; rejects with `StorageError`. */
  flush(): Promise<void>;
  /** The storage of a companion space (the dead-letter space) in the same store. */
  companion(suffix: string): SpaceStorage;
  /** Flushes, then releases the store (when this storage owns it). */
  close(): Promise<void>;
}
