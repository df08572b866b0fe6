import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { NodeServer } from '../../src/server/node-server.js';
import { openApiDocument } from '../../src/server/openapi/document.js';
import { anonymous, openApiErrors, operationOf, operations, pointerOf, SchemaChecker, type Operation } from '../support/openapi-check.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const document = openApiDocument() as Record<string, any>;
const checker = new SchemaChecker(document);
const servers: { node: PlexNode; server: NodeServer; base: string }[] = [];
let open: string;
let guarded: string;
let kvShard: Uint8Array;
let bank: Uint8Array;

async function start(auth?: boolean) {
  const node = new PlexNode({ dataDir: null, workers: 1 });
  const server = new NodeServer(node, { httpPort: 0, grpcPort: 0, ...(auth ? { auth: { enabled: true, algorithm: 'HS256' as const, secret: SECRET } } : {}) });
  const base = (await server.listen()).http;
  servers.push({ node, server, base });
  return base;
}

beforeAll(async () => {
  [kvShard, bank] = await Promise.all([
    buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts')).then((b) => b.component),
    buildActor(join(import.meta.dirname, '../fixtures/sdk/bank-account.ts')).then((b) => b.component),
  ]);
  [open, guarded] = await Promise.all([start(), start(true)]);
}, 120_000);
afterAll(async () => {
  for (const { server, node } of servers) {
    await server.close();
    await node.stop();
  }
});

/** One request of the table: what to send, and the status it must get. */
interface Call {
  readonly method: string;
  readonly path: string;
  /** A JSON body; a function makes it when the call is sent (from what earlier calls answered). */
  readonly json?: unknown;
  readonly body?: BodyInit;
  readonly contentType?: string;
  readonly status: number;
  /** Told the reply's JSON (when it is JSON), for later calls. */
  readonly then?: (reply: any) => void;
}

const call = (method: string, path: string, status: number, json?: unknown): Call => ({ method, path, status, json });
const post = (path: string, status: number, json: unknown): Call => call('POST', path, status, json);

function deployForm(applicationId: string, name: string, wasm: Uint8Array): FormData {
  const form = new FormData();
  form.set('application_id', applicationId);
  form.set('name', name);
  form.set('version', '1.0.0');
  form.set('wasm_file', new Blob([new Uint8Array(wasm)]), `${name}.wasm`);
  return form;
}

/** The article's deploy form: `actor_type` and `wasm`. */
function typeForm(actorType: string, wasm: Uint8Array): FormData {
  const form = new FormData();
  form.set('actor_type', actorType);
  form.set('wasm', new Blob([new Uint8Array(wasm)]), 'actor.wasm');
  return form;
}

/** A representative call of every route (in an order that builds what later ones use), and a failure of many. */
function table(): Call[] {
  const ts = '/api/v1/tuplespace/acme/jobs/queue';
  const kv = '/api/v1/kv/acme/prod';
  const blob = '/api/v1/blobs/acme/prod';
  const sg = '/api/v1/shard-groups/default/default';
  const faas = '/api/v1/actors/default/api/bank-account';
  const pl = '/api/v1/pipelines/default/default';
  let held = '';
  const hold: Pick<Call, 'then'> = { then: (reply: { deliveryId: string }) => (held = reply.deliveryId) };
  const settle = (outcome: string): Call => ({ ...call('POST', `/api/v1/tuplespace/acme/jobs/deliveries/${outcome}`, 200), json: () => ({ deliveryId: held }) });
  return [
    call('GET', '/', 200),
    call('GET', '/api/v1/health', 200),
    call('GET', '/api/v1/info', 200),
    call('GET', '/api/v1/nodes', 200),
    call('GET', '/metrics', 200),
    call('GET', '/api/v1/openapi.json', 200),
    call('GET', '/docs', 200),
    call('GET', '/docs/swagger-ui.css', 200),
    call('GET', '/docs/index.html', 404),
    call('GET', '/dashboard', 200),
    call('GET', '/dashboard/app.js', 200),
    call('GET', '/dashboard/uplot.css', 200),
    call('GET', '/dashboard/index.html', 404),
    call('GET', '/api/v1/dashboard/session', 200),
    call('GET', '/api/v1/dashboard/overview', 200),
    call('GET', '/api/v1/dashboard/overview?history=false', 200),
    call('GET', '/api/v1/dashboard/benchmarks', 200),
    call('GET', '/api/v1/dashboard/pipelines', 200),
    { method: 'POST', path: '/api/v1/applications/deploy', body: deployForm('bank-account', 'bank-account', bank), status: 201 },
    { method: 'POST', path: '/api/v1/applications/deploy', body: deployForm('kv', 'kv-shard', kvShard), status: 201 },
    { method: 'POST', path: '/api/v1/applications/deploy', body: deployForm('broken', 'broken', new TextEncoder().encode('not wasm')), status: 400 },
    post('/api/v1/applications/deploy', 415, {}),
    post('/api/v1/actors/account-alice/ask', 200, { message_type: 'deposit', payload: { amount: 5 }, application_id: 'bank-account' }),
    post('/api/v1/actors/ghost/ask', 404, { message_type: 'x' }),
    post('/api/v1/actors/account-alice/tell', 202, { message_type: 'deposit', payload: { amount: 1 }, application_id: 'bank-account' }),
    post('/api/v1/actors/account-alice/tell', 400, []),
    post('/api/v1/actors/account-bob/ask', 200, { message_type: 'deposit', payload: { amount: 5 }, application_id: 'bank-account' }),
    call('GET', '/api/v1/actors', 200),
    call('GET', '/api/v1/dashboard/actors', 200),
    call('GET', '/api/v1/dashboard/actors/default/default/account-alice', 200),
    call('GET', '/api/v1/dashboard/actors/default/default/ghost', 404),
    call('GET', '/api/v1/dashboard/applications', 200),
    call('POST', '/api/v1/cluster/drain', 400),
    call('GET', '/api/v1/actors?namespace=bad%20name', 400),
    call('DELETE', '/api/v1/actors/account-bob', 200),
    call('DELETE', '/api/v1/actors/account-bob', 404),
    call('GET', `${faas}?action=balance`, 200),
    call('DELETE', `${faas}?action=balance`, 200),
    post(`${faas}?action=deposit`, 202, { amount: 1 }),
    call('PUT', `${faas}?action=deposit`, 202, { amount: 1 }),
    call('GET', '/api/v1/actors/globex/api/bank-account?action=balance', 404),
    call('GET', `${faas}?action=balance&invocation=tell`, 400),
    post(`${faas}?invocation=call`, 200, { action: 'deposit', amount: 1 }),
    post(`${faas}?action=no-such-handler`, 202, {}),
    call('GET', '/api/v1/dead-letters?limit=10', 200),
    call('GET', '/api/v1/dead-letters?limit=0', 400),
    { method: 'POST', path: '/api/v1/deploy', body: typeForm('counter', bank), status: 201 },
    { method: 'POST', path: '/api/v1/deploy', body: typeForm('', bank), status: 400 },
    call('GET', '/api/v1/applications', 200),
    call('GET', '/api/v1/applications?tenant=bad%20tenant', 400),
    { method: 'POST', path: '/api/v1/applications/deploy', body: deployForm('short-lived', 'short-lived', bank), status: 201 },
    call('DELETE', '/api/v1/applications/short-lived', 200),
    call('DELETE', '/api/v1/applications/short-lived', 404),
    post(`${ts}/write`, 201, { tuple: ['job', 1, { $int: '9007199254740993' }, { $bytes: 'AQID' }] }),
    post(`${ts}/write`, 400, { tuple: 'not a tuple' }),
    { method: 'POST', path: `${ts}/write`, body: '<tuple/>', contentType: 'application/xml', status: 415 },
    post(`${ts}/write-all`, 201, { tuples: [['job', 2], ['job', 3], ['job', 4]] }),
    post(`${ts}/eval`, 201, { tuple: ['evaluated', { $eval: { actor: 'nobody', message: 'ping' } }], timeoutMs: 5000 }),
    post(`${ts}/eval`, 400, { tuple: ['evaluated', { $eval: { module: 'm' } }] }),
    // A pipeline of the deployed bank-account module: it has no `process` handler, so its one tuple fails and is dead-lettered.
    post(pl, 201, { name: 'p1', stages: [{ name: 's', module: 'bank-account', input: ['pl', null], maxAttempts: 1 }] }),
    post(pl, 409, { name: 'p1', stages: [{ name: 's', module: 'bank-account', input: ['pl', null] }] }),
    post(pl, 400, { name: 'p2', stages: [{ name: 's', module: 'bank-account', input: 'x' }] }),
    post(pl, 404, { name: 'p3', stages: [{ name: 's', module: 'ghost', input: ['a'] }] }),
    call('GET', pl, 200),
    call('GET', `${pl}/p1`, 200),
    call('GET', `${pl}/ghost`, 404),
    post(`${pl}/p1/write`, 201, { tuples: [['pl', 1]] }),
    post(`${pl}/p1/write`, 400, { tuples: [['nomatch']] }),
    post(`${pl}/p1/scale`, 200, { stage: 's', instances: 2 }),
    post(`${pl}/p1/scale`, 400, { stage: 'nope', instances: 2 }),
    post(`${pl}/p1/end`, 202, {}),
    post(`${pl}/p1/drain`, 200, { timeoutMs: 60_000 }),
    post(`${pl}/p1/write`, 409, { tuples: [['pl', 2]] }),
    call('DELETE', `${pl}/p1`, 200),
    call('DELETE', `${pl}/p1`, 404),
    post(`${ts}/read`, 200, { template: ['job', 1, null, null] }),
    post(`${ts}/read`, 200, { template: ['none'] }),
    post(`${ts}/take`, 200, { template: ['job', 2] }),
    post(`${ts}/read-all`, 200, { template: ['job', null], limit: 10 }),
    post(`${ts}/count`, 200, { template: ['job', null] }),
    call('GET', '/api/v1/dashboard/spaces', 200),
    { ...post(`${ts}/take-with-ack`, 200, { template: ['job', 3], leaseMs: 60_000 }), ...hold },
    settle('nack'),
    { ...post(`${ts}/take-with-ack`, 200, { template: ['job', 3] }), ...hold },
    settle('ack'),
    post(`${ts}/take-with-ack`, 200, { template: ['none'] }),
    post(`${ts}/take-all`, 200, { template: ['job', null] }),
    post('/api/v1/tuplespace/acme/jobs/deliveries/ack', 400, { deliveryId: 'unknown' }),
    post(`${kv}/put`, 201, { key: 'user/1', value: 'ada', ttlMs: 60_000 }),
    post(`${kv}/put`, 400, { key: '', value: 'v' }),
    post(`${kv}/get`, 200, { key: 'user/1' }),
    post(`${kv}/list`, 200, { prefix: 'user/' }),
    call('GET', '/api/v1/dashboard/coordination/acme/prod?lock=leader', 200),
    call('GET', `/api/v1/dashboard/coordination/acme/prod?lock=${'x'.repeat(2000)}`, 400),
    call('GET', '/api/v1/dashboard/jobs', 200),
    call('POST', '/api/v1/dashboard/jobs/no-such-job/cancel', 400),
    post(`${kv}/delete`, 200, { key: 'user/1' }),
    { method: 'PUT', path: `${blob}/reports/2026/q1.csv`, body: 'a,b\n1,2\n', contentType: 'text/csv', status: 201 },
    call('GET', `${blob}/reports/2026/q1.csv`, 200),
    call('GET', `${blob}?prefix=reports/`, 200),
    call('GET', `${blob}/bad%zz`, 400),
    call('DELETE', `${blob}/reports/2026/q1.csv`, 200),
    call('GET', `${blob}/reports/2026/q1.csv`, 404),
    post(sg, 201, { id: 'users', application: 'kv', shards: 2 }),
    post(sg, 409, { id: 'users', application: 'kv', shards: 2 }),
    call('GET', sg, 200),
    post(`${sg}/users/bulk-update`, 200, { entries: [['a', 1], ['b', 2], [7, 3]] }),
    post(`${sg}/users/bulk-update`, 400, { entries: 'nope' }),
    post(`${sg}/users/scatter-gather`, 200, { type: 'stats', aggregate: 'concat', deadlineMs: 10_000 }),
    post(`${sg}/users/reduce`, 200, { type: 'stats', op: 'sum', path: 'sum' }),
    post(`${sg}/users/barrier`, 200, { round: 1 }),
    post(`${sg}/users/scale`, 200, { shards: 3 }),
    call('GET', '/api/v1/dashboard/shard-groups', 200),
    call('DELETE', `${sg}/users`, 200),
    post(`${sg}/users/barrier`, 404, { round: 2 }),
  ];
}

/** The reply's JSON schema pointer for `status`, or undefined when the reply is not JSON. */
function replyPointer(op: Operation, status: number): string | undefined {
  const declared = op.spec.responses[String(status)];
  if (declared.$ref === undefined && declared.content?.['application/json'] === undefined) return undefined;
  const base = declared.$ref ?? pointerOf('paths', op.path, op.method.toLowerCase(), 'responses', String(status));
  return `${base}/content/application~1json/schema`;
}

async function send(base: string, c: Call, headers: Record<string, string> = {}): Promise<Response> {
  const body = c.body ?? (c.json === undefined ? undefined : JSON.stringify(c.json));
  const type = c.contentType ?? (c.json === undefined ? undefined : 'application/json');
  return fetch(`${base}${c.path}`, { method: c.method, headers: { ...(type === undefined ? {} : { 'content-type': type }), ...headers }, body });
}

/** Sends `c` and checks the reply against the document: a documented status, content type and body. */
async function checkReply(base: string, sent: Call, headers: Record<string, string> = {}): Promise<Operation> {
  const c = typeof sent.json === 'function' ? { ...sent, json: (sent.json as () => unknown)() } : sent;
  const url = new URL(c.path, 'http://x');
  const op = operationOf(document, c.method, url.pathname);
  expect(op, `${c.method} ${c.path} is in the document`).toBeDefined();
  const response = await send(base, c, headers);
  const text = await response.text();
  expect(response.status, `${c.method} ${c.path}: ${text.slice(0, 300)}`).toBe(c.status);
  const declared = checker.reply(op!, response.status);
  expect(declared, `${op!.method} ${op!.path} documents ${response.status}`).toBeDefined();
  const type = (response.headers.get('content-type') ?? '').split(';')[0];
  const types = Object.keys(declared!.content ?? {});
  expect(types.some((t) => t === '*/*' || t === type), `${c.method} ${c.path}: ${type} is one of ${types.join(', ')}`).toBe(true);
  const pointer = replyPointer(op!, response.status);
  if (pointer !== undefined) {
    expect(checker.errors(pointer, JSON.parse(text)), `${c.method} ${c.path} → ${text.slice(0, 300)}`).toEqual([]);
    c.then?.(JSON.parse(text));
  }
  if (c.json !== undefined && response.status < 300 && op!.spec.requestBody?.content?.['application/json'] !== undefined) {
    const requestPointer = `${pointerOf('paths', op!.path, op!.method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema')}`;
    expect(checker.errors(requestPointer, c.json), `the request body of ${c.method} ${c.path} fits the document`).toEqual([]);
  }
  return op!;
}

/** A concrete path for a template: every parameter filled with a valid name. */
const concrete = (path: string) => path.replace('{blobId}', 'report.csv').replace('{asset}', 'swagger-ui.css').replace('{file}', 'app.js').replace(/\{[^}]*\}/g, 'acme');

describe('the OpenAPI document', () => {
  it('has exactly the gateway’s routes, both ways', () => {
    const gateway = servers[0].server.http.routeTable.map((r) => `${r.method} ${anonymous(r.path)}`).sort();
    const documented = operations(document).map((op) => `${op.method} ${anonymous(op.path)}`).sort();
    expect(documented.filter((r) => !gateway.includes(r)), 'documented but not served').toEqual([]);
    expect(gateway.filter((r) => !documented.includes(r)), 'served but not documented').toEqual([]);
    expect(new Set(gateway).size).toBe(gateway.length);
  });

  it('is valid against the OpenAPI 3.1 specification’s JSON Schema, which catches a broken one', () => {
    expect(openApiErrors(document)).toEqual([]);
    const broken = JSON.parse(JSON.stringify(document));
    broken.paths['/api/v1/health'].get.responses['200'] = { content: {} }; // a reply without its description
    expect(openApiErrors(broken).length).toBeGreaterThan(0);
  });

  it('is OpenAPI 3.1 whose refs resolve, operation ids are unique and every path parameter is declared', () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) expect(checker.pointer(JSON.parse(`{${ref}}`).$ref), ref).toBeDefined();
    const ids = operations(document).map((op) => op.spec.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of operations(document)) {
      const declared = (op.spec.parameters ?? []).map((p: { $ref?: string; name?: string; in?: string }) => (p.$ref ? checker.pointer(p.$ref) : p)).filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name);
      const inPath = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(declared.sort(), `${op.method} ${op.path}`).toEqual(inPath.sort());
    }
    // Every JSON schema of the document compiles (a broken one would throw here).
    for (const name of Object.keys(document.components.schemas)) expect(checker.errors(pointerOf('components', 'schemas', name), undefined)).toBeInstanceOf(Array);
  });

  it('real replies of every route, happy and failing, validate against it', async () => {
    const covered = new Set<string>();
    for (const c of table()) {
      const op = await checkReply(open, c);
      if (c.status < 300) covered.add(`${op.method} ${op.path}`);
    }
    // The tell to a missing handler ends as a dead letter once the actor has answered it: a listed one fits the schema too.
    const listed = async () => ((await (await fetch(`${open}/api/v1/dead-letters`)).json()) as { deadLetters: unknown[] }).deadLetters.length;
    await expect.poll(listed, { timeout: 30_000 }).toBeGreaterThan(0);
    await checkReply(open, call('GET', '/api/v1/dead-letters', 200), {});
    // A drain succeeds only in a cluster: test/cluster/cluster-drain.test.ts checks its 200 against this document.
    // A cancel succeeds only while a job runs (job.nbody over the websocket): test/dashboard/dashboard.test.ts checks its 200 against this document.
    const clusterOnly = new Set(['POST /api/v1/cluster/drain', 'POST /api/v1/dashboard/jobs/{job}/cancel']);
    const uncovered = operations(document).map((op) => `${op.method} ${op.path}`).filter((key) => !covered.has(key) && !clusterOnly.has(key));
    expect(uncovered, 'routes without a successful call in the table').toEqual([]);
  }, 60_000);

  it('with auth on: the docs, landing page and health are open, every other route answers a documented 401, and a bearer token gets through', async () => {
    for (const op of operations(document)) {
      const isOpen = Array.isArray(op.spec.security) && op.spec.security.length === 0;
      const json = op.spec.requestBody?.content?.['application/json'] === undefined ? undefined : {};
      await checkReply(guarded, { method: op.method, path: concrete(op.path), json, status: isOpen ? 200 : 401 });
    }
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const token = await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    await checkReply(guarded, call('GET', '/api/v1/info', 200), { authorization: `Bearer ${token}` });
  }, 60_000);
});

describe('Swagger UI and the landing page', () => {
  it('/docs loads the package’s own Swagger UI files, with their content types, and points it at the document', async () => {
    const page = await (await fetch(`${open}/docs`)).text();
    const assets = [...page.matchAll(/(?:href|src)="(\/docs\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-initializer.js']));
    const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    const types: Record<string, string> = { css: 'text/css', js: 'text/javascript', png: 'image/png' };
    for (const asset of assets) {
      const response = await fetch(`${open}${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type'), asset).toMatch(new RegExp(`^${types[asset.split('.').pop()!]}`));
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (asset === '/docs/swagger-initializer.js') expect(new TextDecoder().decode(bytes)).toMatch(/url: '\/api\/v1\/openapi\.json'.*validatorUrl: null/);
      // Buffer.equals, not toEqual: a deep compare of 1.7 MB element by element takes seconds.
      else expect(Buffer.from(bytes).equals(await readFile(join(dist, asset.slice('/docs/'.length)))), asset).toBe(true);
    }
  });

  it('serves no other file: unlisted names and traversal attempts are 404', async () => {
    for (const path of ['/docs/package.json', '/docs/index.html', '/docs/..%2Fpackage.json', '/docs/%2e%2e%2f%2e%2e%2fpackage.json', '/docs/swagger-ui.css%00', '/docs/../../package.json', '/docs/constructor', '/docs/__proto__']) {
      const response = await fetch(`${open}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe('PLEX_ERR_NOT_FOUND');
    }
  });

  it('GET / links the docs, the document, health and metrics, and every link answers', async () => {
    const response = await fetch(`${open}/`);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const links = [...(await response.text()).matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(links).toEqual(expect.arrayContaining(['/docs', '/api/v1/openapi.json', '/api/v1/health', '/metrics']));
    for (const link of links) expect((await fetch(`${open}${link}`)).status, link).toBe(200);
    expect(await (await fetch(`${open}/api/v1/openapi.json`)).json()).toEqual(JSON.parse(JSON.stringify(document)));
  });
});
