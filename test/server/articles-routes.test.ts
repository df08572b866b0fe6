import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PlexClient } from '../../src/client/plex-client.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { NodeServer } from '../../src/server/node-server.js';
import { builtActor } from '../support/wasm-fixtures.js';

// The articles' requests, sent as they print them, against a real in-process gateway: addressing an
// actor by an id its application is not named after, /api/v1/deploy with the FaaS routes
// (?invocation=call, the body's "action"), and the dead letters of tells that were not handled.

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
interface Started {
  node: PlexNode;
  server: NodeServer;
  base: string;
  endpoints: { grpc: string; ws: string };
}
let open: Started;
let authed: Started;
let bank: Uint8Array;
let counter: Uint8Array;
let greeter: Uint8Array;

async function start(auth?: { operators: string[] }): Promise<Started> {
  const node = new PlexNode({ dataDir: null, workers: 1 });
  const server = new NodeServer(node, { httpPort: 0, grpcPort: 0, auth: auth === undefined ? undefined : { enabled: true, algorithm: 'HS256', secret: SECRET, operators: auth.operators } });
  const endpoints = await server.listen();
  return { node, server, base: endpoints.http, endpoints };
}

beforeAll(async () => {
  const fixture = (name: string) => buildActor(join(import.meta.dirname, '../fixtures/sdk', name)).then((b) => b.component);
  [bank, counter, greeter] = await Promise.all([fixture('bank-account.ts'), fixture('article-counter.ts'), fixture('article-greeter.ts')]);
  [open, authed] = await Promise.all([start(), start({ operators: ['ops'] })]);
}, 120_000);
afterAll(async () => {
  for (const s of [open, authed]) {
    await s?.server.close();
    await s?.node.stop();
  }
});

const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
const json = (response: Response) => response.json() as Promise<Record<string, unknown>>;
const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error;

function form(fields: Record<string, string | Uint8Array>): FormData {
  const body = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string') body.set(key, value);
    else body.set(key, new Blob([new Uint8Array(value)]), `${key}.wasm`);
  }
  return body;
}

/** `curl -X POST …/api/v1/applications/deploy -F application_id=… -F name=… -F version=1.0.0 -F wasm_file=@…` */
const deployApp = (base: string, fields: Record<string, string | Uint8Array>) => fetch(`${base}/api/v1/applications/deploy`, { method: 'POST', body: form({ version: '1.0.0', ...fields }) });
/** `curl -X POST …/api/v1/deploy -F namespace=… -F actor_type=… -F wasm=@…` */
const deploy = (base: string, fields: Record<string, string | Uint8Array>, token?: string) =>
  fetch(`${base}/api/v1/deploy`, { method: 'POST', body: form(fields), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
const postJson = (base: string, path: string, body: unknown, token?: string) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
const get = (base: string, path: string, token?: string) => fetch(`${base}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

describe('addressing: which application an actor id activates', () => {
  it('the first article: deploy bank-app (name bank-account), then ask account-alice with no application_id', async () => {
    expect((await deployApp(open.base, { application_id: 'bank-app', name: 'bank-account', wasm_file: bank })).status).toBe(201);
    const ask = (body: unknown) => postJson(open.base, '/api/v1/actors/account-alice/ask', body);
    expect(await json(await ask({ message_type: 'deposit', payload: { amount: 1000 } }))).toMatchObject({ balance: 1000 });
    expect(await json(await ask({ message_type: 'withdraw', payload: { amount: 250 } }))).toMatchObject({ balance: 750 });
    // An id no application is named like is still unknown: a typo activates nothing.
    const ghost = await postJson(open.base, '/api/v1/actors/ghost/ask', { message_type: 'balance' });
    expect(ghost.status).toBe(404);
    expect((await errorOf(ghost)).code).toBe('PLEX_ERR_ACTOR_NOT_FOUND');
  });

  it('an id several applications could activate is a 409 naming them, and starts nothing; application_id chooses', async () => {
    const tenant = 'amb';
    expect((await deployApp(open.base, { tenant, application_id: 'savings-app', name: 'savings-account', wasm_file: bank })).status).toBe(201);
    expect((await deployApp(open.base, { tenant, application_id: 'checking-app', name: 'checking-account', wasm_file: bank })).status).toBe(201);
    const ambiguous = await postJson(open.base, '/api/v1/actors/account-carol/ask', { tenant, message_type: 'deposit', payload: { amount: 10 } });
    expect(ambiguous.status).toBe(409);
    const error = await errorOf(ambiguous);
    expect(error.code).toBe('PLEX_ERR_AMBIGUOUS_ACTOR');
    expect(error.message).toContain('checking-app, savings-app');
    expect(open.server.service.listActors(open.server.service.scope({ tenant, namespaces: '*', operator: true }, tenant, 'default'))).toEqual([]);
    // The caller chooses; the deposit is the first one of a fresh account.
    expect(await json(await postJson(open.base, '/api/v1/actors/account-carol/ask', { tenant, application_id: 'savings-app', message_type: 'deposit', payload: { amount: 10 } }))).toMatchObject({ balance: 10 });
    // A longer, unambiguous prefix of the id needs no application_id.
    expect(await json(await postJson(open.base, '/api/v1/actors/checking-account-dan/ask', { tenant, message_type: 'deposit', payload: { amount: 7 } }))).toMatchObject({ balance: 7 });
  });

  it('the websocket and gRPC address actors by the same rule (the client SDK over each)', async () => {
    const tenant = 'amb';
    for (const url of [open.endpoints.ws, `grpc://${open.endpoints.grpc}`]) {
      const client = await PlexClient.connect(url, { tenant });
      try {
        // Activated by the HTTP call above (prefix rule): the same actor answers here.
        expect(await client.actors.ask('checking-account-dan', 'balance')).toMatchObject({ balance: 7 });
        await expect(client.actors.ask('account-erin', 'balance')).rejects.toMatchObject({ code: 'PLEX_ERR_AMBIGUOUS_ACTOR' });
        await expect(client.actors.ask('account-carol', 'balance', {}, { application: 'checking-app' })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_CONFLICT' });
      } finally {
        client.close();
      }
    }
  });

  it('application_id is never ignored: an actor of another application under the id is a 409 that names both', async () => {
    const tenant = 'chat-t';
    expect((await deployApp(open.base, { tenant, application_id: 'chat', name: 'chat-room', wasm_file: counter })).status).toBe(201);
    expect((await deployApp(open.base, { tenant, application_id: 'rate-limiter-app', name: 'rate-limiter', wasm_file: counter })).status).toBe(201);
    // The chat app's own rate-limiter is running.
    expect(await json(await postJson(open.base, '/api/v1/actors/rate-limiter/ask', { tenant, application_id: 'chat', message_type: 'increment', payload: { amount: 3 } }))).toEqual({ count: 3 });
    const conflict = await postJson(open.base, '/api/v1/actors/rate-limiter/ask', { tenant, application_id: 'rate-limiter-app', message_type: 'increment', payload: {} });
    expect(conflict.status).toBe(409);
    const error = await errorOf(conflict);
    expect(error.code).toBe('PLEX_ERR_ACTOR_CONFLICT');
    expect(error.message).toMatch(/running from application "chat", not "rate-limiter-app"/);
    // A tell is refused the same way, before anything is sent: the count did not move.
    expect((await postJson(open.base, '/api/v1/actors/rate-limiter/tell', { tenant, application_id: 'rate-limiter-app', message_type: 'increment', payload: {} })).status).toBe(409);
    expect(await json(await postJson(open.base, '/api/v1/actors/rate-limiter/ask', { tenant, application_id: 'chat', message_type: 'get' }))).toEqual({ count: 3 });
    // In another namespace nothing runs under the id yet: the article's call (no application_id) activates the application
    // named rate-limiter, and naming it agrees with what runs.
    expect(await json(await postJson(open.base, '/api/v1/actors/rate-limiter/ask', { tenant, namespace: 'api', message_type: 'increment', payload: {} }))).toEqual({ count: 1 });
    expect(await json(await postJson(open.base, '/api/v1/actors/rate-limiter/ask', { tenant, namespace: 'api', application_id: 'rate-limiter-app', message_type: 'get' }))).toEqual({ count: 1 });
    // An application that is not deployed is named as such.
    const missing = await postJson(open.base, '/api/v1/actors/someone-new/ask', { tenant, application_id: 'no-such-app', message_type: 'get' });
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('PLEX_ERR_MODULE_NOT_FOUND');
  });
});

describe('the second article: /api/v1/deploy and the FaaS routes', () => {
  it('counter: deploy by actor type, POST {"action":"increment","amount":5} tells, GET answers {"count": 5}', async () => {
    const deployed = await deploy(open.base, { namespace: 'default', actor_type: 'counter', wasm: counter });
    expect(deployed.status).toBe(201);
    expect(await json(deployed)).toMatchObject({ applicationId: 'counter', name: 'counter', actorType: 'counter', namespace: 'default' });
    const route = `${open.base}/api/v1/actors/default/default/counter`;
    const told = await fetch(route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"increment","amount":5}' });
    expect(told.status).toBe(202);
    expect(await fetch(route, { headers: { 'content-type': 'application/json' } }).then(json)).toEqual({ count: 5 });
    // ?action= still works, and agrees with the body or is refused.
    expect(await fetch(`${route}?action=increment&amount=2`).then(json)).toEqual({ count: 7 });
    const disagree = await fetch(`${route}?action=get`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"increment"}' });
    expect(disagree.status).toBe(400);
    expect((await errorOf(disagree)).code).toBe('PLEX_ERR_INVALID_ARGUMENT');
    const badInvocation = await fetch(`${route}?invocation=maybe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"increment"}' });
    expect(badInvocation.status).toBe(400);
    expect(await fetch(route).then(json)).toEqual({ count: 7 }); // neither refused request changed anything
  });

  it('greeter: POST ?invocation=call {"action":"greet","name":"PlexSpaces"} answers the greeting', async () => {
    expect((await deploy(open.base, { namespace: 'default', actor_type: 'greeter', wasm: greeter })).status).toBe(201);
    const call = () =>
      fetch(`${open.base}/api/v1/actors/default/default/greeter?invocation=call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"greet","name":"PlexSpaces"}' });
    const first = await call();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ message: 'Hello, PlexSpaces!', total: 1 });
    expect(await (await call()).json()).toEqual({ message: 'Hello, PlexSpaces!', total: 2 });
  });

  it('deploy refuses a request without actor_type or wasm, or with a bad module, and deploys nothing', async () => {
    const cases: Record<string, string | Uint8Array>[] = [{ namespace: 'default', wasm: counter }, { namespace: 'default', actor_type: 'nowasm' }, { actor_type: 'textwasm', wasm: 'not a file' }, { actor_type: 'broken', wasm: new TextEncoder().encode('not wasm') }];
    for (const fields of cases) {
      const refused = await deploy(open.base, fields);
      expect(refused.status, JSON.stringify(Object.keys(fields))).toBe(400);
      expect((await errorOf(refused)).code).toMatch(/^PLEX_ERR_(INVALID_ARGUMENT|INVALID_MODULE)$/);
    }
    for (const type of ['nowasm', 'textwasm', 'broken']) expect((await get(open.base, `/api/v1/actors/default/default/${type}`)).status).toBe(404);
  });
});

describe('dead letters: a tell that is not handled is logged, counted and listed', () => {
  it('unknown handler, a handler that throws, and a crash each leave a record; a handled tell leaves none', async () => {
    expect((await deploy(open.base, { namespace: 'dl', actor_type: 'misbehaving', wasm: builtActor('misbehaving') })).status).toBe(201);
    const logged: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    try {
      const tell = (type: string, body: unknown) => fetch(`${open.base}/api/v1/actors/default/dl/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      for (const body of [{ action: 'increment' }, { action: 'no-such-handler' }, { action: 'explode' }]) expect((await tell('counter', body)).status).toBe(202);
      // An actor handles its messages in order, so once this ask is answered the tells before it were handled and judged.
      expect(await get(open.base, '/api/v1/actors/default/dl/counter').then(json)).toEqual({ count: 1 });
      expect((await tell('misbehaving', { action: 'trap' })).status).toBe(202);
      // The trap ends that instance. This ask is a barrier: the worker answers it after it reported the crash
      // (404 for the dead instance), or it activates a new instance after the crash was seen (the echo, 200).
      expect([200, 404]).toContain((await get(open.base, '/api/v1/actors/default/dl/misbehaving?action=echo')).status);
    } finally {
      spy.mockRestore();
    }
    const { deadLetters } = (await get(open.base, '/api/v1/dead-letters?tenant=default&namespace=dl').then(json)) as { deadLetters: Record<string, unknown>[] };
    expect(deadLetters).toEqual([
      expect.objectContaining({ tenant: 'default', namespace: 'dl', actor: 'misbehaving', messageType: 'trap', reason: 'crashed', code: 'PLEX_ERR_ACTOR_TRAPPED' }),
      expect.objectContaining({ actor: 'counter', messageType: 'explode', reason: 'handler-error', error: 'exploded on purpose', payloadBytes: 2 }),
      expect.objectContaining({ actor: 'counter', messageType: 'no-such-handler', reason: 'unknown-handler', error: expect.stringContaining('no handler') }),
    ]);
    expect(logged.filter((line) => line.includes('dead letter'))).toHaveLength(3);
    expect(logged.join('')).toMatch(/dead letter: a tell to default\/dl\/counter \(no-such-handler\) was not handled \(unknown-handler\)/);
    const metrics = await (await get(open.base, '/metrics')).text();
    for (const reason of ['unknown-handler', 'handler-error', 'crashed']) expect(metrics).toContain(`plexspaces_dead_letters_total{reason="${reason}"} 1`);
    const limited = (await get(open.base, '/api/v1/dead-letters?limit=1').then(json)) as { deadLetters: unknown[] };
    expect(limited.deadLetters).toHaveLength(1);
    expect((await get(open.base, '/api/v1/dead-letters?limit=0')).status).toBe(400);
  });

  it('tenant-scoped: a tenant lists its own (in its namespaces), another tenant’s is 403, an operator lists every tenant’s', async () => {
    const acme = await sign({ tenant: 'acme' });
    const acmeEu = await sign({ tenant: 'acme', namespaces: ['eu'] });
    const globex = await sign({ tenant: 'globex' });
    const ops = await sign({ sub: 'ops' });
    for (const token of [acme, globex]) expect((await deploy(authed.base, { actor_type: 'counter', wasm: counter }, token)).status).toBe(201);
    for (const [tenant, namespace, token] of [['acme', 'us', acme], ['acme', 'eu', acme], ['globex', 'default', globex]] as const) {
      expect((await postJson(authed.base, `/api/v1/actors/${tenant}/${namespace}/counter`, { action: 'nope' }, token)).status).toBe(202);
      expect(await get(authed.base, `/api/v1/actors/${tenant}/${namespace}/counter`, token).then(json)).toEqual({ count: 0 }); // the tell was judged
    }
    const list = async (query: string, token: string) => ((await get(authed.base, `/api/v1/dead-letters${query}`, token).then(json)) as { deadLetters: { tenant: string; namespace: string }[] }).deadLetters.map((l) => `${l.tenant}/${l.namespace}`);
    expect(await list('', acme)).toEqual(['acme/eu', 'acme/us']);
    expect(await list('', acmeEu)).toEqual(['acme/eu']);
    expect((await get(authed.base, '/api/v1/dead-letters?namespace=us', acmeEu)).status).toBe(403);
    const foreign = await get(authed.base, '/api/v1/dead-letters?tenant=globex', acme);
    expect(foreign.status).toBe(403);
    expect((await errorOf(foreign)).code).toBe('PLEX_ERR_FORBIDDEN');
    expect((await get(authed.base, '/api/v1/dead-letters')).status).toBe(401);
    expect(await list('', ops)).toEqual(['globex/default', 'acme/eu', 'acme/us']);
    expect(await list('?tenant=globex', ops)).toEqual(['globex/default']);
  });
});
