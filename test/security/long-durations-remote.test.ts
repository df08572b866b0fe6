import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { PROTO_ROOT } from '../../src/server/grpc-server.js';
import { NodeServer } from '../../src/server/node-server.js';
import { MAX_DURATION_MS } from '../../src/util/duration.js';

// Long leases and TTLs over the real HTTP and gRPC surfaces of a node running
// in this process. Node clamps a setTimeout above 2^31-1 ms to 1 ms (and says
// so with a TimeoutOverflowWarning): a lease of 2^31 ms used to end at once,
// a TTL of 2^31 ms re-armed a 1 ms timer until it was due.
//
// "Still held" is shown without a clock threshold: after the take, a blocking
// read of the same tuple is armed with a short timeout. Timers fire in order of
// their due time, so a lease timer armed before it (and due sooner) would have
// put the tuple back first and the read would have returned it; a `null` read
// means the lease is still running.

let node: PlexNode;
let server: NodeServer;
let endpoints: { grpc: string; http: string };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let ts: any;
const overflowWarnings: Error[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === 'TimeoutOverflowWarning') overflowWarnings.push(warning);
};

beforeAll(async () => {
  process.on('warning', onWarning);
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  endpoints = await server.listen();
  const definition = protoLoader.loadSync(['plexspaces/v1/tuplespace.proto'], { includeDirs: [PROTO_ROOT], longs: String, enums: String, defaults: false, oneofs: true });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const v1 = (grpc.loadPackageDefinition(definition) as any).plexspaces.v1;
  ts = new v1.TupleSpace(endpoints.grpc, grpc.credentials.createInsecure());
}, 120_000);
afterAll(async () => {
  process.off('warning', onWarning);
  ts?.close();
  await server?.close();
  await node?.stop();
});
afterEach(() => {
  expect(overflowWarnings.splice(0)).toEqual([]);
});

const LONG = 2 ** 31;
const LONGER = 2 ** 40;
const base = '/api/v1/tuplespace/acme/jobs';

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${endpoints.http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function call<T>(method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => ts[method](request, (error: grpc.ServiceError | null, value: T) => (error ? reject(error) : resolve(value))));
}

const httpCount = async (space: string, template: unknown[]) => (await post(`${base}/${space}/count`, { template })).body.count;
const grpcSpace = (space: string) => ({ tenant: 'acme', namespace: 'jobs', space });
const str = (s: string) => ({ string: s });

describe('long leases and TTLs over HTTP', () => {
  it.each([LONG, LONGER])('a lease of %d ms keeps the tuple held and ack succeeds', async (leaseMs) => {
    const space = `http-lease-${leaseMs}`;
    expect((await post(`${base}/${space}/write`, { tuple: ['job', leaseMs] })).status).toBe(201);
    const taken = await post(`${base}/${space}/take-with-ack`, { template: ['job', null], leaseMs });
    expect(taken.status).toBe(200);
    expect(taken.body.leaseExpiresAt).toBeGreaterThan(Date.now() + leaseMs - 60_000);
    expect((await post(`${base}/${space}/read`, { template: ['job', null], timeoutMs: 100 })).body).toEqual({ tuple: null });
    expect(await post(`${base}/deliveries/ack`, { deliveryId: taken.body.deliveryId })).toEqual({ status: 200, body: { acked: true } });
    expect(await httpCount(space, ['job', null])).toBe(0);
  });

  it('a TTL of 2^31 ms keeps the tuple and arms no overflowing timer', async () => {
    expect((await post(`${base}/http-ttl/write`, { tuple: ['kept'], ttlMs: LONG })).status).toBe(201);
    expect((await post(`${base}/http-ttl/read`, { template: ['other'], timeoutMs: 100 })).body).toEqual({ tuple: null });
    expect(await httpCount('http-ttl', ['kept'])).toBe(1);
  });

  it('NaN-like, infinite, negative, string and over-the-maximum durations get 400 PLEX_ERR_INVALID_ARGUMENT and change nothing', async () => {
    await post(`${base}/http-bad/write`, { tuple: ['keep'] });
    // JSON cannot carry NaN, but 1e999 parses as Infinity.
    const values = ['1e999', '-1e999', '-1', '"5"', '"NaN"', String(MAX_DURATION_MS + 1)];
    for (const v of values) {
      for (const [op, body] of [
        ['write', `{"tuple": ["new"], "ttlMs": ${v}}`],
        ['take-with-ack', `{"template": ["keep"], "leaseMs": ${v}}`],
        ['read', `{"template": ["keep"], "timeoutMs": ${v}}`],
        ['take', `{"template": ["keep"], "timeoutMs": ${v}}`],
      ]) {
        const refused = await post(`${base}/http-bad/${op}`, body);
        expect({ op, v, status: refused.status, code: (refused.body.error as { code: string }).code }).toEqual({ op, v, status: 400, code: 'PLEX_ERR_INVALID_ARGUMENT' });
      }
    }
    expect((await post(`${base}/http-bad/read-all`, { template: [null] })).body).toEqual({ tuples: [['keep']] });
  });
});

describe('long leases and TTLs over gRPC', () => {
  it.each([LONG, LONGER])('a lease of %d ms keeps the tuple held and Ack succeeds', async (leaseMs) => {
    const space = grpcSpace(`grpc-lease-${leaseMs}`);
    const template = { fields: [{ value: str('job') }] };
    await call('Write', { space, tuple: { fields: [str('job')] } });
    const taken = await call<{ deliveryId: string; leaseExpiresAt: string }>('TakeWithAck', { space, template, leaseMs: String(leaseMs) });
    expect(Number(taken.leaseExpiresAt)).toBeGreaterThan(Date.now() + leaseMs - 60_000);
    expect(await call('Read', { space, template, timeoutMs: '100' })).toEqual({});
    expect(await call('Ack', { space, deliveryId: taken.deliveryId })).toEqual({});
    expect(await call('Count', { space, template })).toEqual({ count: '0' });
  });

  it('a TTL of 2^31 ms keeps the tuple and arms no overflowing timer', async () => {
    const space = grpcSpace('grpc-ttl');
    await call('Write', { space, tuple: { fields: [str('kept')] }, ttlMs: String(LONG) });
    expect(await call('Read', { space, template: { fields: [{ value: str('other') }] }, timeoutMs: '100' })).toEqual({});
    expect(await call('Count', { space, template: { fields: [{ value: str('kept') }] } })).toEqual({ count: '1' });
  });

  it('durations past the maximum (uint64 cannot be negative or NaN) are INVALID_ARGUMENT with the PLEX code and change nothing', async () => {
    const space = grpcSpace('grpc-bad');
    const keep = { fields: [{ value: str('keep') }] };
    await call('Write', { space, tuple: { fields: [str('keep')] } });
    for (const v of [String(MAX_DURATION_MS + 1), '18446744073709551615']) {
      for (const [method, request] of [
        ['Write', { space, tuple: { fields: [str('new')] }, ttlMs: v }],
        ['TakeWithAck', { space, template: keep, leaseMs: v }],
        ['Take', { space, template: keep, timeoutMs: v }],
      ] as const) {
        const error = (await call(method, request).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
        expect({ method, v, code: error.code, plex: error.metadata?.get('plex-error-code') }).toEqual({ method, v, code: grpc.status.INVALID_ARGUMENT, plex: ['PLEX_ERR_INVALID_ARGUMENT'] });
      }
    }
    expect(await call('ReadAll', { space, template: { fields: [{ any: {} }] } })).toEqual({ tuples: [{ fields: [{ kind: 'string', string: 'keep' }] }] });
  });
});
