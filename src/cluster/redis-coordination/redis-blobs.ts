import { createHash } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import type { BlobService } from '../../coord/blob-service.js';
import { checkBlobId, checkBlobPut, DEFAULT_MAX_BLOB_BYTES, type BlobInfo, type BlobStoreOptions } from '../../coord/blob-store.js';
import { checkScope, type Scope } from '../../coord/scope.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { LUA_NOW_MS, scopePrefix } from './scope-keys.js';

/*
 * Keys of a scope P = {plex:tenant/namespace}, all on its slot:
 *   P:blob:d:<id>   string: the bytes
 *   P:blob:i:<id>   hash { s: size, c: content type, h: SHA-256 hex, t: created (ms, Redis's clock) }
 *   P:blob:ids      sorted set of every id (score 0): prefix listing by ZRANGEBYLEX
 * Each script takes KEYS[1] = P:blob and builds the other names from it.
 */

// ARGV: id, bytes, size, content type, sha256. Bytes, metadata and index change together: a reader sees the old blob or the new one.
const PUT = `${LUA_NOW_MS}
local id = ARGV[1]
redis.call('SET', KEYS[1] .. ':d:' .. id, ARGV[2])
redis.call('DEL', KEYS[1] .. ':i:' .. id)
redis.call('HSET', KEYS[1] .. ':i:' .. id, 's', ARGV[3], 'c', ARGV[4], 'h', ARGV[5], 't', now)
redis.call('ZADD', KEYS[1] .. ':ids', 0, id)
return now
`;

// ARGV: id. Metadata then bytes, read at one point in Redis's order (empty: no such blob).
const GET = `
local info = redis.call('HMGET', KEYS[1] .. ':i:' .. ARGV[1], 's', 'c', 'h', 't')
if not info[1] then return {} end
info[5] = redis.call('GET', KEYS[1] .. ':d:' .. ARGV[1]) or ''
return info
`;

// ARGV: id. 1 when a blob was removed.
const DELETE = `
local removed = redis.call('DEL', KEYS[1] .. ':i:' .. ARGV[1])
redis.call('DEL', KEYS[1] .. ':d:' .. ARGV[1])
redis.call('ZREM', KEYS[1] .. ':ids', ARGV[1])
return removed
`;

// ARGV: min, max. Returns id, size, type, sha256, created quintets in id order (UTF-8 bytes).
const LIST = `
local out, offset = {}, 0
while true do
  local ids = redis.call('ZRANGEBYLEX', KEYS[1] .. ':ids', ARGV[1], ARGV[2], 'LIMIT', offset, 500)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local info = redis.call('HMGET', KEYS[1] .. ':i:' .. id, 's', 'c', 'h', 't')
    if info[1] then
      out[#out + 1] = id
      for i = 1, 4 do out[#out + 1] = info[i] end
    end
  end
  offset = offset + #ids
end
return out
`;

type Scripted = RedisClient & {
  plexBlobPut(base: string, id: string, bytes: Buffer, size: string, contentType: string, sha256: string): Promise<number>;
  plexBlobGetBuffer(base: string, id: string): Promise<Buffer[]>;
  plexBlobDelete(base: string, id: string): Promise<number>;
  plexBlobList(base: string, min: string | Buffer, max: string | Buffer): Promise<string[]>;
};

function scripted(client: RedisClient): Scripted {
  const c = client as Scripted;
  if (typeof c.plexBlobPut !== 'function') {
    client.defineCommand('plexBlobPut', { numberOfKeys: 1, lua: PUT });
    // ioredis also defines plexBlobGetBuffer, which returns the bytes as they are.
    client.defineCommand('plexBlobGet', { numberOfKeys: 1, lua: GET });
    client.defineCommand('plexBlobDelete', { numberOfKeys: 1, lua: DELETE });
    client.defineCommand('plexBlobList', { numberOfKeys: 1, lua: LIST });
  }
  return c;
}

/**
 * Blobs on Redis, reachable from every node of a cluster: the contract of
 * BlobStore (ids up to 512 characters, a content type, the size limit, a
 * SHA-256, prefix listing in id order), each operation one script on the
 * scope's slot. A blob is one Redis string, so it is bounded by
 * `maxBlobBytes` (default 64 MiB) and Redis's own 512 MB.
 */
export class RedisBlobs implements BlobService {
  private readonly client: Scripted;
  readonly maxBlobBytes: number;

  constructor(client: RedisClient, options: BlobStoreOptions = {}) {
    this.client = scripted(client);
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  }

  async put(scope: Scope, blobId: string, data: Uint8Array | string, contentType = 'application/octet-stream'): Promise<BlobInfo> {
    checkScope(scope);
    const bytes = checkBlobPut(blobId, data, contentType, this.maxBlobBytes);
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const sha256 = createHash('sha256').update(buffer).digest('hex');
    const created = await onBackend('blob put', () => this.client.plexBlobPut(base(scope), blobId, buffer, String(bytes.byteLength), contentType, sha256));
    return { blobId, size: bytes.byteLength, contentType, sha256, createdAt: new Date(Number(created)).toISOString() };
  }

  async get(scope: Scope, blobId: string): Promise<{ info: BlobInfo; data: Uint8Array }> {
    checkScope(scope);
    checkBlobId(blobId);
    const reply = await onBackend('blob get', () => this.client.plexBlobGetBuffer(base(scope), blobId));
    if (reply.length === 0) throw new NotFoundError('blob', blobId);
    const [size, contentType, sha256, created, data] = reply;
    return { info: infoOf(blobId, [size, contentType, sha256, created].map(String)), data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }

  async head(scope: Scope, blobId: string): Promise<BlobInfo> {
    checkScope(scope);
    checkBlobId(blobId);
    const info = await onBackend('blob head', () => this.client.hmget(`${base(scope)}:i:${blobId}`, 's', 'c', 'h', 't'));
    if (info[0] === null) throw new NotFoundError('blob', blobId);
    return infoOf(blobId, info as string[]);
  }

  async delete(scope: Scope, blobId: string): Promise<boolean> {
    checkScope(scope);
    checkBlobId(blobId);
    return (await onBackend('blob delete', () => this.client.plexBlobDelete(base(scope), blobId))) === 1;
  }

  async list(scope: Scope, prefix = ''): Promise<BlobInfo[]> {
    checkScope(scope);
    if (typeof prefix !== 'string') throw new InvalidArgumentError('a blob prefix must be a string');
    // Byte-wise range [prefix, prefix + 0xFF): 0xFF never occurs in UTF-8, so every id starting with prefix is inside.
    const min = prefix === '' ? '-' : `[${prefix}`;
    const max = prefix === '' ? '+' : Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]);
    const flat = await onBackend('blob list', () => this.client.plexBlobList(base(scope), min, max));
    const infos: BlobInfo[] = [];
    for (let i = 0; i < flat.length; i += 5) infos.push(infoOf(flat[i], flat.slice(i + 1, i + 5)));
    return infos;
  }
}

function base(scope: Scope): string {
  return `${scopePrefix(scope)}:blob`;
}

function infoOf(blobId: string, [size, contentType, sha256, created]: string[]): BlobInfo {
  return { blobId, size: Number(size), contentType, sha256, createdAt: new Date(Number(created)).toISOString() };
}
