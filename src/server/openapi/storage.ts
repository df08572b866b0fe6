/** The scope's key-value store and blob store: the ones its actors reach with kv-* and blob-*. */
import { errors, jsonBody, jsonReply, object, pathParam, ref, SCOPED, type Doc } from './common.js';

const scope = [pathParam('tenant'), pathParam('namespace')];
const key: Doc = { type: 'string', minLength: 1, description: 'Keys travel in the body: they may contain `/`' };
const blobId: Doc = {
  name: 'blobId',
  in: 'path',
  required: true,
  description: 'The blob id; it may contain `/` (the rest of the path, percent-decoded)',
  schema: { type: 'string', minLength: 1 },
};
const blobs = '/api/v1/blobs/{tenant}/{namespace}';

function kv(op: string, summary: string, body: Doc, status: 200 | 201, reply: Doc): Doc {
  return {
    post: { tags: ['key-value'], operationId: `kv_${op}`, summary, parameters: scope, requestBody: jsonBody(body), responses: { [status]: jsonReply('Done', reply), ...errors(...SCOPED, 413, 415) } },
  };
}

export const storageSchemas: Record<string, Doc> = {
  KvEntry: object({ key: { type: 'string' }, value: { type: 'string' }, expiresAt: { type: 'number', description: 'Epoch ms; absent without a TTL' } }, ['key', 'value']),
  BlobInfo: object(
    {
      blobId: { type: 'string' },
      size: { type: 'integer', minimum: 0 },
      contentType: { type: 'string' },
      sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      createdAt: { type: 'string', format: 'date-time' },
    },
    ['blobId', 'size', 'contentType', 'sha256', 'createdAt'],
  ),
};

export const storagePaths: Record<string, Doc> = {
  '/api/v1/kv/{tenant}/{namespace}/get': kv('get', 'Get a key', object({ key }, ['key']), 200, object({ entry: { anyOf: [ref('KvEntry'), { type: 'null' }] } }, ['entry'])),
  '/api/v1/kv/{tenant}/{namespace}/put': kv('put', 'Put a key (text value)', object({ key, value: { type: 'string' }, ttlMs: { type: 'number', minimum: 1 } }, ['key', 'value']), 201, object({ put: { const: 1 } }, ['put'])),
  '/api/v1/kv/{tenant}/{namespace}/delete': kv('delete', 'Delete a key', object({ key }, ['key']), 200, object({ deleted: { type: 'boolean' } }, ['deleted'])),
  '/api/v1/kv/{tenant}/{namespace}/list': kv('list', 'List keys by prefix', object({ prefix: { type: 'string' }, limit: { type: 'integer', minimum: 1 } }), 200, object({ entries: { type: 'array', items: ref('KvEntry') } }, ['entries'])),
  [blobs]: {
    get: {
      tags: ['blobs'],
      operationId: 'blob_list',
      summary: 'List blobs by prefix',
      parameters: [...scope, { name: 'prefix', in: 'query', required: false, schema: { type: 'string' } }],
      responses: { 200: jsonReply('The blobs', object({ blobs: { type: 'array', items: ref('BlobInfo') } }, ['blobs'])), ...errors(...SCOPED) },
    },
  },
  [`${blobs}/{blobId}`]: {
    put: {
      tags: ['blobs'],
      operationId: 'blob_put',
      summary: 'Store a blob (raw body; its content type is kept)',
      parameters: [...scope, blobId],
      requestBody: { required: true, content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
      responses: { 201: jsonReply('Stored', ref('BlobInfo')), ...errors(...SCOPED, 413) },
    },
    get: {
      tags: ['blobs'],
      operationId: 'blob_get',
      summary: 'Read a blob, with the content type it was stored with',
      parameters: [...scope, blobId],
      responses: { 200: { description: 'The bytes', content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }, ...errors(...SCOPED, 404) },
    },
    delete: {
      tags: ['blobs'],
      operationId: 'blob_delete',
      summary: 'Delete a blob',
      parameters: [...scope, blobId],
      responses: { 200: jsonReply('`deleted` is false when there was none', object({ deleted: { type: 'boolean' } }, ['deleted'])), ...errors(...SCOPED) },
    },
  },
};
