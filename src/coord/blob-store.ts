import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError, PayloadTooLargeError, StorageError, shown } from '../errors.js';
import { checkScope, scopeKey, type Scope } from './scope.js';

export interface BlobInfo {
  readonly blobId: string;
  readonly size: number;
  readonly contentType: string;
  /** Hex SHA-256 of the content. */
  readonly sha256: string;
  readonly createdAt: string;
}

export interface BlobStoreOptions {
  /** Largest blob in bytes. Default 64 MiB. */
  maxBlobBytes?: number;
}

const ID_LIMIT = 512;
/** The largest blob by default (BlobStoreOptions.maxBlobBytes): 64 MiB. */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;
const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;.{0,200})?$/;

/**
 * Blobs per tenant and namespace, on the file system under
 * `<dir>/<tenant>/<namespace>/` (in memory when `dir` is null).
 *
 * A blob's file name is the SHA-256 of its id, so no id — `../x`, slashes,
 * NUL — can name a path outside its scope's directory. Content and metadata
 * are written to temporary files and renamed into place (metadata last),
 * so a crash mid-upload leaves the previous version or nothing, never a
 * torn blob.
 */
export class BlobStore {
  private readonly memory = new Map<string, { info: BlobInfo; data: Uint8Array }>();
  readonly maxBlobBytes: number;

  constructor(
    private readonly dir: string | null,
    options: BlobStoreOptions = {},
  ) {
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  }

  put(scope: Scope, blobId: string, data: Uint8Array | string, contentType = 'application/octet-stream'): BlobInfo {
    checkScope(scope);
    const bytes = checkBlobPut(blobId, data, contentType, this.maxBlobBytes);
    const info: BlobInfo = {
      blobId,
      size: bytes.byteLength,
      contentType,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      createdAt: new Date().toISOString(),
    };
    if (this.dir === null) {
      this.memory.set(memoryKey(scope, blobId), { info, data: Uint8Array.from(bytes) });
      return info;
    }
    const base = this.paths(scope, blobId, true);
    try {
      const suffix = `.tmp-${randomBytes(6).toString('hex')}`;
      writeFileSync(base.data + suffix, bytes);
      writeFileSync(base.meta + suffix, JSON.stringify(info));
      renameSync(base.data + suffix, base.data);
      renameSync(base.meta + suffix, base.meta);
    } catch (cause) {
      throw new StorageError(`cannot store blob ${shown(blobId)}: ${(cause as Error).message}`, { cause });
    }
    return info;
  }

  get(scope: Scope, blobId: string): { info: BlobInfo; data: Uint8Array } {
    checkBlobId(blobId);
    if (this.dir === null) {
      const blob = this.memory.get(memoryKey(scope, blobId));
      if (blob === undefined) throw new NotFoundError('blob', blobId);
      return { info: blob.info, data: Uint8Array.from(blob.data) };
    }
    const base = this.paths(scope, blobId, false);
    const info = this.readInfo(base.meta, blobId);
    const data = readFileSync(base.data);
    if (data.byteLength !== info.size) throw new StorageError(`blob ${shown(blobId)} is ${data.byteLength} bytes on disk, its metadata says ${info.size}`);
    return { info, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }

  head(scope: Scope, blobId: string): BlobInfo {
    checkBlobId(blobId);
    if (this.dir === null) {
      const blob = this.memory.get(memoryKey(scope, blobId));
      if (blob === undefined) throw new NotFoundError('blob', blobId);
      return blob.info;
    }
    return this.readInfo(this.paths(scope, blobId, false).meta, blobId);
  }

  /** True when a blob was removed. */
  delete(scope: Scope, blobId: string): boolean {
    checkBlobId(blobId);
    if (this.dir === null) return this.memory.delete(memoryKey(scope, blobId));
    const base = this.paths(scope, blobId, false);
    let existed = true;
    try {
      rmSync(base.meta);
    } catch {
      existed = false;
    }
    rmSync(base.data, { force: true });
    return existed;
  }

  /** Blobs of the scope whose id starts with `prefix`, by id. */
  list(scope: Scope, prefix = ''): BlobInfo[] {
    checkScope(scope);
    let infos: BlobInfo[];
    if (this.dir === null) {
      const start = `${scopeKey(scope)}\u0000`;
      infos = [...this.memory].filter(([key]) => key.startsWith(start)).map(([, b]) => b.info);
    } else {
      const folder = join(this.dir, scope.tenant, scope.namespace);
      let names: string[] = [];
      try {
        names = readdirSync(folder).filter((n) => n.endsWith('.json'));
      } catch {
        names = [];
      }
      infos = names.map((n) => JSON.parse(readFileSync(join(folder, n), 'utf8')) as BlobInfo);
    }
    return infos.filter((i) => i.blobId.startsWith(prefix)).sort((a, b) => (a.blobId < b.blobId ? -1 : a.blobId > b.blobId ? 1 : 0));
  }

  private paths(scope: Scope, blobId: string, create: boolean): { data: string; meta: string } {
    checkScope(scope);
    const folder = join(this.dir!, scope.tenant, scope.namespace);
    if (create) mkdirSync(folder, { recursive: true });
    const name = createHash('sha256').update(blobId).digest('hex');
    return { data: join(folder, `${name}.blob`), meta: join(folder, `${name}.json`) };
  }

  private readInfo(metaPath: string, blobId: string): BlobInfo {
    try {
      return JSON.parse(readFileSync(metaPath, 'utf8')) as BlobInfo;
    } catch {
      throw new NotFoundError('blob', blobId);
    }
  }
}

function memoryKey(scope: Scope, blobId: string): string {
  return `${scopeKey(scope)}\u0000${blobId}`;
}

/**
 * Checks a put's id, content type, data and size the same way for every
 * store (this one and Redis's), and returns the bytes to store.
 */
export function checkBlobPut(blobId: string, data: Uint8Array | string, contentType: string, maxBlobBytes: number): Uint8Array {
  checkBlobId(blobId);
  if (typeof contentType !== 'string' || !CONTENT_TYPE.test(contentType)) throw new InvalidArgumentError(`content type must look like type/subtype, got ${shown(contentType)}`);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('blob data must be bytes or a string');
  if (bytes.byteLength > maxBlobBytes) throw new PayloadTooLargeError(`blob ${shown(blobId)} is ${bytes.byteLength} bytes; the limit is ${maxBlobBytes}`);
  return bytes;
}

export function checkBlobId(blobId: string): void {
  if (typeof blobId !== 'string' || blobId.length === 0 || blobId.length > ID_LIMIT) throw new InvalidArgumentError(`a blob id must be 1–${ID_LIMIT} characters, got ${shown(blobId)}`);
}
