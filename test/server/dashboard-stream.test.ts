import { SignJWT } from 'jose';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PlexNode } from '../../src/node/plex-node.js';
import { NodeServer } from '../../src/server/node-server.js';

// The websocket's dashboard.subscribe on a real node with auth on: snapshots are the JSON of the
// matching route for the socket's token, a cancel ends the stream, bad arguments are refused by name.

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });
let node: PlexNode;
let server: NodeServer;
let http: string;
let wsUrl: string;

const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

interface Frame {
  id: number;
  ok?: boolean;
  result?: any;
  error?: { code: string; message: string };
  event?: string;
  data?: any;
}

/** A socket with the token on the upgrade; `request` resolves with the final frame and hands events to `onEvent`. */
async function socket(token: string) {
  const ws = new WebSocket(`${wsUrl}?token=${token}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const waiting = new Map<number, { done: (f: Frame) => void; onEvent?: (f: Frame) => void }>();
  ws.on('message', (data: Buffer) => {
    const frame = packr.unpack(data) as Frame;
    const entry = waiting.get(frame.id);
    if (frame.event !== undefined) entry?.onEvent?.(frame);
    else entry?.done(frame);
  });
  let next = 1;
  return {
    ws,
    request(op: string, args: Record<string, unknown>, onEvent?: (f: Frame) => void) {
      const id = next++;
      const done = new Promise<Frame>((resolve) => waiting.set(id, { done: resolve, onEvent }));
      ws.send(packr.pack({ id, op, args }));
      return { id, done };
    },
  };
}

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0, auth: { enabled: true, algorithm: 'HS256', secret: SECRET, operators: ['ops-alice'] } });
  ({ http, ws: wsUrl } = await server.listen());
  for (const [tenant, space] of [['acme', 'orders'], ['globex', 'plans']]) {
    const response = await fetch(`${http}/api/v1/tuplespace/${tenant}/default/${space}/write`, { method: 'POST', headers: { authorization: `Bearer ${await sign({ tenant })}`, 'content-type': 'application/json' }, body: JSON.stringify({ tuple: [space, 1] }) });
    expect(response.status).toBe(201);
  }
});
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

describe('dashboard.subscribe over the websocket', () => {
  it('streams the route’s JSON for the socket’s token until cancelled, then answers how many it sent', async () => {
    const token = await sign({ tenant: 'acme' });
    const client = await socket(token);
    try {
      const snapshots: Frame[] = [];
      let second!: () => void;
      const twoSeen = new Promise<void>((resolve) => (second = resolve));
      const stream = client.request('dashboard.subscribe', { page: 'spaces', intervalMs: 250 }, (frame) => {
        snapshots.push(frame);
        if (snapshots.length === 2) second();
      });
      await twoSeen;
      client.request('cancel', { id: stream.id });
      const end = await stream.done;
      expect(end).toMatchObject({ ok: true });
      expect(end.result.snapshots).toBeGreaterThanOrEqual(2);
      const route = await (await fetch(`${http}/api/v1/dashboard/spaces`, { headers: { authorization: `Bearer ${token}` } })).json();
      expect(snapshots[0].event).toBe('snapshot');
      // The same rows as the route: acme's space only, never globex's.
      expect(snapshots[0].data.spaces.map((s: { space: string }) => s.space)).toEqual(route.spaces.map((s: { space: string }) => s.space));
      expect(snapshots[0].data.spaces.map((s: { tenant: string }) => s.tenant)).toEqual(['acme']);
    } finally {
      client.ws.close();
    }
  });

  it('gives an operator the node-wide overview and a tenant its own, without the load', async () => {
    for (const [claims, scope, load] of [
      [{ sub: 'ops-alice' }, 'node', true],
      [{ tenant: 'acme' }, 'tenant', false],
    ] as const) {
      const client = await socket(await sign(claims));
      try {
        let first!: (f: Frame) => void;
        const seen = new Promise<Frame>((resolve) => (first = resolve));
        const stream = client.request('dashboard.subscribe', { page: 'overview' }, (frame) => first(frame));
        const snapshot = (await seen).data;
        client.request('cancel', { id: stream.id });
        await stream.done;
        expect(snapshot.scope).toBe(scope);
        expect(Array.isArray(snapshot.load), scope).toBe(load);
        expect(snapshot.node.process === null, scope).toBe(!load);
      } finally {
        client.ws.close();
      }
    }
  });

  it('refuses an unknown page, a too short interval and another tenant’s coordination scope', async () => {
    const client = await socket(await sign({ tenant: 'acme' }));
    try {
      const page = await client.request('dashboard.subscribe', { page: 'secrets' }).done;
      expect(page.error).toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT', message: expect.stringContaining('page must be one of overview') });
      const fast = await client.request('dashboard.subscribe', { page: 'actors', intervalMs: 10 }).done;
      expect(fast.error).toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT', message: expect.stringContaining('intervalMs must be a number ≥ 250') });
      const foreign = await client.request('dashboard.subscribe', { page: 'coordination', tenant: 'globex', namespace: 'default' }).done;
      expect(foreign.error?.code).toBe('PLEX_ERR_FORBIDDEN');
    } finally {
      client.ws.close();
    }
  });
});
