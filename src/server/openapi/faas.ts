/**
 * The serverless routes of the second PlexSpaces article: deploy by actor
 * type, FaaS invocation by tenant/namespace/actor type, and the dead letters
 * of the tells they accept (src/server/faas-routes.ts).
 */
import { errors, jsonBody, jsonReply, object, pathParam, ref, SCOPED, type Doc } from './common.js';

const ASK_FAILURES = [...SCOPED, 404, 409, 413, 415, 502, 503, 504] as const;
const actorType: Doc = { name: 'actor_type', in: 'path', required: true, description: 'The actor type: the application deployed under that name', schema: ref('Name') };
const action = (fallback: string): Doc => ({ name: 'action', in: 'query', required: false, description: `The handler (default \`${fallback}\`)`, schema: { type: 'string' } });
const invocation = (methods: string): Doc => ({
  name: 'invocation',
  in: 'query',
  required: false,
  description: methods === 'ask' ? '`call` only (GET and DELETE always ask; `tell` is refused)' : '`call`: ask and answer the actor’s reply (200); `tell` (default): 202 at once',
  schema: { enum: ['call', 'tell'] },
});
const queryPayload: Doc = {
  name: 'payload',
  in: 'query',
  required: false,
  description: 'Every other query parameter becomes a string field of the payload (`?action=deposit&amount=5` → `{"amount": "5"}`)',
  style: 'form',
  explode: true,
  schema: { type: 'object', additionalProperties: { type: 'string' } },
};
const params = [pathParam('tenant'), pathParam('namespace'), actorType];

function ask(method: string, fallback: string): Doc {
  return {
    tags: ['FaaS'],
    operationId: `faas_${method}`,
    summary: `FaaS ask (${method.toUpperCase()}): the query parameters are the payload`,
    parameters: [...params, action(fallback), invocation('ask'), queryPayload],
    responses: { 200: jsonReply('The actor’s reply', ref('JsonValue')), ...errors(...ASK_FAILURES) },
  };
}

function tellOrCall(method: string): Doc {
  return {
    tags: ['FaaS'],
    operationId: `faas_${method}`,
    summary: `FaaS tell (${method.toUpperCase()}) with the JSON body as the payload; \`?invocation=call\` asks instead`,
    description: 'The handler is `?action=`, or else the body’s `"action"` field (left out of the payload), or else `invoke`; the two may not disagree. A tell that is accepted but not handled is kept as a dead letter.',
    parameters: [...params, action('invoke'), invocation('tell')],
    requestBody: jsonBody(ref('JsonValue')),
    responses: {
      200: jsonReply('`invocation=call`: the actor’s reply', ref('JsonValue')),
      202: jsonReply('Queued (a tell)', ref('Accepted')),
      ...errors(...ASK_FAILURES),
    },
  };
}

export const faasSchemas: Record<string, Doc> = {
  DeployByTypeForm: {
    type: 'object',
    properties: {
      actor_type: { ...ref('Name'), description: 'The application’s id and name: /api/v1/actors/{tenant}/{namespace}/{actor_type} finds it' },
      wasm: { type: 'string', contentMediaType: 'application/wasm', description: 'A core module or component' },
      version: { type: 'string', description: 'Default 0.0.0' },
      tenant: { type: 'string', description: 'With auth on: the token’s own tenant' },
      namespace: { type: 'string', description: 'Checked against the token; a single-module application answers in every namespace of its tenant' },
      durable: { enum: ['true', 'false'], description: '`false` opts the actors out of durability (default: durable when the module can snapshot its state)' },
    },
    required: ['actor_type', 'wasm'],
  },
  DeadLetter: object(
    {
      at: { type: 'string', format: 'date-time' },
      tenant: { type: 'string' },
      namespace: { type: 'string' },
      actor: { type: 'string', description: 'The actor id as the caller named it' },
      messageType: { type: 'string' },
      reason: { enum: ['unknown-handler', 'handler-error', 'crashed', 'timeout', 'failed'] },
      code: { type: 'string', description: 'The PLEX_ERR_* code, when the failure had one' },
      error: { type: 'string', description: 'What the actor answered, or the error’s message (≤ 1,000 characters)' },
      payloadBytes: { type: 'integer', minimum: 0, description: 'The payload is not kept, only its size' },
    },
    ['at', 'tenant', 'namespace', 'actor', 'messageType', 'reason', 'error', 'payloadBytes'],
  ),
};

export const faasPaths: Record<string, Doc> = {
  '/api/v1/deploy': {
    post: {
      tags: ['FaaS'],
      operationId: 'deployByType',
      summary: 'Deploy an actor type (the article’s `-F actor_type=… -F wasm=@actor.wasm`)',
      requestBody: { required: true, content: { 'multipart/form-data': { schema: ref('DeployByTypeForm') } } },
      responses: {
        201: jsonReply('Deployed', { allOf: [ref('ApplicationInfo'), object({ actorType: { type: 'string' }, namespace: { type: 'string' } }, ['actorType', 'namespace'])] }),
        ...errors(...SCOPED, 409, 413, 415),
      },
    },
  },
  '/api/v1/actors/{tenant}/{namespace}/{actor_type}': { get: ask('get', 'get'), delete: ask('delete', 'delete'), post: tellOrCall('post'), put: tellOrCall('put') },
  '/api/v1/dead-letters': {
    get: {
      tags: ['FaaS'],
      operationId: 'deadLetters',
      summary: 'Tells that were accepted (202) but never handled, newest first',
      description: 'A tenant’s token sees its own tenant’s (in the namespaces it holds); an operator every tenant’s unless `tenant` narrows it.',
      parameters: [
        { name: 'tenant', in: 'query', required: false, schema: ref('Name') },
        { name: 'namespace', in: 'query', required: false, schema: ref('Name') },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 999_999 } },
      ],
      responses: { 200: jsonReply('The dead letters', object({ deadLetters: { type: 'array', items: ref('DeadLetter') } }, ['deadLetters'])), ...errors(...SCOPED) },
    },
  },
};
