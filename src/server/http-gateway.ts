import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TraceCarrier } from '../tracing/node-tracing.js';
import { finished } from 'node:stream';
import { ErrorCode, InvalidArgumentError, PlexError, shown } from '../errors.js';
import { OPEN, type Principal } from './auth.js';
import { metricsForTenant } from './metrics-view.js';
import { checkJsonTextDepth } from './json-input.js';
import { defineApplicationRoutes } from './application-routes.js';
import { defineFaasRoutes, type FaasRouteContext as RouteContext } from './faas-routes.js';
import { MAX_REMOTE_WAIT_MS, type NodeService } from './node-service.js';
import { defineDocRoutes } from './openapi/serve.js';
import { defineDashboardRoutes } from './dashboard-routes.js';
import { optionalNumber, optionalString } from './body-fields.js';
import { defineTupleSpaceRoutes } from './tuple-space-routes.js';
import { definePipelineRoutes } from './pipeline-routes.js';

export interface HttpGatewayOptions {
  /** Largest JSON body, bytes. Default 1 MiB. */
  readonly maxJsonBytes?: number;
  /** Largest deploy (multipart) body, bytes. Default 64 MiB. */
  readonly maxDeployBytes?: number;
}

/** HTTP status for each error code a request can end with. */
const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.InvalidTuple]: 400,
  [ErrorCode.InvalidTemplate]: 400,
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.InvalidName]: 400,
  [ErrorCode.InvalidModule]: 400,
  [ErrorCode.Usage]: 400,
  [ErrorCode.TupleTooLarge]: 413,
  [ErrorCode.ModuleNotFound]: 404,
  [ErrorCode.ActorNotFound]: 404,
  [ErrorCode.ShardGroupNotFound]: 404,
  [ErrorCode.ActorExists]: 409,
  [ErrorCode.ShardGroupExists]: 409,
  [ErrorCode.AskTimeout]: 504,
  [ErrorCode.Backpressure]: 503,
  [ErrorCode.BackendUnavailable]: 503,
  [ErrorCode.NodeDown]: 503,
  [ErrorCode.ActorMoved]: 503,
  [ErrorCode.NoMatchingNode]: 503,
  [ErrorCode.SpaceClosed]: 503,
  [ErrorCode.RuntimeClosed]: 503,
  [ErrorCode.ActorTrapped]: 502,
  [ErrorCode.KernelFailed]: 502,
  [ErrorCode.HttpRequestFailed]: 502,
  [ErrorCode.EvalFailed]: 502,
  [ErrorCode.PipelineNotFound]: 404,
  [ErrorCode.PipelineExists]: 409,
  [ErrorCode.PipelineFailed]: 502,
  [ErrorCode.PipelineEnded]: 409,
  [ErrorCode.ActorTimeout]: 502,
  [ErrorCode.ActorMemoryLimit]: 502,
  [ErrorCode.ActorFailed]: 502,
  [ErrorCode.ActorExited]: 502,
  [ErrorCode.Aborted]: 499,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.InvalidManifest]: 400,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.LockTimeout]: 409,
  [ErrorCode.LockFenced]: 409,
  [ErrorCode.ChannelClosed]: 410,
  // A delivery whose lease ended first: the tuple went back to the space.
  [ErrorCode.LeaseExpired]: 410,
  [ErrorCode.AlreadySettled]: 409,
  [ErrorCode.TransactionConflict]: 409,
  [ErrorCode.Escalated]: 503,
  [ErrorCode.FacetRejected]: 403,
  // 429: the tenant may retry once it has freed something (stopped actors, taken tuples).
  [ErrorCode.QuotaExceeded]: 429,
  // 409: the request is well formed, but the node's state (its applications, a running actor) does not let it through as asked.
  [ErrorCode.AmbiguousActor]: 409,
  [ErrorCode.ActorConflict]: 409,
  PLEX_ERR_NOT_FOUND: 404,
  PLEX_ERR_METHOD_NOT_ALLOWED: 405,
  PLEX_ERR_BODY_TOO_LARGE: 413,
  PLEX_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
};

/** A failure of the HTTP layer itself (route, method, body), with the code it answers. */
class HttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A handler's answer: JSON `body`, `text` with its content type (metrics), or raw `bytes` (blobs).
 * `settle` is told whether the reply reached the client's socket: a take puts its tuple back when not.
 */
export type Reply = { status?: number; body?: unknown; text?: string; bytes?: Uint8Array; contentType?: string; settle?: (delivered: boolean) => Promise<void> };
/** `signal` aborts when the client goes away before its reply is out (a blocking wait stops at once). */
export type Handler = (request: IncomingMessage, params: string[], url: URL, principal: Principal, signal: AbortSignal) => Promise<Reply>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
  /** Answered without a token even with auth on (health checks, metrics). */
  readonly open: boolean;
  /** The metrics label: method and path template. */
  readonly operation: string;
}

const SEGMENT = '([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})';
/** The rest of the path (a blob id may contain `/`), percent-decoded by the handler. */
const REST_SEGMENT = '(.{1,2048})';
/** An actor id segment: also `kind:key` for virtual actors. */
const ACTOR_SEGMENT = '([A-Za-z0-9_][A-Za-z0-9_.:-]{0,127})';

/**
 * The HTTP surface: the routes PlexSpaces users know (deploy, ask by
 * actor, FaaS invocation by tenant/namespace/actor type) plus tuple-space
 * and shard-group routes. JSON in, JSON out; every error is
 * `{"error": {"code": "PLEX_ERR_…", "message": …}}` with a fitting status.
 */
export class HttpGateway {
  readonly server: Server;
  private readonly routes: Route[] = [];
  private readonly maxJsonBytes: number;
  private readonly maxDeployBytes: number;

  constructor(
    private readonly service: NodeService,
    options: HttpGatewayOptions = {},
  ) {
    this.maxJsonBytes = options.maxJsonBytes ?? 1 << 20;
    this.maxDeployBytes = options.maxDeployBytes ?? 64 << 20;
    this.server = createServer((request, response) => void this.handle(request, response));
    this.defineRoutes();
  }

  /** Listens on `port` (0: a free one) on `host`; resolves with the port. */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting connections and ends idle keep-alive ones; in-flight requests finish. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Every route's method and path template (`{}` segments), for the OpenAPI agreement test. */
  get routeTable(): { method: string; path: string }[] {
    return this.routes.map((r) => ({ method: r.method, path: r.operation.slice(r.method.length + 1) }));
  }

  private route(method: string, path: string, handler: Handler, open = false): void {
    this.routes.push({ method, pattern: new RegExp(`^${path.replaceAll('{actor}', ACTOR_SEGMENT).replaceAll('{rest}', REST_SEGMENT).replaceAll('{}', SEGMENT)}$`), handler, open, operation: `${method} ${path}` });
  }

  /** What route files (faas-routes.ts, application-routes.ts) need: registration and the body readers with their limits. */
  private routeContext(): RouteContext {
    return {
      route: (method, path, handler) => this.route(method, path, handler),
      json: (request) => this.json(request),
      object: (request) => this.object(request),
      multipart: (request) => this.multipart(request),
    };
  }

  private defineRoutes(): void {
    const s = this.service;
    defineDocRoutes((method, path, handler) => this.route(method, path, handler, true));
    defineDashboardRoutes((method, path, handler, open) => this.route(method, path, handler, open), s.dashboard);
    this.route('GET', '/api/v1/health', async () => ({ body: { status: 'ok' } }), true);
    this.route('GET', '/api/v1/info', async (_, __, ___, principal) => ({ body: s.info(principal) }));
    this.route('GET', '/api/v1/nodes', async () => ({ body: await s.nodes() }));
    // Before a planned stop: this node's durable actors move to the others (an operator's action).
    this.route('POST', '/api/v1/cluster/drain', async (_, __, ___, principal) => ({ body: await s.drain(principal) }));
    if (s.metrics !== undefined) {
      const metrics = s.metrics;
      // With auth on, /metrics needs a token like every other route: an operator reads everything, a tenant its own series.
      this.route(
        'GET',
        '/metrics',
        async (_, __, ___, principal) => {
          const text = await metrics.text();
          return { text: principal.operator ? text : metricsForTenant(text, principal.tenant), contentType: metrics.contentType };
        },
        !s.gate.enabled,
      );
    }

    // Applications and actors (the routes of the PlexSpaces articles).
    defineApplicationRoutes(this.routeContext(), s);
    // `tenant` and `namespace` are optional body fields (a bundle's actors run in the namespace it was deployed to).
    this.route('POST', '/api/v1/actors/{actor}/ask', async (request, [id], _, principal) => {
      const body = await this.object(request);
      const scope = s.scope(principal, optionalString(body.tenant, 'tenant'), optionalString(body.namespace, 'namespace'));
      const reply = await s.ask(scope, id, body.message_type as string, body.payload, { application: optionalString(body.application_id, 'application_id') });
      return { body: reply };
    });
    this.route('POST', '/api/v1/actors/{actor}/tell', async (request, [id], _, principal) => {
      const body = await this.object(request);
      await s.tell(s.scope(principal, optionalString(body.tenant, 'tenant'), optionalString(body.namespace, 'namespace')), id, body.message_type as string, body.payload, { application: optionalString(body.application_id, 'application_id') });
      return { status: 202, body: { status: 'accepted' } };
    });

    // The scope's actors and where each runs: the whole cluster's (its directory), or this node's alone.
    this.route('GET', '/api/v1/actors', async (_, __, url, principal) => ({
      body: { actors: await s.whereActors(s.scope(principal, url.searchParams.get('tenant') || undefined, url.searchParams.get('namespace') || undefined)) },
    }));
    // Stops an actor on whichever node of the cluster runs it (the gRPC StopActor, over HTTP); its scope in the query.
    this.route('DELETE', '/api/v1/actors/{actor}', async (_, [id], url, principal) => {
      await s.stopActor(s.scope(principal, url.searchParams.get('tenant') || undefined, url.searchParams.get('namespace') || undefined), id);
      return { body: { stopped: true } };
    });

    // The second article's routes: deploy by actor type, FaaS by tenant/namespace/actor type, dead letters.
    defineFaasRoutes(this.routeContext(), s);

    const bodyOf = (request: IncomingMessage) => this.object(request);

    // Blobs: PUT/GET/DELETE /api/v1/blobs/{tenant}/{namespace}/{blob id, may contain '/'}; GET …/{namespace} lists.
    const blobs = '/api/v1/blobs/{}/{}';
    this.route('GET', blobs, async (_, [tenant, namespace], url, principal) => ({ body: { blobs: await s.blobList(s.scope(principal, tenant, namespace), url.searchParams.get('prefix') ?? '') } }));
    this.route('PUT', `${blobs}/{rest}`, async (request, [tenant, namespace, id], __, principal) => {
      const scope = s.scope(principal, tenant, namespace); // refuse a foreign tenant before reading the body
      const data = await this.body(request, this.maxDeployBytes);
      return { status: 201, body: await s.blobPut(scope, blobIdOf(id), new Uint8Array(data), request.headers['content-type']) };
    });
    this.route('GET', `${blobs}/{rest}`, async (_, [tenant, namespace, id], __, principal) => {
      const blob = await s.blobGet(s.scope(principal, tenant, namespace), blobIdOf(id));
      return { bytes: blob.data, contentType: blob.info.contentType };
    });
    this.route('DELETE', `${blobs}/{rest}`, async (_, [tenant, namespace, id], __, principal) => ({ body: { deleted: await s.blobDelete(s.scope(principal, tenant, namespace), blobIdOf(id)) } }));

    // Key-value: POST /api/v1/kv/{tenant}/{namespace}/{get|put|delete|list}; keys travel in the body (they may contain '/').
    const kv = '/api/v1/kv/{}/{}';
    this.route('POST', `${kv}/get`, async (request, [tenant, namespace], __, principal) => {
      const body = await bodyOf(request);
      return { body: { entry: await s.kvGet(s.scope(principal, tenant, namespace), body.key as string) } };
    });
    this.route('POST', `${kv}/put`, async (request, [tenant, namespace], __, principal) => {
      const body = await bodyOf(request);
      await s.kvPut(s.scope(principal, tenant, namespace), body.key as string, body.value as string, optionalNumber(body.ttlMs, 'ttlMs'));
      return { status: 201, body: { put: 1 } };
    });
    this.route('POST', `${kv}/delete`, async (request, [tenant, namespace], __, principal) => {
      const body = await bodyOf(request);
      return { body: { deleted: await s.kvDelete(s.scope(principal, tenant, namespace), body.key as string) } };
    });
    this.route('POST', `${kv}/list`, async (request, [tenant, namespace], __, principal) => {
      const body = await bodyOf(request);
      return { body: { entries: await s.kvList(s.scope(principal, tenant, namespace), optionalString(body.prefix, 'prefix') ?? '', optionalNumber(body.limit, 'limit')) } };
    });
    // Tuple spaces: tuple-space-routes.ts.
    defineTupleSpaceRoutes(this.routeContext(), s);
    // Dataflow pipelines: pipeline-routes.ts.
    definePipelineRoutes(this.routeContext(), s);

    // Shard groups: /api/v1/shard-groups/{tenant}/{namespace}[/{id}[/{operation}]].
    const sg = '/api/v1/shard-groups/{}/{}';
    this.route('GET', sg, async (_, [tenant, namespace], __, principal) => ({ body: { groups: await s.listGroups(s.scope(principal, tenant, namespace)) } }));
    this.route('POST', sg, async (request, [tenant, namespace], __, principal) => {
      const body = await bodyOf(request);
      return {
        status: 201,
        body: await s.createGroup(
          s.scope(principal, tenant, namespace),
          {
            id: body.id as string,
            application: body.application as string,
            shards: body.shards as number,
            partition: body.partition as 'hash' | 'consistent-hash' | undefined,
            config: optionalString(body.config, 'config'),
          },
        ),
      };
    });
    this.route('DELETE', `${sg}/{}`, async (_, [tenant, namespace, id], __, principal) => {
      await s.deleteGroup(s.scope(principal, tenant, namespace), id);
      return { body: { deleted: id } };
    });
    this.route('POST', `${sg}/{}/bulk-update`, async (request, [tenant, namespace, id], __, principal) => {
      const body = await bodyOf(request);
      return { body: await s.bulkUpdate(s.scope(principal, tenant, namespace), id, body.entries, body.consistency as 'all' | 'eventual' | undefined) };
    });
    this.route('POST', `${sg}/{}/scatter-gather`, async (request, [tenant, namespace, id], __, principal) => {
      const body = await bodyOf(request);
      return { body: await s.scatterGather(s.scope(principal, tenant, namespace), id, body.type as string, body.payload, gatherOptions(body)) };
    });
    this.route('POST', `${sg}/{}/reduce`, async (request, [tenant, namespace, id], __, principal) => {
      const body = await bodyOf(request);
      return { body: await s.reduce(s.scope(principal, tenant, namespace), id, body.type as string, body.payload, { ...gatherOptions(body), op: body.op as never, path: optionalString(body.path, 'path') }) };
    });
    this.route('POST', `${sg}/{}/barrier`, async (request, [tenant, namespace, id], __, principal) => {
      const body = await bodyOf(request);
      return { body: await s.barrier(s.scope(principal, tenant, namespace), id, body.round as number, gatherOptions(body)) };
    });
    this.route('POST', `${sg}/{}/scale`, async (request, [tenant, namespace, id], __, principal) => {
      const body = await bodyOf(request);
      return { body: await s.scale(s.scope(principal, tenant, namespace), id, body.shards as number) };
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // The response closes before it finished only when the client went away. (The request's
    // own 'close' is no use: it fires as soon as the body has been read.)
    const hangUp = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) hangUp.abort(new HttpError('PLEX_ERR_ABORTED', 'the client closed the connection'));
    });
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      let allowed: string[] = [];
      for (const route of this.routes) {
        const match = route.pattern.exec(url.pathname);
        if (match === null) continue;
        if (route.method !== request.method) {
          allowed.push(route.method);
          continue;
        }
        const reply = await this.service.observe('http', route.operation, async () => {
          const principal = route.open ? OPEN : await this.service.gate.principal(request.headers.authorization);
          return route.handler(request, match.slice(1), url, principal, hangUp.signal);
        }, request.headers as TraceCarrier);
        const settle = reply.settle;
        if (settle !== undefined && hangUp.signal.aborted) {
          await settle(false); // nobody is left to answer
          return;
        }
        try {
          if (reply.bytes !== undefined) {
            response.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/octet-stream', 'content-length': reply.bytes.byteLength });
            response.end(reply.bytes);
          } else if (reply.text !== undefined) {
            response.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(reply.text) });
            response.end(reply.text);
          } else {
            send(response, reply.status ?? 200, reply.body);
          }
        } catch (error) {
          await settle?.(false);
          throw error;
        }
        // 'finish': the whole reply went to the socket; a close before it: it did not.
        if (settle !== undefined) finished(response, (error) => void settle(error === undefined || error === null));
        return;
      }
      allowed = [...new Set(allowed)];
      if (allowed.length > 0) {
        response.setHeader('allow', allowed.join(', '));
        throw new HttpError('PLEX_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${url.pathname} (allowed: ${allowed.join(', ')})`);
      }
      throw new HttpError('PLEX_ERR_NOT_FOUND', `no route ${request.method} ${url.pathname}`);
    } catch (error) {
      const code = error instanceof PlexError || error instanceof HttpError ? error.code : 'PLEX_ERR_INTERNAL';
      const status = STATUS[code] ?? 500;
      const message = status === 500 && !(error instanceof PlexError) ? `internal error: ${(error as Error).message}` : (error as Error).message;
      if (!response.headersSent) send(response, status, { error: { code, message } });
      else response.destroy();
      // A body we refused to read leaves the socket in an unknown state: do not reuse it.
      if (code === 'PLEX_ERR_BODY_TOO_LARGE') request.destroy();
    }
  }

  private async body(request: IncomingMessage, limit: number): Promise<Buffer> {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) throw new HttpError('PLEX_ERR_BODY_TOO_LARGE', `the body is ${declared} bytes; this route takes at most ${limit}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError('PLEX_ERR_BODY_TOO_LARGE', `the body passed ${limit} bytes, the limit of this route`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /** A JSON body that must be an object (every route's named fields); `null`, arrays and scalars are refused. */
  private async object(request: IncomingMessage): Promise<Record<string, unknown>> {
    const body = await this.json(request);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidArgumentError(`the body must be a JSON object, got ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`);
    }
    return body as Record<string, unknown>;
  }

  private async json(request: IncomingMessage): Promise<unknown> {
    const type = request.headers['content-type'] ?? 'application/json';
    // `curl -d '{…}'` labels JSON as a form: take it when the body is JSON text.
    const curlForm = /^application\/x-www-form-urlencoded\b/i.test(type);
    if (!/^application\/json\b/i.test(type) && !/^text\/plain\b/i.test(type) && !curlForm) throw new HttpError('PLEX_ERR_UNSUPPORTED_MEDIA_TYPE', `send JSON (content-type application/json), got ${type}`);
    const raw = await this.body(request, this.maxJsonBytes);
    if (curlForm && raw.length > 0 && raw[0] !== 0x7b && raw[0] !== 0x5b) throw new HttpError('PLEX_ERR_UNSUPPORTED_MEDIA_TYPE', 'send JSON (content-type application/json); form fields are not accepted');
    if (raw.length === 0) return {};
    // Before parsing: a deep body would pass JSON.parse and then overflow the stack of whatever walks it.
    checkJsonTextDepth(raw);
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (cause) {
      throw new InvalidArgumentError(`the body is not valid JSON: ${(cause as Error).message}`);
    }
  }

  private async multipart(request: IncomingMessage): Promise<FormData> {
    const type = request.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\b/i.test(type)) throw new HttpError('PLEX_ERR_UNSUPPORTED_MEDIA_TYPE', `deploy takes multipart/form-data, got ${type || 'no content-type'}`);
    const raw = await this.body(request, this.maxDeployBytes);
    try {
      return await new Request('http://localhost/', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(raw) }).formData();
    } catch (cause) {
      throw new InvalidArgumentError(`malformed multipart body: ${(cause as Error).message}`);
    }
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_, value: unknown) => (typeof value === 'bigint' ? { $int: value.toString() } : value));
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text ?? 'null') });
  response.end(text ?? 'null');
}

/** A blob id from the rest of the path (percent-encoded by clients). */
function blobIdOf(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidArgumentError(`the blob id ${shown(raw)} is not valid percent-encoding`);
  }
}

function gatherOptions(body: Record<string, unknown>) {
  const deadlineMs = optionalNumber(body.deadlineMs, 'deadlineMs');
  return {
    deadlineMs: deadlineMs === undefined ? undefined : Math.min(deadlineMs, MAX_REMOTE_WAIT_MS),
    minResponses: optionalNumber(body.minResponses, 'minResponses'),
    aggregate: body.aggregate as 'concat' | 'merge' | 'first' | 'majority' | undefined,
  };
}
