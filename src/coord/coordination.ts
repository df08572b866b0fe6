import { join } from 'node:path';
import { BlobStore, type BlobStoreOptions } from './blob-store.js';
import { Channels } from './channels.js';
import type { RedisClient } from '../cluster/redis-client.js';
import { RedisKv } from '../cluster/redis-coordination/redis-kv.js';
import { RedisLocks } from '../cluster/redis-coordination/redis-locks.js';
import { localKv, localLocks, type KvService, type LockService } from './coordination-services.js';
import { KvStore, type KvLimits } from './kv-store.js';
import { LockManager } from './lock-manager.js';
import { openNodeDatabase, type NodeDatabase } from './node-database.js';
import { ProcessGroups, type GroupDelivery } from './process-groups.js';

export interface CoordinationOptions {
  /** Where the node database (`node.sqlite`) and blobs (`blobs/`) live; null keeps everything in memory. Default null. */
  dataDir?: string | null;
  /** How group messages reach actors. */
  deliver: GroupDelivery;
  kv?: KvLimits;
  blobs?: BlobStoreOptions;
  /** The cluster's Redis: KV and locks live there, shared by every node (docs/cluster.md). Default: the node database. */
  cluster?: RedisClient;
}

/**
 * The coordination services of a node, owned by the main thread: process
 * groups, channels, the KV store, locks and blobs, all namespaced by tenant
 * and namespace, sharing one SQLite file for what must survive a restart.
 */
export class Coordination {
  readonly db: NodeDatabase;
  readonly locks: LockService;
  readonly kv: KvService;
  readonly groups: ProcessGroups;
  readonly channels: Channels;
  readonly blobs: BlobStore;
  private closed = false;

  constructor(options: CoordinationOptions) {
    const dataDir = options.dataDir ?? null;
    this.db = openNodeDatabase(dataDir === null ? null : join(dataDir, 'node.sqlite'));
    if (options.cluster !== undefined) {
      this.locks = new RedisLocks(options.cluster);
      this.kv = new RedisKv(options.cluster, options.kv);
    } else {
      const locks = new LockManager(this.db);
      this.locks = localLocks(locks);
      this.kv = localKv(new KvStore(this.db, locks, options.kv));
    }
    this.groups = new ProcessGroups(options.deliver);
    this.channels = new Channels();
    this.blobs = new BlobStore(dataDir === null ? null : join(dataDir, 'blobs'), options.blobs);
  }

  /** An actor exited: it leaves every group, and queue messages it held are redelivered. */
  actorExited(actorId: string): void {
    this.groups.leaveAll(actorId);
    this.channels.releaseConsumer(actorId);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channels.close();
    this.locks.close();
    this.kv.close();
    this.db.close();
  }
}
