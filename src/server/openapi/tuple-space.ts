/** The tuple-space routes: POST /api/v1/tuplespace/{tenant}/{namespace}/{space}/{operation}. */
import { errors, jsonBody, jsonReply, object, pathParam, ref, SCOPED, type Doc } from './common.js';

const timeoutMs: Doc = { type: 'number', minimum: 0, maximum: 300_000, description: 'How long to wait for a match, ms (≤ 5 min); without it the call does not wait. A client that hangs up stops the wait.' };
const limit: Doc = { type: 'integer', minimum: 1, description: 'At most this many tuples' };
const params = [pathParam('tenant'), pathParam('namespace'), pathParam('space')];
const failures = errors(...SCOPED, 404, 413, 415, 503);

function operation(op: string, summary: string, body: Doc, status: 200 | 201, reply: Doc, description?: string): Doc {
  return {
    post: {
      tags: ['tuple spaces'],
      operationId: `tuplespace_${op.replaceAll('-', '_')}`,
      summary,
      ...(description === undefined ? {} : { description }),
      parameters: params,
      requestBody: jsonBody(body),
      responses: { [status]: jsonReply('Done', reply), ...failures },
    },
  };
}

const maybeTuple = object({ tuple: { anyOf: [ref('Tuple'), { type: 'null' }], description: '`null`: no match (in time)' } }, ['tuple']);
const tuples = object({ tuples: { type: 'array', items: ref('Tuple') } }, ['tuples']);
const space = '/api/v1/tuplespace/{tenant}/{namespace}/{space}';

export const tupleSpaceSchemas: Record<string, Doc> = {
  HeldTuple: object(
    {
      tuple: ref('Tuple'),
      deliveryId: { type: 'string', description: 'Name it in deliveries/ack or deliveries/nack' },
      deliveries: { type: 'integer', minimum: 1, description: 'How many times this tuple has been handed out' },
      leaseExpiresAt: { type: 'number', description: 'Epoch ms at which the tuple goes back unless acked' },
    },
    ['tuple', 'deliveryId', 'deliveries', 'leaseExpiresAt'],
  ),
};

export const tupleSpacePaths: Record<string, Doc> = {
  [`${space}/write`]: operation('write', 'Write a tuple', object({ tuple: ref('Tuple'), ttlMs: { type: 'number', minimum: 1, description: 'Expire after this many ms' } }, ['tuple']), 201, object({ written: { const: 1 } }, ['written'])),
  [`${space}/write-all`]: operation('write-all', 'Write tuples, all or nothing', object({ tuples: { type: 'array', items: ref('Tuple') } }, ['tuples']), 201, object({ written: { type: 'integer', minimum: 0 } }, ['written'])),
  [`${space}/eval`]: operation(
    'eval',
    "Linda's eval: run the tuple's computations in parallel, then write the finished tuple",
    object(
      {
        tuple: { type: 'array', description: 'Fields in the JSON form; a field {"$eval": {"module", "task", "args"}} runs a task of a deployed module, {"$eval": {"actor", "message", "args"}} asks an actor, and is replaced by the reply' },
        onError: { enum: ['value', 'reject'], description: 'value (default): a failed computation becomes {"error", "message"}; reject: PLEX_ERR_EVAL_FAILED and nothing is written' },
        timeoutMs: { type: 'number', minimum: 1, description: 'Longest each computation may run (default 60000)' },
        ttlMs: { type: 'number', minimum: 1, description: 'Expire the finished tuple after this many ms' },
      },
      ['tuple'],
    ),
    201,
    object({ tuple: ref('Tuple') }, ['tuple']),
    'Readers and takers see the tuple only once every computation has answered.',
  ),
  [`${space}/read`]: operation('read', 'Read (copy) a matching tuple', object({ template: ref('Template'), timeoutMs }, ['template']), 200, maybeTuple),
  [`${space}/take`]: operation('take', 'Take (remove) a matching tuple', object({ template: ref('Template'), timeoutMs }, ['template']), 200, maybeTuple, 'A tuple taken for a client that hung up before the reply went out goes back to the space.'),
  [`${space}/read-all`]: operation('read-all', 'Read every matching tuple', object({ template: ref('Template'), limit }, ['template']), 200, tuples),
  [`${space}/take-all`]: operation('take-all', 'Take every matching tuple', object({ template: ref('Template'), limit }, ['template']), 200, tuples),
  [`${space}/count`]: operation('count', 'Count matching tuples', object({ template: ref('Template') }, ['template']), 200, object({ count: { type: 'integer', minimum: 0 } }, ['count'])),
  [`${space}/take-with-ack`]: operation(
    'take-with-ack',
    'Crash-safe take: the tuple is held until acked',
    object({ template: ref('Template'), timeoutMs, leaseMs: { type: 'number', minimum: 1, description: 'How long the tuple stays held without an ack' } }, ['template']),
    200,
    { anyOf: [ref('HeldTuple'), object({ tuple: { type: 'null' } }, ['tuple'])] },
    'nack, the lease’s end or a client that hung up before the reply went out bring the tuple back.',
  ),
  ...Object.fromEntries(
    (['ack', 'nack'] as const).map((outcome) => [
      `/api/v1/tuplespace/{tenant}/{namespace}/deliveries/${outcome}`,
      {
        post: {
          tags: ['tuple spaces'],
          operationId: `tuplespace_${outcome}`,
          summary: outcome === 'ack' ? 'Consume a held tuple for good' : 'Give a held tuple back to its space',
          parameters: [pathParam('tenant'), pathParam('namespace')],
          requestBody: jsonBody(object({ deliveryId: { type: 'string' } }, ['deliveryId'])),
          responses: { 200: jsonReply('Settled', object({ [outcome === 'ack' ? 'acked' : 'nacked']: { const: true } }, [outcome === 'ack' ? 'acked' : 'nacked'])), ...errors(...SCOPED, 415) },
        },
      },
    ]),
  ),
};
