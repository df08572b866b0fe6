/** Dataflow pipelines: /api/v1/pipelines/{tenant}/{namespace}[/{pipeline}[/{operation}]]. */
import { errors, jsonBody, jsonReply, object, pathParam, ref, SCOPED, type Doc } from './common.js';

const scope = [pathParam('tenant'), pathParam('namespace')];
const inPipeline = [...scope, pathParam('pipeline')];
const base = '/api/v1/pipelines/{tenant}/{namespace}';
const positive = (description: string): Doc => ({ type: 'integer', minimum: 1, description });

function operation(op: string, summary: string, body: Doc, status: 200 | 201 | 202, reply: Doc, extra: (409 | 413)[], description?: string): Doc {
  return {
    post: {
      tags: ['pipelines'],
      operationId: `pipeline_${op}`,
      summary,
      ...(description === undefined ? {} : { description }),
      parameters: inPipeline,
      requestBody: jsonBody(body),
      responses: { [status]: jsonReply('Done', reply), ...(op === 'drain' ? { 202: jsonReply('Not finished within timeoutMs: the figures so far', ref('PipelineFigures')) } : {}), ...errors(...SCOPED, 404, 415, ...extra) },
    },
  };
}

/** A stage's figures on one node. */
const STAGE_FIGURES = object(
  {
    stage: { type: 'string' },
    state: { enum: ['running', 'finished', 'stopped', 'failed'] },
    instances: { type: 'integer' },
    taken: { type: 'integer', description: 'Deliveries taken (a retried tuple counts again)' },
    done: { type: 'integer', description: 'Tuples consumed for good, atomically with the write of their outputs' },
    written: { type: 'integer' },
    failures: { type: 'integer', description: 'Failed attempts (a crash, a timeout, a throw, a bad reply)' },
    returned: { type: 'integer', description: 'Deliveries given back to the space' },
    restarts: { type: 'integer', description: 'Instance restarts by their supervisors' },
    backlog: { type: 'integer', description: 'Waiting in the space plus held' },
    maxBacklog: { type: 'integer' },
    inFlight: { type: 'integer' },
    inPerSecond: { type: 'number' },
    outPerSecond: { type: 'number' },
    latencyP50Ms: { type: 'number', description: 'Take to ack, over the last 1024 tuples' },
    latencyP99Ms: { type: 'number' },
  },
  ['stage', 'state', 'instances', 'taken', 'done', 'written', 'failures', 'returned', 'restarts', 'backlog', 'maxBacklog', 'inFlight', 'inPerSecond', 'outPerSecond', 'latencyP50Ms', 'latencyP99Ms'],
) as { properties: Record<string, Doc>; required: string[] };

export const pipelineSchemas: Record<string, Doc> = {
  PipelineSpec: object(
    {
      name: ref('Name'),
      space: { type: 'string', description: 'The namespace’s tuple space it runs on (default `default`)' },
      stages: {
        type: 'array',
        minItems: 1,
        maxItems: 64,
        items: object(
          {
            name: ref('Name'),
            module: { type: 'string', description: 'A deployed module of the tenant (any language); each instance is an actor of it asked `message` with {"tuple", "deliveries", "attempt"}, answering {"out": [tuple, …]}' },
            input: ref('Template'),
            message: { type: 'string', minLength: 1, description: 'The message type instances are asked (default `process`)' },
            instances: { type: 'integer', minimum: 1, maximum: 256, description: 'Instances at once (default 1)' },
            maxBacklog: positive('Tuples waiting for or held by the stage before its upstream waits (default 1024)'),
            key: { type: 'integer', minimum: 0, description: 'Per-key order on this field: a key’s tuples go to one instance, in order' },
            leaseMs: positive('Lease of each crash-safe take (default 60000)'),
            timeoutMs: positive('Longest one handling may take (default 30000)'),
            maxAttempts: positive('Attempts in place before the tuple goes back to the space (default 3)'),
            maxRestarts: { type: 'integer', minimum: 0, description: 'Restarts of an instance within restartWindowMs before the pipeline fails (default 10)' },
            restartWindowMs: positive('Default 10000'),
          },
          ['name', 'module', 'input'],
        ),
      },
    },
    ['name', 'stages'],
  ),
  StageFigures: STAGE_FIGURES,
  PipelineFigures: object(
    {
      name: { type: 'string' },
      space: { type: 'string' },
      state: { enum: ['running', 'draining', 'finished', 'stopped', 'failed'] },
      error: object({ code: { type: 'string' }, message: { type: 'string' }, stage: { type: 'string' } }, ['code', 'message', 'stage']),
      stages: { type: 'array', items: ref('StageFigures') },
    },
    ['name', 'space', 'state', 'stages'],
  ),
  ClusterPipelineFigures: object(
    {
      name: { type: 'string' },
      space: { type: 'string' },
      state: { enum: ['running', 'draining', 'finished', 'stopped', 'failed', 'unknown'], description: '`unknown`: no node published for 5 s' },
      error: object({ code: { type: 'string' }, message: { type: 'string' }, stage: { type: 'string' } }, ['code', 'message', 'stage']),
      stages: {
        type: 'array',
        description: 'Per stage: totals summed over every node, instances, backlog, in flight and rates over live nodes, latency the slowest live node’s',
        items: object(
          { ...STAGE_FIGURES.properties, state: { enum: ['running', 'finished', 'stopped', 'failed', 'unknown'] }, nodes: { type: 'integer', description: 'Live nodes that run the stage' } },
          [...STAGE_FIGURES.required, 'nodes'],
        ),
      },
      nodes: {
        type: 'array',
        items: object({ node: { type: 'string' }, at: { type: 'string', format: 'date-time' }, stale: { type: 'boolean', description: 'Not refreshed for 5 s: the node is gone; only its totals count' }, figures: ref('PipelineFigures') }, ['node', 'at', 'stale', 'figures']),
      },
    },
    ['name', 'space', 'state', 'stages', 'nodes'],
  ),
};

export const pipelinePaths: Record<string, Doc> = {
  [base]: {
    get: {
      tags: ['pipelines'],
      operationId: 'pipeline_list',
      summary: 'The namespace’s pipelines and their figures',
      parameters: scope,
      responses: { 200: jsonReply('The pipelines', object({ pipelines: { type: 'array', items: ref('PipelineFigures') } }, ['pipelines'])), ...errors(...SCOPED) },
    },
    post: {
      tags: ['pipelines'],
      operationId: 'pipeline_start',
      summary: 'Start a dataflow pipeline of deployed modules',
      parameters: scope,
      requestBody: jsonBody(ref('PipelineSpec')),
      responses: { 201: jsonReply('Started', ref('PipelineFigures')), ...errors(...SCOPED, 404, 409, 413, 415) },
    },
  },
  [`${base}/{pipeline}`]: {
    get: {
      tags: ['pipelines'],
      operationId: 'pipeline_get',
      summary: 'A pipeline’s live figures, per stage',
      description: 'With `across=cluster`: every node’s figures of a pipeline on a shared space, merged (any node answers, one that runs it or not; a node alone answers with its own, in the same shape).',
      parameters: [...inPipeline, { name: 'across', in: 'query', required: false, schema: { enum: ['node', 'cluster'] }, description: 'Default `node`: this node’s figures' }],
      responses: { 200: jsonReply('The figures (ClusterPipelineFigures with across=cluster)', { anyOf: [ref('PipelineFigures'), ref('ClusterPipelineFigures')] }), ...errors(...SCOPED, 404, 503) },
    },
    delete: {
      tags: ['pipelines'],
      operationId: 'pipeline_remove',
      summary: 'Stop a pipeline (held tuples go back to the space) and forget it',
      parameters: inPipeline,
      responses: { 200: jsonReply('Removed', object({ removed: { type: 'string' } }, ['removed'])), ...errors(...SCOPED, 404) },
    },
  },
  [`${base}/{pipeline}/write`]: operation('write', 'Write input tuples, waiting while their stage is full', object({ tuples: { type: 'array', items: ref('Tuple') } }, ['tuples']), 201, object({ written: { type: 'integer' } }, ['written']), [409, 413], 'Each tuple must match a stage’s input; after end of stream: 409 PLEX_ERR_PIPELINE_ENDED.'),
  [`${base}/{pipeline}/scale`]: operation('scale', 'Change a stage’s instances while it runs', object({ stage: { type: 'string' }, instances: { type: 'integer', minimum: 1, maximum: 256 } }, ['stage', 'instances']), 200, ref('PipelineFigures'), []),
  [`${base}/{pipeline}/end`]: operation('end', 'End of stream: no more input; stages finish as they empty', object({}), 202, ref('PipelineFigures'), []),
  [`${base}/{pipeline}/drain`]: operation('drain', 'End the input and wait until every stage has finished', object({ timeoutMs: { type: 'number', minimum: 1, maximum: 300_000, description: 'Longest wait (≤ 5 min); then 202 with the figures so far' } }), 200, ref('PipelineFigures'), []),
};
