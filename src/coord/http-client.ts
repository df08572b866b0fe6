import { ForbiddenError, HttpRequestFailedError, InvalidArgumentError, PayloadTooLargeError, QuotaExceededError, shown } from '../errors.js';
import type { Scope } from './scope.js';

/**
 * What an application's actors may reach over HTTP (the manifest's
 * `[http_client]` table). Nothing is allowed unless listed: a WASM actor
 * has no network of its own (its WASI sockets refuse every use), so this
 * is its only way out.
 */
export interface HttpClientPolicy {
  /** Origins as `scheme://host[:port]` (http or https; the port defaults to the scheme's). A request must match one exactly. */
  readonly allow: readonly string[];
  /** Default timeout of a request, ms (default 10 000; an actor may ask for less, never more than `maxTimeoutMs`). */
  readonly timeoutMs?: number;
  /** Longest timeout an actor may ask for, ms (default 60 000). */
  readonly maxTimeoutMs?: number;
  /** Largest response body, bytes (default 1 MiB): a larger one fails with PLEX_ERR_PAYLOAD_TOO_LARGE. */
  readonly maxResponseBytes?: number;
  /** Largest request body, bytes (default 1 MiB). */
  readonly maxRequestBytes?: number;
}

/** Per-tenant limits across all of a tenant's actors on this node. */
export interface HttpClientQuotas {
  /** Requests in flight at once (default 16). */
  readonly concurrent?: number;
  /** Requests started in any 60 s window (default 600). */
  readonly perMinute?: number;
}

export interface HttpClientRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** 0: the policy's default. */
  readonly timeoutMs: number;
}

export interface HttpClientResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Headers an actor may not set: they would let it speak for another host or smuggle a second request. */
const FORBIDDEN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'te', 'trailer', 'keep-alive']);
const WINDOW_MS = 60_000;

/**
 * Outbound HTTP for actors (wit/platform/http-client.wit). Policies are
 * keyed by module-name prefix: an application's modules are named
 * `tenant:application:file`, so the application registry registers its
 * manifest's policy under `tenant:application:`. A request is checked
 * before anything leaves the node — method, origin against the allow list,
 * headers, body size, the tenant's quotas — and redirects are not followed
 * (a 3xx is answered to the actor as it is), so an allowed origin cannot
 * bounce a request to one that is not.
 */
export class HttpClientService {
  private readonly policies = new Map<string, { policy: HttpClientPolicy; origins: Set<string> }>();
  private readonly inFlight = new Map<string, number>();
  private readonly started = new Map<string, number[]>();
  private readonly concurrent: number;
  private readonly perMinute: number;

  constructor(quotas: HttpClientQuotas = {}) {
    this.concurrent = positive('concurrent', quotas.concurrent ?? 16);
    this.perMinute = positive('perMinute', quotas.perMinute ?? 600);
  }

  /** Sets the policy of the modules whose names start with `modulePrefix` (replacing any it had); checks every origin. */
  setPolicy(modulePrefix: string, policy: HttpClientPolicy): void {
    if (!Array.isArray(policy.allow)) throw new InvalidArgumentError('http_client.allow must be a list of origins');
    const origins = new Set(policy.allow.map((entry) => originOf(entry, 'http_client.allow')));
    for (const [key, value] of [['timeoutMs', policy.timeoutMs], ['maxTimeoutMs', policy.maxTimeoutMs], ['maxResponseBytes', policy.maxResponseBytes], ['maxRequestBytes', policy.maxRequestBytes]] as const) {
      if (value !== undefined) positive(key, value);
    }
    this.policies.set(modulePrefix, { policy, origins });
  }

  removePolicy(modulePrefix: string): void {
    this.policies.delete(modulePrefix);
  }

  /** Performs `request` for an actor of `moduleName` in `scope`; every refusal is a typed error naming why. */
  async request(scope: Scope, moduleName: string, request: HttpClientRequest): Promise<HttpClientResponse> {
    const found = this.policyOf(moduleName);
    const method = request.method.toUpperCase();
    if (!METHODS.has(method)) throw new InvalidArgumentError(`HTTP method ${shown(request.method)} is not one of ${[...METHODS].join(', ')}`);
    const origin = originOf(request.url, 'url');
    if (found === undefined || !found.origins.has(origin)) {
      throw new ForbiddenError(`${origin} is not an origin the application's manifest allows ([http_client] allow = ${JSON.stringify(found === undefined ? [] : [...found.origins])})`);
    }
    const { policy } = found;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value !== 'string') throw new InvalidArgumentError(`header ${shown(name)} must be a string`);
      if (FORBIDDEN_HEADERS.has(name.toLowerCase())) throw new ForbiddenError(`an actor may not set the ${name} header`);
      headers[name] = value;
    }
    const maxRequest = policy.maxRequestBytes ?? 1024 * 1024;
    if (Buffer.byteLength(request.body) > maxRequest) throw new PayloadTooLargeError(`the request body is ${Buffer.byteLength(request.body)} bytes, over the ${maxRequest}-byte limit`);
    if (request.body !== '' && (method === 'GET' || method === 'HEAD')) throw new InvalidArgumentError(`a ${method} request has no body`);
    const timeoutMs = Math.min(request.timeoutMs > 0 ? request.timeoutMs : (policy.timeoutMs ?? 10_000), policy.maxTimeoutMs ?? 60_000);
    this.admit(scope.tenant);
    try {
      let response: Response;
      try {
        response = await fetch(request.url, { method, headers, body: request.body === '' ? undefined : request.body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      } catch (cause) {
        const error = cause as Error & { cause?: { code?: string } };
        const why = error.name === 'TimeoutError' ? `no response within ${timeoutMs} ms` : (error.cause?.code ?? error.message);
        throw new HttpRequestFailedError(`${method} ${request.url}: ${why}`, { cause });
      }
      const body = await readLimited(response, policy.maxResponseBytes ?? 1024 * 1024, `${method} ${request.url}`, timeoutMs);
      const out: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        out[name] = value;
      });
      return { status: response.status, headers: out, body };
    } finally {
      this.release(scope.tenant);
    }
  }

  private policyOf(moduleName: string): { policy: HttpClientPolicy; origins: Set<string> } | undefined {
    let best: { policy: HttpClientPolicy; origins: Set<string> } | undefined;
    let length = -1;
    for (const [prefix, entry] of this.policies) {
      if (moduleName.startsWith(prefix) && prefix.length > length) {
        best = entry;
        length = prefix.length;
      }
    }
    return best;
  }

  private admit(tenant: string): void {
    const now = Date.now();
    const recent = (this.started.get(tenant) ?? []).filter((t) => t > now - WINDOW_MS);
    if (recent.length >= this.perMinute) throw new QuotaExceededError('http_requests_per_minute', this.perMinute, `tenant ${tenant}`);
    const inFlight = this.inFlight.get(tenant) ?? 0;
    if (inFlight >= this.concurrent) throw new QuotaExceededError('http_requests_in_flight', this.concurrent, `tenant ${tenant}`);
    recent.push(now);
    this.started.set(tenant, recent);
    this.inFlight.set(tenant, inFlight + 1);
  }

  private release(tenant: string): void {
    const left = (this.inFlight.get(tenant) ?? 1) - 1;
    if (left <= 0) this.inFlight.delete(tenant);
    else this.inFlight.set(tenant, left);
  }
}

/** `https://Example.com/x` → `https://example.com:443`; anything but an http(s) URL is an error. */
export function originOf(text: string, what: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`${what}: ${shown(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`${what}: ${shown(text)} is not an http or https URL`);
  if (url.username !== '' || url.password !== '') throw new InvalidArgumentError(`${what}: ${shown(text)} carries credentials; pass them as a header`);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `${url.protocol}//${url.hostname}:${port}`;
}

async function readLimited(response: Response, limit: number, what: string, timeoutMs: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new PayloadTooLargeError(`${what}: the response body is ${declared} bytes, over the ${limit}-byte limit`);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw new PayloadTooLargeError(`${what}: the response body passed the ${limit}-byte limit`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    throw new HttpRequestFailedError(`${what}: the response broke off (${(error as Error).name === 'TimeoutError' ? `no body within ${timeoutMs} ms` : (error as Error).message})`, { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}

function positive(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(`${what} must be a positive integer, got ${shown(value)}`);
  return value;
}
