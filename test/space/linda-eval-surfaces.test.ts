import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compute, PlexClient } from '../../src/client/index.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { NodeServer } from '../../src/server/node-server.js';

// Linda's eval from outside the node: HTTP, the websocket client and the gRPC client, each writing the
// finished tuple into the caller's own tenant, with the same refusals.
let node: PlexNode;
let server: NodeServer;
let endpoints: { http: string; ws: string; grpc: string };

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 2 });
  const primes = (await buildActor(join(import.meta.dirname, '../fixtures/eval/primes.ts'))).component;
  await node.runtime.deploy('acme:primes', primes);
  await node.runtime.deploy('globex:primes', primes);
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  endpoints = await server.listen();
}, 120_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

const isPrime = (n: number) => n >= 2 && [...Array(n).keys()].slice(2).every((d) => n % d !== 0);

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${endpoints.http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("Linda's eval over the node's surfaces", () => {
  it('HTTP: POST …/eval answers the finished tuple, which is then in the space', async () => {
    const path = '/api/v1/tuplespace/acme/math/sieve/eval';
    const reply = await post(path, { tuple: ['prime', 13, { $eval: { module: 'primes', task: 'is-prime', args: { n: 13 } } }] });
    expect(reply).toEqual({ status: 201, body: { tuple: ['prime', 13, true] } });
    expect(await node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'sieve' }).tryTake(['prime', 13, null])).toEqual(['prime', 13, true]);
    // A handler's error reply is the field's value; a computation that fails (no such actor) is an error
    // value by default, and with onError "reject" a 502 that wrote nothing.
    expect((await post(path, { tuple: ['soft', { $eval: { module: 'primes', task: 'fail' } }] })).body.tuple).toEqual(['soft', { error: 'asked to fail' }]);
    const strict = await post(path, { tuple: ['strict', { $eval: { actor: 'nobody', message: 'ping' } }], onError: 'reject' });
    expect(strict.status).toBe(502);
    expect(strict.body).toMatchObject({ error: { code: 'PLEX_ERR_EVAL_FAILED' } });
    expect(await node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'sieve' }).tryRead(['strict', null])).toBeNull();
  });

  it('HTTP: bad input is a clear 400 and writes nothing; another tenant’s module is refused', async () => {
    const path = '/api/v1/tuplespace/acme/math/bad/eval';
    for (const body of [{}, { tuple: 'x' }, { tuple: [{ $eval: { module: 'primes' } }] }, { tuple: [{ $eval: { module: 'primes', task: 'is-prime' }, extra: 1 }] }, { tuple: ['x', { $eval: { module: 'primes', task: 'is-prime' } }], onError: 'maybe' }]) {
      const reply = await post(path, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
    }
    expect((await post(path, { tuple: ['x', { $eval: { module: 'nope', task: 'is-prime' } }] })).body).toMatchObject({ error: { code: 'PLEX_ERR_MODULE_NOT_FOUND' } });
    expect((await post(path, { tuple: ['x', { $eval: { module: 'globex:primes', task: 'is-prime' } }] })).body).toMatchObject({ error: { code: 'PLEX_ERR_FORBIDDEN' } });
    expect(await node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'bad' }).count([null])).toBe(0);
  });

  for (const transport of ['ws', 'grpc'] as const) {
    it(`the ${transport === 'ws' ? 'websocket' : 'gRPC'} client: space.eval, a master/worker whose workers are evals`, async () => {
      const client = await PlexClient.connect(transport === 'ws' ? endpoints.ws : `grpc://${endpoints.grpc}`, { tenant: 'acme', namespace: 'math' });
      try {
        const space = client.space(`mw-${transport}`);
        // The master hands out 40 numbers as evals at once; each becomes a result tuple; it collects them all.
        const written = await Promise.all(Array.from({ length: 40 }, (_, i) => space.eval(['result', i + 2, compute.task('primes', 'is-prime', { n: i + 2 })])));
        expect(written.map((t) => t[2])).toEqual(Array.from({ length: 40 }, (_, i) => isPrime(i + 2)));
        const collected = await space.takeAll(['result', null, null]);
        expect(collected.length).toBe(40);
        expect(new Map(collected.map((t) => [t[1], t[2]]))).toEqual(new Map(Array.from({ length: 40 }, (_, i) => [i + 2, isPrime(i + 2)])));
        await expect(space.eval(['strict', compute.ask('nobody', 'ping')], { onError: 'reject' })).rejects.toMatchObject({ code: 'PLEX_ERR_EVAL_FAILED' });
        expect(await space.tryRead(['strict', null])).toBeNull();
      } finally {
        await client.close();
      }
    });
  }
});
