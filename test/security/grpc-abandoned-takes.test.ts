import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { PROTO_ROOT } from '../../src/server/grpc-server.js';
import { NodeServer } from '../../src/server/node-server.js';

// A gRPC client that cancels a blocking Take must leave no waiter behind, and
// the writes that come after must all stay in the space (none swallowed by a
// waiter whose reply nobody will read).

let node: PlexNode;
let server: NodeServer;
let ts: grpc.Client & Record<string, any>;

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  const address = (await server.listen()).grpc;
  const definition = protoLoader.loadSync('plexspaces/v1/tuplespace.proto', { includeDirs: [PROTO_ROOT], longs: String, enums: String, defaults: false, oneofs: true });
  const v1 = (grpc.loadPackageDefinition(definition) as any).plexspaces.v1;
  ts = new v1.TupleSpace(address, grpc.credentials.createInsecure());
});
afterAll(async () => {
  ts?.close();
  await server?.close();
  await node?.stop();
});

const space = { tenant: 'acme', namespace: 'jobs', space: 'q' };
const jobTemplate = { fields: [{ value: { string: 'job' } }, { any: {} }] };
const unary = <T>(method: string, request: unknown) =>
  new Promise<T>((resolve, reject) => ts[method](request, (error: grpc.ServiceError | null, value: T) => (error ? reject(error) : resolve(value))));

describe('gRPC: abandoned blocking takes', () => {
  it('500 cancelled takes leave no waiter, and every later write stays', async () => {
    const local = node.spaces.open({ tenant: 'acme', namespace: 'jobs', name: 'q' });
    const calls = Array.from({ length: 500 }, () => {
      const call = ts.Take({ space, template: jobTemplate, timeoutMs: '300000' }, () => undefined);
      return call as grpc.ClientUnaryCall;
    });
    await expect.poll(async () => (await local.stats()).waiters, { timeout: 30_000 }).toBe(500);
    for (const call of calls) call.cancel();
    await expect.poll(async () => (await local.stats()).waiters, { timeout: 30_000 }).toBe(0);
    for (let i = 0; i < 500; i++) await unary('Write', { space, tuple: { fields: [{ kind: 'string', string: 'job' }, { kind: 'number', number: i }] } });
    expect(await unary<{ count: string }>('Count', { space, template: jobTemplate })).toEqual({ count: '500' });
    // A take whose reply goes out removes its tuple for good (it was held as a delivery, then acked).
    const taken = await unary<{ tuple: { fields: unknown[] } }>('Take', { space, template: jobTemplate, timeoutMs: '1000' });
    expect(taken.tuple.fields).toHaveLength(2);
    await expect.poll(async () => (await local.stats()).inflight).toBe(0);
    expect(await unary<{ count: string }>('Count', { space, template: jobTemplate })).toEqual({ count: '499' });
  });
});
