import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { NodeServer } from '../../src/server/node-server.js';
import { Supervisor } from '../../src/actors/supervisor.js';
import { builtActor } from '../support/wasm-fixtures.js';

let node: PlexNode;
let server: NodeServer;
let base: string;
let kvShard: Uint8Array;
let bank: Uint8Array;

beforeAll(async () => {
  [kvShard, bank] = await Promise.all([
    buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts')).then((b) => b.component),
    buildActor(join(import.meta.dirname, '../fixtures/sdk/bank-account.ts')).then((b) => b.component),
  ]);
  node = new PlexNode({ dataDir: null, workers: 2 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0, http: { maxJsonBytes: 64 * 1024 } });
  base = (await server.listen()).http;
}, 120_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${base}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function deploy(applicationId: string, name: string, wasm: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.set('application_id', applicationId);
  form.set('name', name);
  form.set('version', '1.0.0');
  form.set('wasm_file', new Blob([new Uint8Array(wasm)]), `${name}.wasm`);
  return fetch(`${base}/api/v1/applications/deploy`, { method: 'POST', body: form });
}

describe('HTTP gateway', () => {
  it('health and info', async () => {
    expect(await (await fetch(`${base}/api/v1/health`)).json()).toEqual({ status: 'ok' });
    const info = (await (await fetch(`${base}/api/v1/info`)).json()) as { workers: number; durable: boolean };
    expect(info).toMatchObject({ workers: 2, durable: false });
  });

  it('tuple space routes: write, count, read, take (blocking, woken by a later write), read-all, int64 and bytes round trip', async () => {
    const ts = '/api/v1/tuplespace/acme/jobs/queue';
    expect((await post(`${ts}/write`, { tuple: ['job', 1, { $int: '9007199254740993' }, { $bytes: 'AQID' }] })).status).toBe(201);
    expect(await (await post(`${ts}/write-all`, { tuples: [['job', 2], ['job', 3]] })).json()).toEqual({ written: 2 });
    expect(await (await post(`${ts}/count`, { template: ['job', null] })).json()).toEqual({ count: 2 });
    const read = (await (await post(`${ts}/read`, { template: ['job', 1, null, null] })).json()) as { tuple: unknown[] };
    expect(read.tuple).toEqual(['job', 1, { $int: '9007199254740993' }, { $bytes: 'AQID' }]);
    // A take that waits: the tuple arrives 100 ms later through another request.
    const waiting = post(`${ts}/take`, { template: ['late', null], timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await post(`${ts}/write`, { tuple: ['late', 42] });
    expect(await (await waiting).json()).toEqual({ tuple: ['late', 42] });
    // A take that times out answers null; without timeoutMs it does not wait at all.
    expect(await (await post(`${ts}/take`, { template: ['never'], timeoutMs: 50 })).json()).toEqual({ tuple: null });
    expect(await (await post(`${ts}/take`, { template: ['never'] })).json()).toEqual({ tuple: null });
    const all = (await (await post(`${ts}/take-all`, { template: ['job', null] })).json()) as { tuples: unknown[][] };
    expect(all.tuples.map((t) => t[1]).sort()).toEqual([2, 3]);
    // Another tenant's space of the same name is another space.
    expect(await (await post('/api/v1/tuplespace/globex/jobs/queue/count', { template: [null, null, null, null] })).json()).toEqual({ count: 0 });
  });

  it('bad input gets a JSON error with a PLEX_ERR code and a fitting status, and changes nothing', async () => {
    const ts = '/api/v1/tuplespace/acme/bad/space';
    const cases: [Promise<Response>, number, string][] = [
      [post(`${ts}/write`, '{not json'), 400, 'PLEX_ERR_INVALID_ARGUMENT'],
      [post(`${ts}/write`, { tuple: 'nope' }), 400, 'PLEX_ERR_INVALID_ARGUMENT'],
      [post(`${ts}/write`, { tuple: [] }), 400, 'PLEX_ERR_INVALID_TUPLE'],
      [post(`${ts}/read`, { template: [{ $regex: 'x' }] }), 400, 'PLEX_ERR_INVALID_TEMPLATE'],
      [post(`${ts}/write`, { tuple: ['x'.repeat(70 * 1024)] }), 413, 'PLEX_ERR_BODY_TOO_LARGE'],
      [post(`${ts}/write`, 'x', { 'content-type': 'application/xml' }), 415, 'PLEX_ERR_UNSUPPORTED_MEDIA_TYPE'],
      [post(`${ts}/write`, 'tuple=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'PLEX_ERR_UNSUPPORTED_MEDIA_TYPE'],
      [post('/api/v1/tuplespace/acme/../x/write', { tuple: [1] }), 404, 'PLEX_ERR_NOT_FOUND'],
      [post('/api/v1/nowhere', {}), 404, 'PLEX_ERR_NOT_FOUND'],
      [fetch(`${base}/api/v1/tuplespace/acme/bad/space/write`), 405, 'PLEX_ERR_METHOD_NOT_ALLOWED'],
      [post('/api/v1/actors/ghost/ask', { message_type: 'x' }), 404, 'PLEX_ERR_ACTOR_NOT_FOUND'],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect(response.status, code).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(await (await post(`${ts}/count`, { template: [null] })).json()).toEqual({ count: 0 });
    expect((await fetch(`${base}/api/v1/health`)).status).toBe(200); // still serving
    // What `curl -d '{…}'` sends (JSON labelled as a form) is taken as the JSON it is.
    expect((await post(`${ts}/write`, '{"tuple": ["curl"]}', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(201);
  });

  it('deploys an application and asks its actor; a bad module is refused and nothing is deployed', async () => {
    const deployed = await deploy('bank-app', 'bank-account', bank);
    expect(deployed.status).toBe(201);
    expect(await deployed.json()).toMatchObject({ applicationId: 'bank-app', name: 'bank-account', version: '1.0.0' });
    const ask = (type: string, payload: unknown) => post('/api/v1/actors/account-alice/ask', { message_type: type, payload, application_id: 'bank-app' }).then((r) => r.json());
    expect(await ask('deposit', { amount: 1000 })).toMatchObject({ balance: 1000 });
    expect(await ask('withdraw', { amount: 250 })).toMatchObject({ balance: 750 });
    const bad = await deploy('broken', 'broken', new TextEncoder().encode('not wasm'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('PLEX_ERR_INVALID_MODULE');
    expect((await post('/api/v1/actors/broken/ask', { message_type: 'x' })).status).toBe(404);
    const missingFile = new FormData();
    missingFile.set('application_id', 'x');
    expect((await fetch(`${base}/api/v1/applications/deploy`, { method: 'POST', body: missingFile })).status).toBe(400);
  });

  it('FaaS routes: GET asks with query params, POST tells, and tenants do not share actors', async () => {
    expect((await deploy('bank-account', 'bank-account', bank)).status).toBe(201);
    // The FaaS routes are per tenant; deploy put the app under the default tenant.
    const route = '/api/v1/actors/default/api/bank-account';
    expect((await fetch(`${base}${route}?action=deposit&amount=5`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 100 }) })).status).toBe(202);
    const balance = (await (await fetch(`${base}${route}?action=balance`)).json()) as { balance: number };
    expect(balance.balance).toBe(100);
    // Another namespace: another actor, its own state.
    expect(((await (await fetch(`${base}/api/v1/actors/default/other/bank-account?action=balance`)).json()) as { balance: number }).balance).toBe(0);
    // Another tenant has no such application.
    const foreign = await fetch(`${base}/api/v1/actors/globex/api/bank-account?action=balance`);
    expect(foreign.status).toBe(404);
  });

  it('shard groups over HTTP: create, bulk update, reduce, scatter-gather, scale, delete', async () => {
    expect((await deploy('kv', 'kv-shard', kvShard)).status).toBe(201);
    const sg = '/api/v1/shard-groups/default/default';
    expect((await post(sg, { id: 'users', application: 'kv', shards: 3 })).status).toBe(201);
    expect((await post(sg, { id: 'users', application: 'kv', shards: 3 })).status).toBe(409);
    await post(`${sg}/users/bulk-update`, { entries: Array.from({ length: 100 }, (_, i) => [`u${i}`, i]) });
    const sum = (await (await post(`${sg}/users/reduce`, { type: 'stats', op: 'sum', path: 'sum' })).json()) as { value: number; shards: unknown[] };
    expect(sum.value).toBe(4950);
    expect(sum.shards).toHaveLength(3);
    const barrier = (await (await post(`${sg}/users/scatter-gather`, { type: 'barrier', payload: { round: 3 }, aggregate: 'majority' })).json()) as { value: unknown };
    expect(barrier.value).toEqual({ round: 3 });
    expect(await (await post(`${sg}/users/scale`, { shards: 4 })).json()).toMatchObject({ from: 3, to: 4, keys: 100 });
    expect(((await (await fetch(`${base}${sg}`)).json()) as { groups: { id: string; shards: number }[] }).groups).toEqual([expect.objectContaining({ id: 'users', shards: 4 })]);
    expect((await fetch(`${base}/api/v1/shard-groups/globex/default/users`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${base}${sg}/users`, { method: 'DELETE' })).status).toBe(200);
    expect((await post(`${sg}/users/barrier`, { round: 1 })).status).toBe(404);
  });
});

describe('key-value over HTTP', () => {
  it('puts, gets, lists by prefix and deletes in the tenant’s store — the one its actors reach with kv-*', async () => {
    expect((await post('/api/v1/kv/acme/prod/put', { key: 'user/1', value: 'ada' })).status).toBe(201);
    await post('/api/v1/kv/acme/prod/put', { key: 'user/2', value: 'bob', ttlMs: 60_000 });
    await post('/api/v1/kv/acme/prod/put', { key: 'order/1', value: 'x' });
    expect(await (await post('/api/v1/kv/acme/prod/get', { key: 'user/1' })).json()).toEqual({ entry: { key: 'user/1', value: 'ada' } });
    const listed = (await (await post('/api/v1/kv/acme/prod/list', { prefix: 'user/' })).json()) as { entries: { key: string }[] };
    expect(listed.entries.map((e) => e.key)).toEqual(['user/1', 'user/2']);
    expect(await node.actors.coordination.kv.get({ tenant: 'acme', namespace: 'prod' }, 'order/1')).toBe('x');
    expect(await (await post('/api/v1/kv/globex/prod/get', { key: 'user/1' })).json()).toEqual({ entry: null });
    expect(await (await post('/api/v1/kv/acme/prod/delete', { key: 'user/1' })).json()).toEqual({ deleted: true });
    const bad = await post('/api/v1/kv/acme/prod/put', { key: '', value: 'v' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('PLEX_ERR_INVALID_ARGUMENT');
    const notText = await post('/api/v1/kv/acme/prod/put', { key: 'k', value: 42 });
    expect(notText.status).toBe(400);
  });
});

describe('blobs over HTTP', () => {
  it('stores raw bytes with their content type, serves them back, lists and deletes, per tenant', async () => {
    const put = await fetch(`${base}/api/v1/blobs/acme/prod/reports/2026/q1.csv`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ blobId: 'reports/2026/q1.csv', size: 8, contentType: 'text/csv' });
    const got = await fetch(`${base}/api/v1/blobs/acme/prod/reports/2026/q1.csv`);
    expect(got.headers.get('content-type')).toBe('text/csv');
    expect(await got.text()).toBe('a,b\n1,2\n');
    const bytes = new Uint8Array([0, 255, 7]);
    await fetch(`${base}/api/v1/blobs/acme/prod/raw%20data`, { method: 'PUT', body: bytes });
    expect(new Uint8Array(await (await fetch(`${base}/api/v1/blobs/acme/prod/raw%20data`)).arrayBuffer())).toEqual(bytes);
    expect(((await (await fetch(`${base}/api/v1/blobs/acme/prod?prefix=reports/`)).json()) as { blobs: { blobId: string }[] }).blobs.map((b) => b.blobId)).toEqual(['reports/2026/q1.csv']);
    expect((await fetch(`${base}/api/v1/blobs/globex/prod/reports/2026/q1.csv`)).status).toBe(404);
    expect((await node.actors.coordination.blobs.head({ tenant: 'acme', namespace: 'prod' }, 'raw data')).size).toBe(3);
    expect(await (await fetch(`${base}/api/v1/blobs/acme/prod/raw%20data`, { method: 'DELETE' })).json()).toEqual({ deleted: true });
    expect((await fetch(`${base}/api/v1/blobs/acme/prod/raw%20data`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/blobs/acme/prod/bad%zz`)).status).toBe(400);
  });
});

describe('metrics', () => {
  it('GET /metrics exposes operations by surface and code, space sizes and waiters, actors, queues', async () => {
    await post('/api/v1/tuplespace/metrics/ns/jobs/write-all', { tuples: [['m', 1], ['m', 2], ['m', 3]] });
    await post('/api/v1/tuplespace/metrics/ns/jobs/write', { tuple: [] }); // an error, counted by its code
    const waiting = post('/api/v1/tuplespace/metrics/ns/jobs/take', { template: ['never'], timeoutMs: 400 });
    // A supervised child that crashes once: one restart, counted per supervisor.
    await node.runtime.deploy('metrics-probe', builtActor('probe'));
    const sup = await Supervisor.start(node.actors, 'metrics-sup', { children: [{ id: 'metrics-child', module: 'metrics-probe' }] });
    await node.actors.ask('metrics-child', 'crash').catch(() => undefined);
    await sup.idle();
    await new Promise((r) => setTimeout(r, 100));
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    // Earlier tests in this file made such requests too: the counters are at least 1.
    expect(text).toMatch(/plexspaces_requests_total\{surface="http",operation="POST \/api\/v1\/tuplespace\/\{\}\/\{\}\/\{\}\/write-all",code="ok"\} [1-9]/);
    expect(text).toMatch(/plexspaces_requests_total\{surface="http",operation="POST \/api\/v1\/tuplespace\/\{\}\/\{\}\/\{\}\/write",code="PLEX_ERR_INVALID_TUPLE"\} [1-9]/);
    expect(text).toContain('plexspaces_space_tuples{tenant="metrics",namespace="ns",space="jobs"} 3');
    expect(text).toContain('plexspaces_space_waiters{tenant="metrics",namespace="ns",space="jobs"} 1');
    expect(text).toMatch(/plexspaces_actors \d+/);
    expect(text).toMatch(/plexspaces_worker_queue_depth\{worker="0"\} \d+/);
    expect(text).toContain('plexspaces_request_seconds_bucket');
    expect(text).toContain('plexspaces_process_');
    expect(text).toContain('plexspaces_actor_restarts_total{supervisor="metrics-sup"} 1');
    expect(text).toMatch(/plexspaces_actor_crashes_total\{code="PLEX_ERR_ACTOR_TRAPPED"\} [1-9]/);
    await sup.stop();
    await waiting;
  });
});

describe('crash-safe take over HTTP', () => {
  it('take-with-ack holds the tuple; ack removes it, nack returns it; unknown ids are refused', async () => {
    const ts = '/api/v1/tuplespace/acme/safe/q';
    await post(`${ts}/write`, { tuple: ['job', 7] });
    const taken = (await (await post(`${ts}/take-with-ack`, { template: ['job', null], leaseMs: 60_000 })).json()) as { tuple: unknown[]; deliveryId: string; deliveries: number };
    expect(taken).toMatchObject({ tuple: ['job', 7], deliveries: 1 });
    expect(await (await post(`${ts}/count`, { template: ['job', null] })).json()).toEqual({ count: 0 });
    expect((await post('/api/v1/tuplespace/acme/safe/deliveries/nack', { deliveryId: taken.deliveryId })).status).toBe(200);
    expect(await (await post(`${ts}/count`, { template: ['job', null] })).json()).toEqual({ count: 1 });
    const again = (await (await post(`${ts}/take-with-ack`, { template: ['job', null] })).json()) as { deliveryId: string; deliveries: number };
    expect(again.deliveries).toBe(2);
    expect((await post('/api/v1/tuplespace/acme/safe/deliveries/ack', { deliveryId: again.deliveryId })).status).toBe(200);
    expect((await post('/api/v1/tuplespace/acme/safe/deliveries/ack', { deliveryId: again.deliveryId })).status).toBe(400);
    expect(await (await post(`${ts}/take-with-ack`, { template: ['job', null] })).json()).toEqual({ tuple: null });
  });
});

describe("actors reach their own tenant's space", () => {
  it("an actor's tuple-space host calls land in {tenant}/{namespace}/default, never another tenant's", async () => {
    const response = await fetch(`${base}/api/v1/applications/deploy`, {
      method: 'POST',
      body: (() => {
        const form = new FormData();
        form.set('application_id', 'auditor');
        form.set('name', 'auditor');
        form.set('version', '1');
        form.set('tenant', 'acme');
        form.set('wasm_file', new Blob([new Uint8Array(bank)]), 'bank.wasm');
        return form;
      })(),
    });
    expect(response.status).toBe(201);
    // FaaS ask in tenant acme, namespace eu: the actor writes ['audit', owner, balance] with a host call.
    expect((await fetch(`${base}/api/v1/actors/acme/eu/auditor?action=audit`)).status).toBe(200);
    expect(await (await post('/api/v1/tuplespace/acme/eu/default/count', { template: ['audit', null, null] })).json()).toEqual({ count: 1 });
    expect(await (await post('/api/v1/tuplespace/globex/eu/default/count', { template: ['audit', null, null] })).json()).toEqual({ count: 0 });
    expect(await (await post('/api/v1/tuplespace/acme/us/default/count', { template: ['audit', null, null] })).json()).toEqual({ count: 0 });
  });
});
