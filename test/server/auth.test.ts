import { generateKeyPairSync } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { importPKCS8, SignJWT } from 'jose';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PlexNode } from '../../src/node/plex-node.js';
import { PROTO_ROOT } from '../../src/server/grpc-server.js';
import { NodeServer } from '../../src/server/node-server.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
let node: PlexNode;
let server: NodeServer;
let endpoints: { grpc: string; http: string; ws: string };

async function token(claims: Record<string, unknown>, options: { expired?: boolean; secret?: string } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  jwt.setExpirationTime(options.expired ? Math.floor(Date.now() / 1000) - 60 : '1h');
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0, auth: { enabled: true, algorithm: 'HS256', secret: SECRET } });
  endpoints = await server.listen();
});
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

const count = (tenant: string, namespace: string, bearer?: string) =>
  fetch(`${endpoints.http}/api/v1/tuplespace/${tenant}/${namespace}/q/count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ template: [null] }),
  });

describe('auth: a tenant cannot reach another tenant through any surface', () => {
  it('HTTP: 401 without or with a bad token, 403 across tenants or namespaces, health stays open', async () => {
    const acme = await token({ tenant: 'acme' });
    const acmeEu = await token({ tenant: 'acme', namespaces: ['eu'] });
    expect((await fetch(`${endpoints.http}/api/v1/health`)).status).toBe(200);
    const none = await count('acme', 'eu');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('PLEX_ERR_UNAUTHENTICATED');
    expect((await count('acme', 'eu', await token({ tenant: 'acme' }, { expired: true }))).status).toBe(401);
    expect((await count('acme', 'eu', await token({ tenant: 'acme' }, { secret: 'another-secret-another-secret-another' }))).status).toBe(401);
    expect((await count('acme', 'eu', 'not.a.jwt')).status).toBe(401);
    expect((await count('acme', 'eu', await token({ sub: 'no tenant' }))).status).toBe(401);
    expect((await count('acme', 'eu', acme)).status).toBe(200);
    const across = await count('globex', 'eu', acme);
    expect(across.status).toBe(403);
    expect(((await across.json()) as { error: { code: string } }).error.code).toBe('PLEX_ERR_FORBIDDEN');
    expect((await count('acme', 'eu', acmeEu)).status).toBe(200);
    expect((await count('acme', 'us', acmeEu)).status).toBe(403);
    // Routes without a tenant in the path act in the token's tenant.
    const ask = await fetch(`${endpoints.http}/api/v1/actors/someone/ask`, { method: 'POST', headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/json' }, body: '{"message_type": "x"}' });
    expect(((await ask.json()) as { error: { code: string } }).error.code).toBe('PLEX_ERR_ACTOR_NOT_FOUND');
  });

  it('RS256 tokens verify against the configured public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsNode = new PlexNode({ dataDir: null, workers: 1 });
    const rsServer = new NodeServer(rsNode, { httpPort: 0, grpcPort: 0, auth: { enabled: true, algorithm: 'RS256', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
    try {
      const { http } = await rsServer.listen();
      const key = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
      const good = await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(key);
      const post = (bearer: string) => fetch(`${http}/api/v1/tuplespace/acme/eu/q/count`, { method: 'POST', headers: { authorization: `Bearer ${bearer}` }, body: '{"template": [null]}' });
      expect((await post(good)).status).toBe(200);
      expect((await post(await token({ tenant: 'acme' }))).status).toBe(401); // an HS256 token is not accepted
    } finally {
      await rsServer.close();
      await rsNode.stop();
    }
  });

  it('websocket: the upgrade needs a token; scopes of other tenants are refused per request', async () => {
    const refused = new WebSocket(endpoints.ws);
    expect(await new Promise((resolve) => refused.once('unexpected-response', (_, response) => resolve(response.statusCode)))).toBe(401);
    const ws = new WebSocket(`${endpoints.ws}?token=${await token({ tenant: 'acme' })}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const packr = new Packr({ useRecords: false });
    const replies = new Map<number, { ok: boolean; error?: { code: string } }>();
    ws.on('message', (data: Buffer) => {
      const frame = packr.unpack(data);
      replies.set(frame.id, frame);
    });
    ws.send(packr.pack({ id: 1, op: 'ts.count', scope: { tenant: 'acme', namespace: 'eu' }, args: { space: 'q', template: [null] } }));
    ws.send(packr.pack({ id: 2, op: 'ts.count', scope: { tenant: 'globex', namespace: 'eu' }, args: { space: 'q', template: [null] } }));
    ws.send(packr.pack({ id: 3, op: 'ts.count', args: { space: 'q', template: [null] } })); // no scope: the token's tenant
    await new Promise((r) => setTimeout(r, 150));
    expect(replies.get(1)?.ok).toBe(true);
    expect(replies.get(2)?.error?.code).toBe('PLEX_ERR_FORBIDDEN');
    expect(replies.get(3)?.ok).toBe(true);
    ws.close();
  });

  it('gRPC: UNAUTHENTICATED without a token, PERMISSION_DENIED across tenants, Health open', async () => {
    const definition = protoLoader.loadSync(['plexspaces/v1/tuplespace.proto', 'plexspaces/v1/node.proto'], { includeDirs: [PROTO_ROOT], longs: String, enums: String, oneofs: true });
    const v1 = (grpc.loadPackageDefinition(definition) as never as { plexspaces: { v1: Record<string, new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client> } }).plexspaces.v1;
    const ts = new v1.TupleSpace(endpoints.grpc, grpc.credentials.createInsecure()) as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void>;
    const nodeClient = new v1.Node(endpoints.grpc, grpc.credentials.createInsecure()) as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void>;
    const countAs = (tenant: string, bearer?: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const metadata = new grpc.Metadata();
        if (bearer) metadata.set('authorization', `Bearer ${bearer}`);
        ts.Count({ space: { tenant, namespace: 'eu', space: 'q' }, template: { fields: [{ any: {} }] } }, metadata, (error) => resolve(error));
      });
    expect((await countAs('acme'))?.code).toBe(grpc.status.UNAUTHENTICATED);
    const acme = await token({ tenant: 'acme' });
    expect(await countAs('acme', acme)).toBeNull();
    const across = await countAs('globex', acme);
    expect(across?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(across?.metadata.get('plex-error-code')).toEqual(['PLEX_ERR_FORBIDDEN']);
    expect(await new Promise((resolve) => nodeClient.Health({}, new grpc.Metadata(), (error, value) => resolve(error ?? value)))).toEqual({ status: 'ok' });
  });
});
