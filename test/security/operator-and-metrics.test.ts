import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { NodeServer } from '../../src/server/node-server.js';
import { metricsForTenant } from '../../src/server/metrics-view.js';

// /metrics and /api/v1/info with auth on: a tenant reads its own figures, node-wide ones need the operator role,
// and the operator role comes from the node's config (auth.operators), never from a claim such as tenant "*".

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
let node: PlexNode;
let server: NodeServer;
let http: string;

const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
const get = (path: string, token?: string) => fetch(`${http}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
const post = (path: string, token: string, body: unknown) =>
  fetch(`${http}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0, auth: { enabled: true, algorithm: 'HS256', secret: SECRET, operators: ['ops-alice'] } });
  ({ http } = await server.listen());
  expect((await post('/api/v1/tuplespace/acme/default/orders/write', await sign({ tenant: 'acme' }), { tuple: ['order', 1] })).status).toBe(201);
  expect((await post('/api/v1/tuplespace/globex/secret-ns/plans/write', await sign({ tenant: 'globex' }), { tuple: ['plan', 1] })).status).toBe(201);
});
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

describe('node-wide figures need the operator role', () => {
  it('/metrics: 401 without a token; a tenant sees only its own series; an operator sees all', async () => {
    expect((await get('/metrics')).status).toBe(401);
    const acme = await (await get('/metrics', await sign({ tenant: 'acme' }))).text();
    expect(acme).toContain('plexspaces_space_tuples{tenant="acme",namespace="default",space="orders"} 1');
    expect(acme).not.toContain('globex');
    expect(acme).not.toContain('secret-ns');
    expect(acme).not.toContain('plexspaces_process_'); // the node's own process figures are node-wide
    const operator = await (await get('/metrics', await sign({ sub: 'ops-alice' }))).text();
    expect(operator).toContain('tenant="globex",namespace="secret-ns",space="plans"');
    expect(operator).toContain('plexspaces_process_');
  });

  it('/api/v1/info: 401 without a token; a tenant gets its own figures, an operator the node’s', async () => {
    expect((await get('/api/v1/info')).status).toBe(401);
    const acme = (await (await get('/api/v1/info', await sign({ tenant: 'acme' }))).json()) as Record<string, unknown>;
    expect(acme).toMatchObject({ scope: 'tenant', tenant: 'acme', actors: 0 });
    const operator = (await (await get('/api/v1/info', await sign({ sub: 'ops-alice' }))).json()) as Record<string, unknown>;
    expect(operator).toMatchObject({ scope: 'node' });
  });

  it('a token claiming tenant "*" reaches nothing; only the configured operator reaches every tenant', async () => {
    const star = await sign({ tenant: '*' });
    const refused = await post('/api/v1/tuplespace/globex/secret-ns/plans/count', star, { template: [null, null] });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'PLEX_ERR_UNAUTHENTICATED', message: expect.stringContaining('auth.operators') });
    expect((await get('/metrics', star)).status).toBe(401);
    // The same subject is no operator on a node whose config does not name it, and a tenant claim does not make one.
    expect((await post('/api/v1/tuplespace/globex/secret-ns/plans/count', await sign({ tenant: 'acme', sub: 'ops-bob' }), { template: [null, null] })).status).toBe(403);
    const operator = await post('/api/v1/tuplespace/globex/secret-ns/plans/count', await sign({ sub: 'ops-alice' }), { template: [null, null] });
    expect(operator.status).toBe(200);
    expect(((await operator.json()) as { count: number }).count).toBe(1);
  });

  it('draining a node is an operator’s action: a tenant is refused before anything changes', async () => {
    const refused = await post('/api/v1/cluster/drain', await sign({ tenant: 'acme' }), {});
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('PLEX_ERR_FORBIDDEN');
    // The operator gets through to the node's own answer: it is alone, there is nowhere to move to.
    const alone = await post('/api/v1/cluster/drain', await sign({ sub: 'ops-alice' }), {});
    expect(alone.status).toBe(400);
    expect(((await alone.json()) as { error: { message: string } }).error.message).toContain('alone');
  });

  it('the tenant filter keeps exact tenant labels only', () => {
    const text = ['# HELP m help', '# TYPE m gauge', 'm{tenant="a",x="1"} 1', 'm{subtenant="a"} 2', 'm{x="1",tenant="ab"} 3', '# HELP n other', '# TYPE n gauge', 'n 4', ''].join('\n');
    expect(metricsForTenant(text, 'a')).toBe('# HELP m help\n# TYPE m gauge\nm{tenant="a",x="1"} 1\n');
  });
});
