import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { HttpGateway } from '../../src/server/http-gateway.js';
import { NodeService } from '../../src/server/node-service.js';

// Malformed input over HTTP gets a 4xx with a PLEX_ERR code and changes
// nothing; no body, however deep, odd or mistyped, makes the node answer 5xx.

let node: PlexNode;
let gateway: HttpGateway;
let port: number;
const agent = new Agent({ keepAlive: true });

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  gateway = new HttpGateway(new NodeService(node));
  port = await gateway.listen(0);
});
afterAll(async () => {
  agent.destroy();
  await gateway?.close();
  await node?.stop();
});

interface Answer {
  readonly status: number;
  readonly body: { error?: { code?: string; message?: string } } & Record<string, unknown>;
}

function call(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = request({ port, method, path, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Answer['body'] = {};
        try {
          parsed = JSON.parse(text) as Answer['body'];
        } catch {
          parsed = { text };
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (path: string, body: unknown) => call('POST', path, typeof body === 'string' ? body : JSON.stringify(body));
const space = (name: string) => node.spaces.open({ tenant: 'acme', namespace: 'input', name });
const ts = (name: string) => `/api/v1/tuplespace/acme/input/${name}`;

/** `[[[…leaf…]]]`, `depth` arrays deep, as text (JSON.stringify would overflow the stack building it). */
const deepArray = (depth: number, leaf = '1') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
const deepRecord = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Every route, with `{}` for a path parameter. */
const ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/api/v1/health'],
  ['GET', '/api/v1/info'],
  ['POST', '/api/v1/applications/deploy'],
  ['POST', '/api/v1/actors/{}/ask'],
  ['POST', '/api/v1/actors/{}/tell'],
  ...(['GET', 'DELETE', 'POST', 'PUT'] as const).map((m) => [m, '/api/v1/actors/{}/{}/{}'] as const),
  ['GET', '/api/v1/blobs/{}/{}'],
  ...(['PUT', 'GET', 'DELETE'] as const).map((m) => [m, '/api/v1/blobs/{}/{}/{}'] as const),
  ...['get', 'put', 'delete', 'list'].map((op) => ['POST', `/api/v1/kv/{}/{}/${op}`] as const),
  ...['write', 'write-all', 'read', 'take', 'read-all', 'take-all', 'take-with-ack', 'count'].map((op) => ['POST', `/api/v1/tuplespace/{}/{}/{}/${op}`] as const),
  ['POST', '/api/v1/tuplespace/{}/{}/deliveries/ack'],
  ['POST', '/api/v1/tuplespace/{}/{}/deliveries/nack'],
  ['GET', '/api/v1/shard-groups/{}/{}'],
  ['POST', '/api/v1/shard-groups/{}/{}'],
  ['DELETE', '/api/v1/shard-groups/{}/{}/{}'],
  ...['bulk-update', 'scatter-gather', 'reduce', 'barrier', 'scale'].map((op) => ['POST', `/api/v1/shard-groups/{}/{}/{}/${op}`] as const),
];
const POST_ROUTES = ROUTES.filter(([m]) => m === 'POST' || m === 'PUT');

/** The body fields routes read, so that generated bodies reach past "field missing". */
const KEYS = ['tuple', 'tuples', 'template', 'timeoutMs', 'ttlMs', 'limit', 'prefix', 'key', 'value', 'leaseMs', 'deliveryId', 'message_type', 'payload', 'application_id', 'tenant', 'namespace', 'id', 'application', 'shards', 'partition', 'config', 'entries', 'consistency', 'type', 'op', 'path', 'round', 'deadlineMs', 'minResponses', 'aggregate'];

/** Path parameters: ordinary, percent-encoded garbage, traversal, over-long, unicode. */
const segment = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('acme', 'default', 'q', 'g1', 'a.b-c_d') },
  fc.constantFrom('..', '.', '%', '%zz', '%00', '%2F', '%2e%2e', 'a%20b', '~', '-', '_x', 'a'.repeat(64), 'a'.repeat(65), 'b'.repeat(3000), '%F0%9F%92%A9', '%C3%A9', 'k:v', ':', '%ff%fe'),
  fc.string({ maxLength: 24 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 8 }).map(encodeURIComponent),
);

/** Tuple-ish values: the JSON form's tags, operators and their malformed cousins. */
const tupleish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom({ $int: '12' }, { $int: 'x' }, { $int: 7 }, { $int: '99999999999999999999999' }, { $bytes: 'AQID' }, { $bytes: '====' }, { $bytes: '!!!' }, { $bytes: 3 }),
    fc.constantFrom({ $record: [] }, { $record: null }, { $record: { $int: '1' } }, { $type: 'string' }, { $type: 'nope' }, { $gt: 'a', $lt: 3 }, { $prefix: 1 }, { $in: [] }, { $eq: null }),
    tie('value').map((v) => ({ $in: [v] })),
    tie('value').map((v) => ({ $eq: v })),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', '$x', '__proto__', ''), tie('value'), { maxKeys: 2 }),
  ),
})).value;

/** timeoutMs and deadlineMs stay small: the property is about answers, not about waiting. */
const short = (key: string, value: unknown) => ((key === 'timeoutMs' || key === 'deadlineMs') && typeof value === 'number' && value > 20 ? 20 : value);

const jsonBody = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom(...KEYS), tupleish, { maxKeys: 5 }).map((o) => JSON.stringify(o, short)),
  fc.constantFrom('null', '[]', '0', '"x"', 'true', '1e999', '{"tuple":[1e999]}', '{"tuple":[-1e400]}', '{"template":[1e999]}', '{"payload":1e999}', '{"tuple":["a"],"ttlMs":1e999}', '{', '{"a":', '', '\u0000'),
  fc.constantFrom(33, 127, 129, 255, 257, 10_000).chain((depth) =>
    fc.constantFrom(
      deepArray(depth),
      `{"tuple":${deepArray(depth)}}`,
      `{"template":${deepArray(depth, 'null')}}`,
      `{"tuple":[${deepRecord(depth)}]}`,
      `{"template":[{"$in":[${deepArray(depth)}]}]}`,
      `{"tuples":[${deepArray(depth)}]}`,
      `{"payload":${deepArray(depth)}}`,
      `{"entries":[["k",${deepArray(depth)}]]}`,
    ),
  ),
);

function fill(template: string, params: string[]): string {
  let i = 0;
  return template.replace(/\{\}/g, () => params[i++] ?? 'x');
}

describe('HTTP bad input', () => {
  it('a null, array or scalar body on every route that takes one is a 400 with a code, and writes nothing', async () => {
    for (const [method, template] of POST_ROUTES) {
      if (template.endsWith('/deploy') || template.startsWith('/api/v1/blobs') || (template === '/api/v1/actors/{}/{}/{}' && method !== 'GET')) continue; // raw bodies
      const path = fill(template, ['acme', 'input', 'nulls']);
      for (const body of ['null', '[]', '[["x"]]', '7', '"tuple"', 'true']) {
        const answer = await call(method, path, body);
        expect({ path, body, status: answer.status, code: answer.body.error?.code }).toEqual({ path, body, status: 400, code: 'PLEX_ERR_INVALID_ARGUMENT' });
      }
    }
    expect(await space('nulls').count([null])).toBe(0);
  });

  it('nesting 10,000 deep in a tuple, template, record, $in or payload is refused with a 4xx, not a stack overflow', async () => {
    const cases: [string, string][] = [
      [ts('deep') + '/write', `{"tuple":${deepArray(10_000)}}`],
      [ts('deep') + '/write', `{"tuple":[${deepRecord(10_000)}]}`],
      [ts('deep') + '/write-all', `{"tuples":[${deepArray(10_000)}]}`],
      [ts('deep') + '/count', `{"template":${deepArray(10_000, 'null')}}`],
      [ts('deep') + '/take', `{"template":[{"$in":[${deepArray(10_000)}]}]}`],
      ['/api/v1/actors/nobody/ask', `{"message_type":"t","payload":${deepArray(10_000)}}`],
      ['/api/v1/kv/acme/input/put', deepRecord(10_000)],
    ];
    for (const [path, body] of cases) {
      const answer = await post(path, body);
      expect(answer.status, `${path} ${body.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${path} ${body.slice(0, 40)}`).toBeLessThan(500);
      expect(answer.body.error?.code).toMatch(/^PLEX_ERR_/);
    }
    // Past the tuple depth limit (32) but within what JSON may carry: the space's own limit answers.
    const over = await post(ts('deep') + '/write', `{"tuple":${deepArray(40)}}`);
    expect([over.status, over.body.error?.code]).toEqual([413, 'PLEX_ERR_TUPLE_TOO_LARGE']);
    expect(await space('deep').count([null])).toBe(0);
    expect((await post(ts('deep') + '/write', { tuple: [JSON.parse(deepArray(30))] })).status).toBe(201);
  });

  it('values JSON cannot carry are refused, naming the field, instead of being stored as something else', async () => {
    const refused: [unknown, string][] = [
      ['{"tuple":["a",{"$bytes":"===="}]}', '[1]'],
      ['{"tuple":["a",{"$bytes":"!!!"}]}', '[1]'],
      ['{"tuple":["a",{"$bytes":"AQI"}]}', '[1]'], // unpadded: not canonical
      ['{"tuple":["a",1e999]}', '[1]'],
      ['{"tuple":["a",{"x":[-1e999]}]}', '[1].x[0]'],
      ['{"tuple":["a",{"$int":"1.5"}]}', '[1]'],
      ['{"tuple":["a",{"$record":[1,2]}]}', '[1]'],
      ['{"tuple":["a",{"k":1,"__proto__":2}]}', '[1]'],
    ];
    for (const [body, path] of refused) {
      const answer = await post(ts('faithful') + '/write', body);
      expect([answer.status, answer.body.error?.code], String(body)).toEqual([400, 'PLEX_ERR_INVALID_TUPLE']);
      expect(answer.body.error?.message, String(body)).toContain(`at ${path}:`);
    }
    const template = await post(ts('faithful') + '/count', '{"template":["a",1e999]}');
    expect([template.status, template.body.error?.code]).toEqual([400, 'PLEX_ERR_INVALID_TUPLE']);
    expect(await space('faithful').count([null, null])).toBe(0);
    // An actor payload is checked the same way, before any actor is looked up.
    const ask = await post('/api/v1/actors/nobody/ask', '{"message_type":"t","payload":{"n":1e999}}');
    expect([ask.status, ask.body.error?.code]).toEqual([400, 'PLEX_ERR_INVALID_ARGUMENT']);
    // Canonical forms still round-trip.
    expect((await post(ts('faithful') + '/write', { tuple: ['a', { $bytes: 'AQID' }, { $bytes: '' }, { $int: '-9007199254740993' }, { $record: { $int: 'text' } }] })).status).toBe(201);
    expect((await post(ts('faithful') + '/take', { template: ['a', null, null, null, null] })).body).toEqual({ tuple: ['a', { $bytes: 'AQID' }, { $bytes: '' }, { $int: '-9007199254740993' }, { $record: { $int: 'text' } }] });
  });

  it('fuzz: random bodies and odd path parameters on every route never get a 5xx, and every error carries a code', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.array(segment, { minLength: 3, maxLength: 3 }),
        jsonBody,
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8'),
        async ([method, template], params, body, contentType) => {
          const answer = await call(method, fill(template, params), method === 'GET' || method === 'DELETE' ? undefined : body, contentType);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status >= 500) throw new Error(`${method} ${template} ${body.slice(0, 200)} → ${answer.status} ${JSON.stringify(answer.body)}`);
          if (answer.status >= 400) expect(answer.body.error?.code).toMatch(/^PLEX_ERR_/);
        },
      ),
      { numRuns: 1500 },
    );
    // The run reached past routing: some answers were successes and some refusals of input.
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect((await call('GET', '/api/v1/health')).status).toBe(200);
  }, 120_000);
});
