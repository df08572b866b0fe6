/** Shard groups: /api/v1/shard-groups/{tenant}/{namespace}[/{group}[/{operation}]]. */
import { errors, jsonBody, jsonReply, object, pathParam, ref, SCOPED, type Doc } from './common.js';

const scope = [pathParam('tenant'), pathParam('namespace')];
const inGroup = [...scope, pathParam('group')];
const base = '/api/v1/shard-groups/{tenant}/{namespace}';
const failures = errors(...SCOPED, 404, 413, 415, 503);

/** The fields every gather (scatter-gather, reduce, barrier) takes. */
const gather: Record<string, Doc> = {
  deadlineMs: { type: 'number', minimum: 1, description: 'Shards that have not answered by then are reported as `timeout` (default 5000; capped at 5 min)' },
  minResponses: { type: 'integer', minimum: 1, description: 'Answer once this many shards said `ok` (default: all)' },
};
const messageType: Doc = { type: 'string', minLength: 1, maxLength: 128, description: 'The handler each shard runs' };

function operation(op: string, summary: string, body: Doc, reply: Doc, description?: string): Doc {
  return {
    post: {
      tags: ['shard groups'],
      operationId: `group_${op.replaceAll('-', '_')}`,
      summary,
      ...(description === undefined ? {} : { description }),
      parameters: inGroup,
      requestBody: jsonBody(body),
      responses: { 200: jsonReply('Done', reply), ...failures },
    },
  };
}

export const shardGroupSchemas: Record<string, Doc> = {
  ShardGroupSpec: object(
    {
      id: ref('Name'),
      application: { type: 'string', description: 'The deployed application each shard runs' },
      shards: { type: 'integer', minimum: 1, description: 'How many shards (actors) to start' },
      partition: { enum: ['hash', 'consistent-hash'], description: 'How keys map to shards: `consistent-hash` (default; `scale` moves ≈1/(N+1) of the keys) or `hash` (mod N)' },
      config: { type: 'string', description: 'JSON text each shard gets in its init (e.g. `{"capacity": 1000}`)' },
    },
    ['id', 'application', 'shards'],
  ),
  ShardGroupSummary: object(
    {
      id: { type: 'string' },
      shards: { type: 'integer' },
      partition: { type: 'string' },
      rebalancing: { type: 'boolean' },
      nodes: { type: 'array', items: { type: ['string', 'null'] }, description: 'The node each shard runs on, in shard order (a cluster spreads a group over its nodes); null for a shard not running now (its node died and it is starting again elsewhere)' },
    },
    ['id', 'shards', 'partition', 'rebalancing', 'nodes'],
  ),
  ShardResult: object(
    {
      shard: { type: 'integer', minimum: 0 },
      actorId: { type: 'string' },
      status: { enum: ['ok', 'error', 'timeout'] },
      latencyMs: { type: 'number' },
      value: { description: 'The shard’s JSON reply, when `ok`' },
      errorCode: { type: 'string', description: 'When `error`, e.g. PLEX_ERR_ACTOR_TRAPPED' },
      errorMessage: { type: 'string' },
      node: { type: 'string', description: 'The node that ran the shard' },
    },
    ['shard', 'actorId', 'status', 'latencyMs'],
  ),
  GatherResult: object(
    {
      value: { description: 'The aggregated `ok` answers' },
      shards: { type: 'array', items: ref('ShardResult'), description: 'One per shard, in shard order' },
      satisfied: { type: 'boolean', description: 'At least `minResponses` (default: every shard) answered `ok`' },
    },
    ['shards', 'satisfied'],
  ),
  BulkUpdateResult: object({ entries: { type: 'integer', minimum: 0 }, shards: { type: 'array', items: ref('ShardResult') } }, ['entries', 'shards']),
  ScaleResult: object(
    {
      from: { type: 'integer' },
      to: { type: 'integer' },
      keys: { type: 'integer', description: 'Keys the shards held before, summed' },
      moved: { type: 'integer', description: 'Keys that changed shard' },
      elapsedMs: { type: 'number' },
    },
    ['from', 'to', 'keys', 'moved', 'elapsedMs'],
  ),
};

export const shardGroupPaths: Record<string, Doc> = {
  [base]: {
    get: {
      tags: ['shard groups'],
      operationId: 'group_list',
      summary: 'List the scope’s shard groups',
      parameters: scope,
      responses: { 200: jsonReply('The groups', object({ groups: { type: 'array', items: ref('ShardGroupSummary') } }, ['groups'])), ...errors(...SCOPED) },
    },
    post: {
      tags: ['shard groups'],
      operationId: 'group_create',
      summary: 'Create a shard group of an application’s actors',
      parameters: scope,
      requestBody: jsonBody(ref('ShardGroupSpec')),
      responses: { 201: jsonReply('Created', object({ id: { type: 'string' }, shards: { type: 'integer' } }, ['id', 'shards'])), ...errors(...SCOPED, 404, 409, 413, 415) },
    },
  },
  [`${base}/{group}`]: {
    delete: {
      tags: ['shard groups'],
      operationId: 'group_delete',
      summary: 'Stop and forget a shard group',
      parameters: inGroup,
      responses: { 200: jsonReply('Deleted', object({ deleted: { type: 'string' } }, ['deleted'])), ...errors(...SCOPED, 404) },
    },
  },
  [`${base}/{group}/bulk-update`]: operation(
    'bulk-update',
    'Send [key, value] pairs, each to the shard that owns its key',
    object(
      {
        entries: { type: 'array', items: { type: 'array', prefixItems: [{ type: ['string', 'number'] }, ref('JsonValue')], minItems: 2, maxItems: 2 }, description: '[key, value] pairs; 7 and "7" are different keys' },
        consistency: { enum: ['all', 'eventual'], description: '`all` (default) waits for every shard; `eventual` answers once the batches are queued' },
      },
      ['entries'],
    ),
    ref('BulkUpdateResult'),
  ),
  [`${base}/{group}/scatter-gather`]: operation(
    'scatter-gather',
    'Ask every shard and aggregate the answers',
    object({ type: messageType, payload: ref('JsonValue'), aggregate: { enum: ['concat', 'merge', 'first', 'majority'], description: 'How `value` is made (default `concat`)' }, ...gather }, ['type']),
    ref('GatherResult'),
  ),
  [`${base}/{group}/reduce`]: operation(
    'reduce',
    'Ask every shard and reduce the answers (or a field of them) with an operator',
    object(
      {
        type: messageType,
        payload: ref('JsonValue'),
        op: { enum: ['sum', 'min', 'max', 'product', 'concat', 'and', 'or'] },
        path: { type: 'string', description: 'A dotted field of each answer to reduce (default: the answer itself)' },
        ...gather,
      },
      ['type', 'op'],
    ),
    ref('GatherResult'),
  ),
  [`${base}/{group}/barrier`]: operation('barrier', 'Wait until every shard reached `round`', object({ round: { type: 'integer', minimum: 0 }, ...gather }, ['round']), ref('GatherResult')),
  [`${base}/{group}/scale`]: operation(
    'scale',
    'Change the shard count, moving keys to their new owners',
    object({ shards: { type: 'integer', minimum: 1 } }, ['shards']),
    ref('ScaleResult'),
    'While keys move, `rebalancing` is true in the group list; calls keep being answered.',
  ),
};
