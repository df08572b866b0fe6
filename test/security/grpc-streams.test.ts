import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { PROTO_ROOT } from '../../src/server/grpc-server.js';
import { NodeServer } from '../../src/server/node-server.js';

// Server-streaming calls (Watch, ScatterGather — the only streaming methods in
// proto/plexspaces/v1) must end with a status when they fail before or while
// streaming, exactly as the unary calls do: the gRPC status code plus the
// PLEX_ERR_* code in the `plex-error-code` trailer. They used to send nothing
// at all and leave the client waiting for ever.

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
let node: PlexNode;
let server: NodeServer;
let address: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let v1: any;

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
}

function bearer(jwt: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (jwt !== undefined) metadata.set('authorization', `Bearer ${jwt}`);
  return metadata;
}

interface StreamEnd {
  code: grpc.status;
  plexCode: string | undefined;
  messages: number;
}

/**
 * Opens a server stream and resolves with how it ended. The deadline only
 * turns a hang into a visible DEADLINE_EXCEEDED (which no assertion below
 * accepts) instead of a test timeout; a correct server answers at once.
 */
function streamEnd(client: grpc.Client, method: string, request: unknown, jwt: string | undefined): Promise<StreamEnd> {
  return new Promise((resolve) => {
    const open = (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<unknown>>)[method];
    const stream = open.call(client, request, bearer(jwt), { deadline: Date.now() + 30_000 });
    let messages = 0;
    stream.on('data', () => messages++);
    stream.on('error', () => undefined); // the same status arrives on 'status'
    stream.on('status', (status: grpc.StatusObject) => {
      const plex = status.metadata.get('plex-error-code')[0];
      resolve({ code: status.code, plexCode: plex === undefined ? undefined : String(plex), messages });
    });
  });
}

function unary<T>(client: grpc.Client, method: string, request: unknown, jwt: string): Promise<T> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void>)[method](request, bearer(jwt), (error, value) =>
      error ? reject(error) : resolve(value),
    );
  });
}

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0, auth: { enabled: true, algorithm: 'HS256', secret: SECRET } });
  address = (await server.listen()).grpc;
  const definition = protoLoader.loadSync(['tuplespace.proto', 'shardgroup.proto'].map((f) => `plexspaces/v1/${f}`), {
    includeDirs: [PROTO_ROOT],
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  v1 = (grpc.loadPackageDefinition(definition) as never as { plexspaces: { v1: unknown } }).plexspaces.v1;
}, 120_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

const acmeSpace = { tenant: 'acme', namespace: 'jobs', space: 'q' };
const anyOne = { fields: [{ any: {} }] };

describe('gRPC server streams end with a status and a PLEX_ERR code on every failure', () => {
  it('Watch: another tenant, a bad or missing token, an invalid template, an empty request', async () => {
    const ts = new v1.TupleSpace(address, grpc.credentials.createInsecure());
    const acme = await token({ tenant: 'acme' });
    try {
      expect(await streamEnd(ts, 'Watch', { space: { ...acmeSpace, tenant: 'globex' }, template: anyOne }, acme)).toEqual({
        code: grpc.status.PERMISSION_DENIED,
        plexCode: 'PLEX_ERR_FORBIDDEN',
        messages: 0,
      });
      expect(await streamEnd(ts, 'Watch', { space: acmeSpace, template: anyOne }, 'not.a.jwt')).toEqual({ code: grpc.status.UNAUTHENTICATED, plexCode: 'PLEX_ERR_UNAUTHENTICATED', messages: 0 });
      expect(await streamEnd(ts, 'Watch', { space: acmeSpace, template: anyOne }, undefined)).toEqual({ code: grpc.status.UNAUTHENTICATED, plexCode: 'PLEX_ERR_UNAUTHENTICATED', messages: 0 });
      // A template field that sets none of value/any/type/… is not a template.
      expect(await streamEnd(ts, 'Watch', { space: acmeSpace, template: { fields: [{}] } }, acme)).toEqual({ code: grpc.status.INVALID_ARGUMENT, plexCode: 'PLEX_ERR_INVALID_TEMPLATE', messages: 0 });
      expect(await streamEnd(ts, 'Watch', { space: acmeSpace }, acme)).toEqual({ code: grpc.status.INVALID_ARGUMENT, plexCode: 'PLEX_ERR_INVALID_ARGUMENT', messages: 0 });
      expect(await streamEnd(ts, 'Watch', {}, acme)).toEqual({ code: grpc.status.INVALID_ARGUMENT, plexCode: 'PLEX_ERR_INVALID_ARGUMENT', messages: 0 });
      // The same mapping as the unary calls: Count across tenants fails the same way.
      const unaryError = await unary(ts, 'Count', { space: { ...acmeSpace, tenant: 'globex' }, template: anyOne }, acme).catch((e: grpc.ServiceError) => e);
      expect((unaryError as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
      expect((unaryError as grpc.ServiceError).metadata.get('plex-error-code')).toEqual(['PLEX_ERR_FORBIDDEN']);
      // The failed streams left nothing behind: the space has no watcher, and the node still serves.
      expect((await node.spaces.open({ tenant: 'acme', namespace: 'jobs', name: 'q' }).stats()).watchers).toBe(0);
      expect(await unary<{ count: string }>(ts, 'Count', { space: acmeSpace, template: anyOne }, acme)).toEqual({ count: '0' });
    } finally {
      ts.close();
    }
  });

  it('ScatterGather: an unknown group, another tenant, a bad token, an empty request', async () => {
    const sg = new v1.ShardGroup(address, grpc.credentials.createInsecure());
    const acme = await token({ tenant: 'acme' });
    const group = { tenant: 'acme', namespace: 'jobs', id: 'no-such-group' };
    try {
      expect(await streamEnd(sg, 'ScatterGather', { group, messageType: 'sum' }, acme)).toEqual({ code: grpc.status.NOT_FOUND, plexCode: 'PLEX_ERR_SHARD_GROUP_NOT_FOUND', messages: 0 });
      expect(await streamEnd(sg, 'ScatterGather', { group: { ...group, tenant: 'globex' }, messageType: 'sum' }, acme)).toEqual({
        code: grpc.status.PERMISSION_DENIED,
        plexCode: 'PLEX_ERR_FORBIDDEN',
        messages: 0,
      });
      expect(await streamEnd(sg, 'ScatterGather', { group, messageType: 'sum' }, 'not.a.jwt')).toEqual({ code: grpc.status.UNAUTHENTICATED, plexCode: 'PLEX_ERR_UNAUTHENTICATED', messages: 0 });
      expect(await streamEnd(sg, 'ScatterGather', {}, acme)).toEqual({ code: grpc.status.INVALID_ARGUMENT, plexCode: 'PLEX_ERR_INVALID_ARGUMENT', messages: 0 });
    } finally {
      sg.close();
    }
  });
});
