import { join } from 'node:path';
import { localBlobs, type BlobService } from './blob-service.js';
import { BlobStore, type BlobStoreOptions } from './blob-store.js';
import { localChannels, type ChannelService } from './channel-service.js';
import { Channels } from './channels.js';
import type { RedisClient } from '../cluster/redis-client.js';
import { newIncarnation, nodeId, type NodeIdentity } from '../cluster/node-registry.js';
import { RedisBlobs } from '../cluster/redis-coordination/redis-blobs.js';
import { RedisChannels } from '../cluster/redis-coordination/redis-channels.js';
import { RedisProcessGroups } from '../cluster/redis-coordination/redis-groups.js';
import { RedisKv } from '../cluster/redis-coordination/redis-kv.js';
import { RedisLocks } from '../cluster/redis-coordination/redis-locks.js';
import { localKv, localLocks, type KvService, type LockService } from './coordination-services.js';
import { KvStore, type KvLimits } from './kv-store.js';
import { LockManager } from './lock-manager.js';
import { openNodeDatabase, type NodeDatabase } from './node-database.js';
import { localGroups, type GroupService } from './group-service.js';
import { ProcessGroups, type GroupDelivery } from './process-groups.js';

export interface CoordinationOptions {
  /** Where the node database (`node.sqlite`) and blobs (`blobs/`) live; null keeps everything in memory. Default null. */
  dataDir?: string | null;
  /** How group messages reach actors. */
  deliver: GroupDelivery;
  kv?: KvLimits;
  blobs?: BlobStoreOptions;
  /** The cluster's Redis: KV, locks, process groups, blobs and channels live there, shared by every node (docs/cluster.md). Default: the node's database, files and process. */
  cluster?: RedisClient;
  /** This node's id and incarnation, which its process-group members record in the cluster. Default: a random one. */
  node?: NodeIdentity;
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
  readonly groups: GroupService;
  readonly channels: ChannelService;
  readonly blobs: BlobService;
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
    if (options.cluster !== undefined) {
      // Members on Redis, seen from every node; a broadcast reaches another node's members through that node's channel.
      this.groups = new RedisProcessGroups(options.cluster, options.node ?? { id: nodeId(), incarnation: newIncarnation() }, options.deliver);
      this.blobs = new RedisBlobs(options.cluster, options.blobs);
    } else {
      this.groups = localGroups(new ProcessGroups(options.deliver));
      this.blobs = localBlobs(new BlobStore(dataDir === null ? null : join(dataDir, 'blobs'), options.blobs));
    }
    // Queues and topics on Redis are shared: a message sent on one node is received on another.
    this.channels = options.cluster !== undefined ? new RedisChannels(options.cluster, options.node) : localChannels(new Channels());
  }

  /** An actor exited: it leaves every group, and queue messages it held are redelivered. */
  actorExited(actorId: string): void {
    // On Redis a backend outage keeps the stale member until its node leaves the cluster; a message to it is dropped by the delivery.
    this.groups.leaveAll(actorId).catch(() => undefined);
    // On Redis an outage leaves the deliveries in flight: their visibility timeout redelivers them.
    this.channels.releaseConsumer(actorId).catch(() => undefined);
  }

  /** The cluster registry says node `nodeId` (that incarnation) is gone: its process-group members leave (idempotent). */
  nodeLeft(nodeId: string, incarnation: string): Promise<number> {
    return this.groups.nodeLeft(nodeId, incarnation);
  }

  /** The cluster accepted this node: members an earlier incarnation under the same id left behind leave. */
  joinedCluster(): Promise<number> {
    return this.groups.joinedCluster();
  }

  /** The cluster declared this node dead while it was alive, and it has registered again: its actors' group memberships are recorded again. */
  rejoinedCluster(): Promise<number> {
    return this.groups.rejoinedCluster();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channels.close();
    this.groups.close();
    this.locks.close();
    this.kv.close();
    this.db.close();
  }
}
