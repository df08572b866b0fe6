import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { NodeServer } from '../../src/server/node-server.js';
import { WS_OPS } from '../../src/server/ws-endpoint.js';
import { packr, wsClient } from './ws-support.js';

// Every websocket op with generated arguments and scopes: whatever a client sends, the node answers with a
// PLEX_ERR_* code it means (never PLEX_ERR_INTERNAL, which is what an unexpected exception turns into) and
// keeps serving. Each request is followed by a `cancel` of itself, so a blocking op with a long wait ends at
// once (as PLEX_ERR_ABORTED) instead of holding the test.

let node: PlexNode;
let server: NodeServer;
let url: string;

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  url = (await server.listen()).ws;
});
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

/** Values of every msgpack shape the decoder lets through, small numbers only (a fuzzed n-body job must stay cheap). */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 2, 0.5, -0, NaN, Infinity, -Infinity, 3n, '', 'job', 'x'.repeat(300), '__proto__', '../..', 'a/b'),
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom(new Uint8Array([1, 2])),
    tie('array'),
    tie('map'),
  ),
  array: fc.array(tie('value'), { maxLength: 3 }),
  map: fc.dictionary(fc.constantFrom('$int', '$bytes', '$type', '$in', '$eq', '$record', 'x', 'tuple'), tie('value'), { maxKeys: 2 }),
})).value;

/** Argument names the ops read, so that generated requests reach past "missing argument" checks. */
const ARG_NAMES = ['space', 'tuple', 'tuples', 'template', 'timeoutMs', 'leaseMs', 'ttlMs', 'limit', 'deliveryId', 'id', 'actor', 'type', 'payload', 'application', 'group', 'shards', 'partition', 'entries', 'round', 'bodies', 'steps', 'workers', 'op', 'path'];
const args = fc.dictionary(fc.constantFrom(...ARG_NAMES), value, { maxKeys: 6 });
const scope = fc.oneof(fc.constant(undefined), fc.record({ tenant: fc.constantFrom('default', 'acme', '', '../x', 'a'.repeat(80)), namespace: fc.constantFrom('default', 'ns', '', '*') }), value);
const ops = [...WS_OPS].filter((op) => op !== 'cancel');

describe('websocket ops with generated arguments', () => {
  it('no op answers PLEX_ERR_INTERNAL, and the node keeps serving', async () => {
    const client = await wsClient(url);
    let id = 1_000_000;
    const outcomes = new Map<string, number>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ops), args, scope, async (op, a, s) => {
          const requestId = id++;
          const reply = client.send(packr.pack({ id: requestId, op, scope: s, args: a }), requestId);
          const cancelId = id++;
          const cancelled = client.send(packr.pack({ id: cancelId, op: 'cancel', args: { id: requestId } }), cancelId);
          const [frame] = await Promise.all([reply, cancelled]);
          const outcome = frame.ok === false ? frame.error!.code : 'ok';
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          if (frame.ok === false) {
            expect(frame.error?.code, `${op} ${JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}: ${frame.error?.message}`).toMatch(/^PLEX_ERR_/);
            expect(frame.error?.code, `${op}: ${frame.error?.message}`).not.toBe('PLEX_ERR_INTERNAL');
          }
        }),
        { numRuns: 1500 },
      );
      expect((await client.call('ping')).result).toBe('pong');
      // The generated requests reached the operations, not only the first argument check: some succeeded, and
      // they failed in several ways (invalid tuple, template, argument, not found…).
      expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
      expect(outcomes.size).toBeGreaterThanOrEqual(5);
    } finally {
      client.close();
    }
  }, 120_000);
});
