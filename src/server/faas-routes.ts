import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError, shown } from '../errors.js';
import { optionalBooleanField } from './form-fields.js';
import type { Handler } from './http-gateway.js';
import type { NodeService } from './node-service.js';

/** What the routes need of the gateway: route registration and its body readers (limits, media types). */
export interface FaasRouteContext {
  route(method: string, path: string, handler: Handler): void;
  json(request: IncomingMessage): Promise<unknown>;
  /** The JSON body, which must be an object. */
  object(request: IncomingMessage): Promise<Record<string, unknown>>;
  multipart(request: IncomingMessage): Promise<FormData>;
}

/**
 * The serverless routes of the second PlexSpaces article: deploy by actor
 * type, FaaS invocation by tenant/namespace/actor type, and the dead letters
 * of the tells they accept.
 *
 * FaaS: GET and DELETE ask (the query parameters are the payload), POST and
 * PUT tell (the JSON body is the payload, 202) unless `?invocation=call`,
 * which asks and answers the actor's reply. The handler is `?action=`, or
 * else the body's `"action"` field (taken out of the payload), or else
 * `get` (GET), `delete` (DELETE) or `invoke` (POST, PUT).
 */
export function defineFaasRoutes(context: FaasRouteContext, s: NodeService): void {
  const { route } = context;

  // POST /api/v1/deploy (multipart `actor_type`, `wasm`, optional `namespace`, `tenant`, `version`):
  // the application's id and name are the actor type, so /api/v1/actors/{tenant}/{namespace}/{actor_type} finds it.
  route('POST', '/api/v1/deploy', async (request, _, __, principal) => {
    const form = await context.multipart(request);
    const text = (name: string, required: boolean): string | undefined => {
      const value = form.get(name);
      if (value === null || value === '') {
        if (required) throw new InvalidArgumentError(`${name} is required`);
        return undefined;
      }
      if (typeof value !== 'string') throw new InvalidArgumentError(`${name} must be a text field, not a file`);
      return value;
    };
    const actorType = text('actor_type', true)!;
    const wasm = form.get('wasm');
    if (!(wasm instanceof Blob)) throw new InvalidArgumentError('wasm must be a file field (-F "wasm=@actor.wasm")');
    // The namespace is checked against the token even though a single-module application answers in every namespace of its tenant.
    const scope = s.scope(principal, text('tenant', false), text('namespace', false));
    const info = await s.deploy(scope, actorType, actorType, text('version', false) ?? '0.0.0', new Uint8Array(await wasm.arrayBuffer()), { durable: optionalBooleanField(form, 'durable') });
    return { status: 201, body: { ...info, actorType, namespace: scope.namespace } };
  });

  const faas = '/api/v1/actors/{}/{}/{}';
  const queryPayload = (url: URL) => {
    const payload: Record<string, string> = {};
    for (const [key, value] of url.searchParams) if (key !== 'action' && key !== 'invocation') payload[key] = value;
    return payload;
  };
  for (const [method, fallback] of [['GET', 'get'], ['DELETE', 'delete']] as const) {
    route(method, faas, async (_, [tenant, namespace, type], url, principal) => {
      if (invocation(url) === 'tell') throw new InvalidArgumentError(`${method} always asks; send invocation=tell with POST or PUT`);
      return { body: await s.ask(s.scope(principal, tenant, namespace), type, url.searchParams.get('action') ?? fallback, queryPayload(url)) };
    });
  }
  for (const method of ['POST', 'PUT']) {
    route(method, faas, async (request, [tenant, namespace, type], url, principal) => {
      const call = invocation(url) === 'call';
      const scope = s.scope(principal, tenant, namespace);
      const { action, payload } = actionOf(url, await context.json(request));
      if (call) return { body: await s.ask(scope, type, action, payload) };
      await s.tell(scope, type, action, payload);
      return { status: 202, body: { status: 'accepted' } };
    });
  }

  // Dead letters: the tenant's own (in the namespaces its token holds); an operator's, every tenant's unless `tenant` narrows it.
  route('GET', '/api/v1/dead-letters', async (_, __, url, principal) => {
    const limit = url.searchParams.get('limit');
    if (limit !== null && !/^[1-9][0-9]{0,5}$/.test(limit)) throw new InvalidArgumentError(`limit must be a positive integer, got ${shown(limit)}`);
    const deadLetters = s.listDeadLetters(principal, {
      tenant: url.searchParams.get('tenant') ?? undefined,
      namespace: url.searchParams.get('namespace') ?? undefined,
      limit: limit === null ? undefined : Number(limit),
    });
    return { body: { deadLetters } };
  });
}

function invocation(url: URL): 'call' | 'tell' | undefined {
  const value = url.searchParams.get('invocation');
  if (value === null) return undefined;
  if (value !== 'call' && value !== 'tell') throw new InvalidArgumentError(`invocation must be call (ask, answer the reply) or tell (202, no reply), got ${shown(value)}`);
  return value;
}

/** The handler and payload of a POST/PUT: `?action=` or the body's `"action"` (which the payload then leaves out). */
function actionOf(url: URL, body: unknown): { action: string; payload: unknown } {
  const query = url.searchParams.get('action');
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('action' in body)) return { action: query ?? 'invoke', payload: body };
  const { action, ...payload } = body as Record<string, unknown>;
  if (typeof action !== 'string') throw new InvalidArgumentError(`the body's "action" must be a string (the handler), got ${shown(action)}`);
  if (query !== null && query !== action) throw new InvalidArgumentError(`?action=${query} and the body's "action": ${shown(action)} disagree; send one`);
  return { action, payload };
}
