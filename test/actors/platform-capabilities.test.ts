import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { HttpClientService } from '../../src/coord/http-client.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';

const fixtures = join(import.meta.dirname, '../fixtures/worlds');
const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
let services: Uint8Array;
let events: Uint8Array;
let journal: Uint8Array;

/** Two loopback servers: the allowed origin, and one no actor may reach (it counts what arrives). */
let allowed: Server;
let forbidden: Server;
let forbiddenHits = 0;
let allowedOrigin = '';
let forbiddenOrigin = '';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  services = (await buildActor(join(fixtures, 'services.ts'))).component;
  events = (await buildActor(join(fixtures, 'events.ts'))).component;
  journal = (await buildActor(join(fixtures, 'journal.ts'))).component;
  allowed = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/hello') res.end('hi');
      else if (req.url === '/echo') res.setHeader('content-type', 'application/json').end(JSON.stringify({ method: req.method, body, token: req.headers['x-token'] }));
      else if (req.url === '/big') res.end('x'.repeat(2 * 1024 * 1024));
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 3000);
      else if (req.url === '/redirect') res.writeHead(302, { location: `${forbiddenOrigin}/` }).end();
      else res.writeHead(404).end();
    });
  });
  forbidden = createServer((_req, res) => {
    forbiddenHits++;
    res.end('you should not be here');
  });
  allowedOrigin = await listen(allowed);
  forbiddenOrigin = await listen(forbidden);
}, 180_000);
afterAll(() => {
  allowed?.close();
  forbidden?.close();
});

const manifest = (httpClient: string) => `[supervisor]
strategy = "one_for_one"
[[supervisor.children]]
id = "svc"
module = "services.wasm"
durable = false
[[supervisor.children]]
id = "peer"
module = "services.wasm"
durable = false
${httpClient}`;

describe('platform capabilities through real actors', () => {
  let node: PlexNode;
  const ask = async (actor: string, type: string, payload: unknown = {}) => decode(await node.actors.ask(actor, type, JSON.stringify(payload)));

  beforeAll(async () => {
    node = new PlexNode({ dataDir: null, workers: 2 });
    const files = new Map([['services.wasm', services]]);
    await node.applications.deployBundle('acme', 'prod', 'svc', manifest(`[http_client]\nallow = ["${allowedOrigin}"]\nmax_response_bytes = 1048576\n`), files);
    await node.applications.deployBundle('other', 'prod', 'svc', manifest(''), files);
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('registry: instances register with a TTL, are seen by their own tenant only, and go when unregistered, expired or exited', async () => {
    expect(await ask('acme/prod/svc', 'register', { service: 'pricing', ttlMs: 60_000, metadata: { version: 2 } })).toEqual({ registered: 'pricing' });
    const seen = await ask('acme/prod/peer', 'lookup', { service: 'pricing' });
    expect(seen.instances).toEqual([{ actor: 'acme/prod/svc', metadata: { version: 2 }, expires_at_ms: expect.any(Number) }]);
    expect(seen.services).toEqual(['pricing']);
    expect((await ask('other/prod/svc', 'lookup', { service: 'pricing' })).instances).toEqual([]);
    expect(await ask('acme/prod/svc', 'unregister', { service: 'pricing' })).toEqual({ was: true });
    expect((await ask('acme/prod/peer', 'lookup', { service: 'pricing' })).instances).toEqual([]);
    // A TTL that lapses.
    await ask('acme/prod/svc', 'register', { service: 'short', ttlMs: 300 });
    expect((await ask('acme/prod/peer', 'lookup', { service: 'short' })).instances).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 450));
    expect((await ask('acme/prod/peer', 'lookup', { service: 'short' })).instances).toEqual([]);
    // An instance that exits (the supervisor restarts it, without the registration).
    await ask('acme/prod/svc', 'register', { service: 'pricing', ttlMs: 60_000 });
    await node.actors.kill('acme/prod/svc');
    await node.applications.supervisor('acme', 'svc')!.idle();
    await expect.poll(async () => (await ask('acme/prod/peer', 'lookup', { service: 'pricing' })).instances).toEqual([]);
    // Bad input is refused and registers nothing.
    expect((await ask('acme/prod/svc', 'register', { service: 'x', ttlMs: 0 })).error).toMatch(/PLEX_ERR_INVALID_ARGUMENT.*ttl-ms/);
    expect((await ask('acme/prod/svc', 'register', { service: '../x', ttlMs: 1000 })).error).toMatch(/service name/);
    expect((await ask('acme/prod/peer', 'lookup', { service: 'x' })).instances).toEqual([]);
  });

  it('http client: requests reach only the origins the manifest allows, with limits and timeouts', async () => {
    expect(await ask('acme/prod/svc', 'fetch', { url: `${allowedOrigin}/hello` })).toMatchObject({ status: 200, body: 'hi' });
    const echoed = await ask('acme/prod/svc', 'fetch', { method: 'POST', url: `${allowedOrigin}/echo`, body: 'payload', headers: { 'x-token': 't1' } });
    expect(JSON.parse(echoed.body)).toEqual({ method: 'POST', body: 'payload', token: 't1' });
    // Elsewhere: another port, another name for the same host, another scheme, another tenant's actor.
    expect((await ask('acme/prod/svc', 'fetch', { url: `${forbiddenOrigin}/` })).error).toMatch(/PLEX_ERR_FORBIDDEN.*is not an origin the application's manifest allows/);
    expect((await ask('acme/prod/svc', 'fetch', { url: allowedOrigin.replace('127.0.0.1', 'localhost') + '/hello' })).error).toMatch(/PLEX_ERR_FORBIDDEN/);
    expect((await ask('acme/prod/svc', 'fetch', { url: 'file:///etc/passwd' })).error).toMatch(/PLEX_ERR_INVALID_ARGUMENT.*not an http or https URL/);
    expect((await ask('other/prod/svc', 'fetch', { url: `${allowedOrigin}/hello` })).error).toMatch(/PLEX_ERR_FORBIDDEN/);
    // A redirect is answered as it is, never followed to an origin that is not allowed.
    expect(await ask('acme/prod/svc', 'fetch', { url: `${allowedOrigin}/redirect` })).toMatchObject({ status: 302, headers: { location: `${forbiddenOrigin}/` } });
    expect(forbiddenHits).toBe(0);
    expect((await ask('acme/prod/svc', 'fetch', { url: `${allowedOrigin}/hello`, headers: { host: 'elsewhere' } })).error).toMatch(/may not set the host header/);
    expect((await ask('acme/prod/svc', 'fetch', { url: `${allowedOrigin}/big` })).error).toMatch(/PLEX_ERR_PAYLOAD_TOO_LARGE/);
    expect((await ask('acme/prod/svc', 'fetch', { url: `${allowedOrigin}/slow`, timeoutMs: 300 })).error).toMatch(/PLEX_ERR_HTTP_REQUEST_FAILED.*no response within 300 ms/);
    expect((await ask('acme/prod/svc', 'fetch', { method: 'BREW', url: `${allowedOrigin}/hello` })).error).toMatch(/PLEX_ERR_INVALID_ARGUMENT/);
  });

  it('http client: a tenant past its per-minute quota is refused before anything is sent', async () => {
    const client = new HttpClientService({ perMinute: 2 });
    client.setPolicy('m', { allow: [allowedOrigin] });
    const scope = { tenant: 'q', namespace: 'default' };
    const get = () => client.request(scope, 'm', { method: 'GET', url: `${allowedOrigin}/hello`, headers: {}, body: '', timeoutMs: 0 });
    await get();
    await get();
    await expect(get()).rejects.toMatchObject({ code: 'PLEX_ERR_QUOTA_EXCEEDED', message: expect.stringContaining('http_requests_per_minute') });
    // Another tenant has its own budget.
    await expect(client.request({ tenant: 'q2', namespace: 'default' }, 'm', { method: 'GET', url: `${allowedOrigin}/hello`, headers: {}, body: '', timeoutMs: 0 })).resolves.toMatchObject({ body: 'hi' });
    expect(() => client.setPolicy('n', { allow: ['ftp://x'] })).toThrow(/not an http or https URL/);
  });

  it('cron: an actor schedules recurring messages to itself, lists and cancels them; a bad expression is refused', async () => {
    const scheduled = await ask('acme/prod/peer', 'schedule', { name: 'beat', expr: '* * * * * *' });
    expect(scheduled).toEqual({ name: 'beat', next_ms: expect.any(Number) });
    await expect.poll(async () => (await ask('acme/prod/peer', 'ticks')).ticks, { timeout: 6000 }).toBeGreaterThanOrEqual(2);
    expect((await ask('acme/prod/peer', 'schedules')).schedules).toEqual([{ name: 'beat', expr: '* * * * * *', type: 'tick', next_ms: expect.any(Number) }]);
    expect(await ask('acme/prod/peer', 'unschedule', { name: 'beat' })).toEqual({ was: true });
    const after = (await ask('acme/prod/peer', 'ticks')).ticks;
    await new Promise((r) => setTimeout(r, 2200));
    expect((await ask('acme/prod/peer', 'ticks')).ticks).toBeLessThanOrEqual(after + 1);
    expect((await ask('acme/prod/peer', 'schedule', { name: 'bad', expr: 'every tuesday' })).error).toMatch(/PLEX_ERR_INVALID_ARGUMENT.*invalid cron expression/);
    expect((await ask('acme/prod/peer', 'schedules')).schedules).toEqual([]);
  });
});

describe('cron schedules are durable and fire once per tick', () => {
  it('survive a restart of the node: the actor, started again, gets its ticks without scheduling again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plexspaces-cron-'));
    try {
      const first = new ActorSystem({ workers: 1, dataDir });
      await first.runtime.deploy('services', services);
      const ticker = await first.spawn('services', { id: 'ticker' });
      await first.ask(ticker, 'schedule', JSON.stringify({ name: 'beat', expr: '* * * * * *' }));
      await first.close();
      const second = new ActorSystem({ workers: 1, dataDir });
      try {
        await second.runtime.deploy('services', services);
        await second.spawn('services', { id: 'ticker' });
        await expect.poll(async () => decode(await second.ask('ticker', 'ticks')).ticks, { timeout: 6000 }).toBeGreaterThanOrEqual(2);
        expect(decode(await second.ask('ticker', 'schedules')).schedules).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
  // One firing per tick between several nodes: test/cluster/cron-conformance.test.ts (SQLite, redis-server, Redis Cluster).
});

describe('topics, queues and the journal through event and durable actors', () => {
  let system: ActorSystem;
  beforeAll(async () => {
    system = new ActorSystem({ workers: 1 });
    await system.runtime.deploy('events', events);
    await system.runtime.deploy('journal', journal);
  });
  afterAll(async () => {
    await system?.close();
  });

  it('an event actor subscribes to a topic, another publishes to it, and queue messages are received and acked', async () => {
    const listener = await system.spawn('events', { id: 'listener' });
    const speaker = await system.spawn('events', { id: 'speaker' });
    await system.ask(listener, 'listen', JSON.stringify({ topic: 'news' }));
    expect(decode(await system.ask(speaker, 'announce', JSON.stringify({ topic: 'news', text: 'hello' })))).toEqual({ reached: 1 });
    await expect.poll(async () => decode(await system.ask(listener, 'heard-so-far')).heard).toEqual([{ text: 'hello' }]);
    // A topic is not a plain process group of the same name.
    expect(await system.coordination.groups.members({ tenant: 'default', namespace: 'default' }, 'news')).toEqual([]);
    await system.ask(speaker, 'enqueue', JSON.stringify({ n: 5 }));
    expect(decode(await system.ask(listener, 'dequeue'))).toEqual({ got: 5 });
    expect(decode(await system.ask(listener, 'dequeue'))).toEqual({ empty: true });
  });

  it('a durable actor reads its journal position and asks for a checkpoint; a non-durable one is told it is not durable', async () => {
    const durable = await system.spawn('journal', { id: 'ledger', facets: ['durability'] });
    const first = decode(await system.ask(durable, 'add', JSON.stringify({ n: 2 })));
    expect(first).toMatchObject({ total: 2, replaying: false });
    expect(first.seq).toBeGreaterThan(0);
    expect(decode(await system.ask(durable, 'add', JSON.stringify({ n: 3 }))).seq).toBe(first.seq + 1);
    expect(await system.journal.latestCheckpoint('ledger')).toBeUndefined();
    await system.ask(durable, 'save');
    await expect.poll(async () => (await system.journal.latestCheckpoint('ledger'))?.seq).toBe(first.seq + 2);
    const plain = await system.spawn('journal', { id: 'scratchpad' });
    expect(decode(await system.ask(plain, 'add', JSON.stringify({ n: 1 })))).toMatchObject({ total: 1, seq: 0, replaying: false });
    expect(decode(await system.ask(plain, 'save')).error).toMatch(/PLEX_ERR_USAGE.*not a durable actor/);
  });
});
