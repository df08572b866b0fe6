/**
 * The pieces every part of the OpenAPI description shares: the error shape,
 * the tuple JSON form, path parameters and the error replies. Schemas are
 * JSON Schema 2020-12 (OpenAPI 3.1), so a test can check real replies
 * against them with a stock validator.
 */

/** A JSON Schema / OpenAPI object: plain data, serialised as is. */
export type Doc = Record<string, unknown>;

export const ref = (name: string): Doc => ({ $ref: `#/components/schemas/${name}` });

/** A JSON request body of `schema`. */
export function jsonBody(schema: Doc, description?: string): Doc {
  return { required: true, ...(description === undefined ? {} : { description }), content: { 'application/json': { schema } } };
}

/** A JSON reply of `schema`. */
export function jsonReply(description: string, schema: Doc): Doc {
  return { description, content: { 'application/json': { schema } } };
}

/** An object schema with these properties, `required` of them mandatory; the server may add fields later. */
export function object(properties: Record<string, Doc>, required: readonly string[] = []): Doc {
  return { type: 'object', properties, required: [...required] };
}

/** The error replies a route can end with, by status (each an `Error` body). */
export const ERROR_STATUS = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'Internal',
  502: 'ActorFailed',
  503: 'Unavailable',
  504: 'AskTimeout',
} as const;
export type ErrorStatus = keyof typeof ERROR_STATUS;

/** `responses` entries for error statuses; every authenticated route can also answer 401 and 403, every route 500. */
export function errors(...statuses: ErrorStatus[]): Doc {
  const all = new Set<ErrorStatus>([...statuses, 500]);
  const out: Doc = {};
  for (const status of [...all].sort()) out[String(status)] = { $ref: `#/components/responses/${ERROR_STATUS[status]}` };
  return out;
}

/** What a scoped route (tenant and namespace in the path, a token when auth is on) can answer besides its own. */
export const SCOPED: ErrorStatus[] = [400, 401, 403, 429];

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: 'Bad input (PLEX_ERR_INVALID_ARGUMENT, PLEX_ERR_INVALID_TUPLE, PLEX_ERR_INVALID_TEMPLATE, PLEX_ERR_INVALID_NAME, PLEX_ERR_INVALID_MODULE, PLEX_ERR_INVALID_MANIFEST…); nothing was changed',
  401: 'Auth is on and the request has no valid bearer token (PLEX_ERR_UNAUTHENTICATED)',
  403: 'The token may not act in this tenant or scope (PLEX_ERR_FORBIDDEN, PLEX_ERR_FACET_REJECTED)',
  404: 'No such route, actor, module, shard group or blob (PLEX_ERR_NOT_FOUND, PLEX_ERR_ACTOR_NOT_FOUND, PLEX_ERR_MODULE_NOT_FOUND, PLEX_ERR_SHARD_GROUP_NOT_FOUND)',
  405: 'The path exists but not with this method (PLEX_ERR_METHOD_NOT_ALLOWED); the `Allow` header lists the methods',
  409: 'It exists already, or a lock is held or fenced (PLEX_ERR_ACTOR_EXISTS, PLEX_ERR_SHARD_GROUP_EXISTS, PLEX_ERR_LOCK_TIMEOUT, PLEX_ERR_LOCK_FENCED)',
  410: 'The channel is closed (PLEX_ERR_CHANNEL_CLOSED)',
  413: 'The body or a tuple is too large (PLEX_ERR_BODY_TOO_LARGE, PLEX_ERR_TUPLE_TOO_LARGE, PLEX_ERR_PAYLOAD_TOO_LARGE)',
  415: 'The body is not of the media type the route takes (PLEX_ERR_UNSUPPORTED_MEDIA_TYPE)',
  429: 'A tenant quota is used up (PLEX_ERR_QUOTA_EXCEEDED); retry once something is freed',
  500: 'A bug on the node (PLEX_ERR_INTERNAL)',
  502: 'The actor trapped, timed out, ran out of memory or failed (PLEX_ERR_ACTOR_TRAPPED, PLEX_ERR_ACTOR_TIMEOUT, PLEX_ERR_ACTOR_MEMORY_LIMIT, PLEX_ERR_ACTOR_FAILED, PLEX_ERR_ACTOR_EXITED)',
  503: 'The node is shedding load or closing, or the cluster backend is unreachable (PLEX_ERR_BACKPRESSURE, PLEX_ERR_SPACE_CLOSED, PLEX_ERR_RUNTIME_CLOSED, PLEX_ERR_ESCALATED, PLEX_ERR_BACKEND_UNAVAILABLE)',
  504: 'The actor did not answer in time (PLEX_ERR_ASK_TIMEOUT)',
};

export const errorResponses: Doc = Object.fromEntries(
  (Object.keys(ERROR_STATUS) as unknown as ErrorStatus[]).map((status) => [ERROR_STATUS[status], jsonReply(ERROR_TEXT[status], ref('Error'))]),
);

export const parameters: Doc = {
  tenant: { name: 'tenant', in: 'path', required: true, description: 'The tenant (with auth on: the token’s own, unless it is an operator token; `default` with auth off)', schema: ref('Name') },
  namespace: { name: 'namespace', in: 'path', required: true, description: 'The namespace inside the tenant', schema: ref('Name') },
  space: { name: 'space', in: 'path', required: true, description: 'The tuple space’s name (created on first use)', schema: ref('Name') },
  group: { name: 'group', in: 'path', required: true, description: 'The shard group’s id', schema: ref('Name') },
  pipeline: { name: 'pipeline', in: 'path', required: true, description: 'The pipeline’s name', schema: ref('Name') },
};

export const pathParam = (name: keyof typeof parameters & string): Doc => ({ $ref: `#/components/parameters/${name}` });

export const commonSchemas: Record<string, Doc> = {
  Error: {
    type: 'object',
    description: 'Every failure: a stable code (docs/errors.md) and a message for people.',
    required: ['error'],
    properties: {
      error: object({ code: { type: 'string', pattern: '^PLEX_ERR_[A-Z0-9_]+$', examples: ['PLEX_ERR_INVALID_ARGUMENT'] }, message: { type: 'string' } }, ['code', 'message']),
    },
  },
  Name: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$', description: '1–64 of A–Z a–z 0–9 _ . - (not starting with . or -)' },
  Int64: { type: 'object', description: 'A 64-bit integer, as decimal text', required: ['$int'], properties: { $int: { type: 'string', pattern: '^-?[0-9]+$' } }, additionalProperties: false, examples: [{ $int: '9007199254740993' }] },
  Bytes: { type: 'object', description: 'Bytes, as canonical padded base64', required: ['$bytes'], properties: { $bytes: { type: 'string', contentEncoding: 'base64' } }, additionalProperties: false, examples: [{ $bytes: 'AQID' }] },
  Field: {
    description: 'A tuple field: string, finite number, boolean, null, int64, bytes, or a nested array or record of fields',
    anyOf: [{ type: ['string', 'number', 'boolean', 'null'] }, ref('Int64'), ref('Bytes'), { type: 'array', items: ref('Field') }, { type: 'object', propertyNames: { not: { pattern: '^\\$' } }, additionalProperties: ref('Field') }],
  },
  Tuple: { type: 'array', description: 'A tuple in the JSON form', items: ref('Field'), examples: [['job', 1, { $int: '10' }]] },
  Template: {
    type: 'array',
    description: 'A template: a field matches itself, `null` matches anything, and an operator object (`{"$type": "string"}`, `{"$in": […]}`, `{"$prefix": "…"}`, `{"$gt": n}`…) matches as in-process',
    examples: [['job', null, { $type: 'int' }]],
  },
  Accepted: object({ status: { const: 'accepted' } }, ['status']),
  JsonValue: { description: 'Any JSON value' },
};
