import type { BlobInfo, BlobStore } from './blob-store.js';
import type { Scope } from './scope.js';

/**
 * The blob store as every caller uses it (actors' blob-* host calls, the
 * HTTP blob routes): on the node's file system (`localBlobs`) or shared by
 * the nodes of a cluster (Redis, src/cluster/redis-coordination/redis-blobs.ts).
 * Both check input the same way (`checkBlobPut`) and fail with the same
 * typed errors: PLEX_ERR_INVALID_ARGUMENT, PLEX_ERR_PAYLOAD_TOO_LARGE,
 * PLEX_ERR_NOT_FOUND.
 */
export interface BlobService {
  /** The largest blob in bytes. */
  readonly maxBlobBytes: number;
  put(scope: Scope, blobId: string, data: Uint8Array | string, contentType?: string): Promise<BlobInfo>;
  get(scope: Scope, blobId: string): Promise<{ info: BlobInfo; data: Uint8Array }>;
  head(scope: Scope, blobId: string): Promise<BlobInfo>;
  /** True when a blob was removed. */
  delete(scope: Scope, blobId: string): Promise<boolean>;
  /** Blobs of the scope whose id starts with `prefix`, ordered by id. */
  list(scope: Scope, prefix?: string): Promise<BlobInfo[]>;
}

/** The node's own store behind the async interface (an `async` arrow turns a throw into the rejection). */
export function localBlobs(store: BlobStore): BlobService {
  return {
    maxBlobBytes: store.maxBlobBytes,
    put: async (scope, blobId, data, contentType) => store.put(scope, blobId, data, contentType),
    get: async (scope, blobId) => store.get(scope, blobId),
    head: async (scope, blobId) => store.head(scope, blobId),
    delete: async (scope, blobId) => store.delete(scope, blobId),
    list: async (scope, prefix) => store.list(scope, prefix),
  };
}
