/** The node's own routes: health, info, metrics, this description, Swagger UI and the landing page. */
import { errors, jsonReply, object, ref, type Doc } from './common.js';

/** Routes answered without a token even with auth on. */
const OPEN: Doc = { security: [] };
const html = (description: string): Doc => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

export const nodeSchemas: Record<string, Doc> = {
  NodeInfo: object(
    {
      version: { type: 'string' },
      startedAt: { type: 'string', format: 'date-time' },
      durable: { type: 'boolean', description: 'The node keeps its data in a data dir' },
      workers: { type: 'integer', minimum: 1 },
      scope: { enum: ['node', 'tenant'], description: '`node` for an operator (or with auth off), `tenant` for a tenant’s token' },
      tenant: { type: 'string', description: 'The token’s tenant, when `scope` is `tenant`' },
      actors: { type: 'integer', minimum: 0, description: 'Running actors (the tenant’s own, when `scope` is `tenant`)' },
    },
    ['version', 'startedAt', 'durable', 'workers', 'scope', 'actors'],
  ),
  ClusterNode: object(
    {
      id: { type: 'string' },
      incarnation: { type: 'string', description: 'Random per start: a node restarted under the same id is a new incarnation' },
      addresses: object({ grpc: { type: 'string' }, http: { type: 'string' }, ws: { type: 'string' } }, []),
      workers: { type: 'integer', minimum: 0 },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      version: { type: 'string' },
      startedAt: { type: 'string', format: 'date-time' },
      expiresAt: { type: ['integer', 'null'], description: 'When its heartbeat lapses (epoch ms, the backend’s clock); null for a node alone' },
    },
    ['id', 'incarnation', 'addresses', 'workers', 'labels', 'version', 'startedAt', 'expiresAt'],
  ),
  NodeListing: object(
    {
      cluster: {
        oneOf: [{ type: 'null' }, object({ backend: { const: 'redis' }, seeds: { type: 'array', items: { type: 'string' } }, heartbeatTtlMs: { type: 'integer', minimum: 1 } }, ['backend', 'seeds', 'heartbeatTtlMs'])],
        description: 'The backend the nodes share; null for a node alone',
      },
      self: { type: 'string', description: 'This node’s id' },
      nodes: { type: 'array', items: ref('ClusterNode'), description: 'The live nodes, this one first' },
      stale: { type: 'string', description: 'Set while the backend does not answer: the list is the last one seen' },
    },
    ['cluster', 'self', 'nodes'],
  ),
};

export const nodePaths: Record<string, Doc> = {
  '/': {
    get: { tags: ['node'], operationId: 'landing', summary: 'A landing page linking the docs, health and metrics', ...OPEN, responses: { 200: html('The page') } },
  },
  '/api/v1/health': {
    get: { tags: ['node'], operationId: 'health', summary: 'Liveness', ...OPEN, responses: { 200: jsonReply('The node is up', object({ status: { const: 'ok' } }, ['status'])), ...errors() } },
  },
  '/api/v1/info': {
    get: { tags: ['node'], operationId: 'info', summary: 'The node as the caller may see it', responses: { 200: jsonReply('Node or tenant figures', ref('NodeInfo')), ...errors(401) } },
  },
  '/api/v1/nodes': {
    get: { tags: ['node'], operationId: 'nodes', summary: 'The nodes of the platform: this one alone, or every live member of its cluster', responses: { 200: jsonReply('The nodes', ref('NodeListing')), ...errors(401) } },
  },
  '/api/v1/cluster/drain': {
    post: {
      tags: ['node'],
      operationId: 'drain',
      summary: 'Move this node’s actors to the other nodes before a planned stop (operators)',
      description:
        'Marks the node as draining in the cluster’s registry (nothing new is placed on it), then stops each durable actor it claimed with a checkpoint and releases its directory entry: its next message activates it on another node with its state. Actors whose state lives only on this node are kept and listed. The shards of shard groups it runs move to other nodes with their keys. A node stopped with SIGTERM drains the same way first. 400 on a node alone.',
      responses: {
        200: jsonReply(
          'What moved and what stayed',
          object(
            {
              node: { type: 'string' },
              moved: { type: 'array', items: { type: 'string' } },
              kept: { type: 'array', items: { type: 'string' } },
              shards: { type: 'array', items: { type: 'string' }, description: 'Shards of shard groups that ran here, moved to other nodes with their keys' },
            },
            ['node', 'moved', 'kept', 'shards'],
          ),
        ),
        ...errors(400, 401, 403, 503),
      },
    },
  },
  '/metrics': {
    get: {
      tags: ['node'],
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      description: 'Present when metrics are on. With auth on it needs a token: an operator reads every series, a tenant its own.',
      responses: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(401) },
    },
  },
  '/api/v1/openapi.json': {
    get: { tags: ['node'], operationId: 'openapi', summary: 'This description (OpenAPI 3.1)', ...OPEN, responses: { 200: jsonReply('The OpenAPI document', { type: 'object', required: ['openapi', 'paths'] }), ...errors() } },
  },
  '/docs': {
    get: { tags: ['node'], operationId: 'swaggerUi', summary: 'Swagger UI over this description', ...OPEN, responses: { 200: html('The Swagger UI page') } },
  },
  '/docs/{asset}': {
    get: {
      tags: ['node'],
      operationId: 'swaggerUiAsset',
      summary: 'A Swagger UI asset, served from the installed swagger-ui-dist package',
      ...OPEN,
      parameters: [{ name: 'asset', in: 'path', required: true, schema: { enum: ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-initializer.js', 'favicon-16x16.png', 'favicon-32x32.png'] } }],
      responses: {
        200: { description: 'The file', content: { 'text/css': { schema: { type: 'string' } }, 'text/javascript': { schema: { type: 'string' } }, 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } } },
        ...errors(404),
      },
    },
  },
};
