import { once } from 'node:events';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PlexNode } from '../../src/node/plex-node.js';
import { HttpGateway } from '../../src/server/http-gateway.js';
import { NodeService } from '../../src/server/node-service.js';
import { replyHook } from '../support/reply-hook.js';
import { WsEndpoint } from '../../src/server/ws-endpoint.js';

// A websocket take whose socket closes after the take found its tuple but before the reply frame went out must
// put the tuple back; and many sockets that close on blocking takes leave no waiter behind.

let node: PlexNode;
let gateway: HttpGateway;
let ws: WsEndpoint;
let url: string;
const packr = new Packr({ useRecords: false });

const { metrics, setBeforeReply } = replyHook();

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  const service = new NodeService(node, undefined, metrics);
  gateway = new HttpGateway(service);
  ws = new WsEndpoint(service, gateway.server);
  url = `ws://127.0.0.1:${await gateway.listen(0)}/ws`;
});
afterAll(async () => {
  await ws?.close();
  await gateway?.close();
  await node?.stop();
});

const scope = { tenant: 'acme', namespace: 'drop' };
const spaceOf = (name: string) => node.spaces.open({ ...scope, name });

async function connect(): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await once(socket, 'open');
  return socket;
}

describe('abandoned takes over the websocket', () => {
  it('a socket that closes between a take and its reply leaves the tuple in the space', async () => {
    const space = spaceOf('race');
    await space.write(['job', 1]);
    const socket = await connect();
    let closing: Promise<unknown> | undefined;
    setBeforeReply(async (operation) => {
      if (operation !== 'ts.take') return;
      closing = once(socket, 'close');
      socket.terminate();
      await closing;
      // …and the node has seen it close too: its side of the socket is what the reply would be written to.
      while (ws.connections > 0) await new Promise((resolve) => setImmediate(resolve));
    });
    socket.send(packr.pack({ id: 1, op: 'ts.take', scope, args: { space: 'race', template: ['job', null], timeoutMs: 1000 } }));
    await expect.poll(() => closing).toBeDefined();
    await closing;
    setBeforeReply(undefined);
    await expect.poll(async () => (await space.stats()).inflight).toBe(0);
    expect(await space.count(['job', null])).toBe(1);
  });

  it('takeAll: tuples taken for a socket that closed before the reply went out are written back', async () => {
    const space = spaceOf('race-all');
    await space.writeAll([['job', 1], ['job', 2]]);
    const socket = await connect();
    let closed = false;
    setBeforeReply(async (operation) => {
      if (operation !== 'ts.takeAll') return;
      const closing = once(socket, 'close');
      socket.terminate();
      await closing;
      while (ws.connections > 0) await new Promise((resolve) => setImmediate(resolve));
      closed = true;
    });
    socket.send(packr.pack({ id: 1, op: 'ts.takeAll', scope, args: { space: 'race-all', template: ['job', null] } }));
    await expect.poll(() => closed).toBe(true);
    setBeforeReply(undefined);
    await expect.poll(async () => (await space.stats()).tuples).toBe(2);
    expect((await space.readAll(['job', null])).map((t) => t[1]).sort()).toEqual([1, 2]);
  });

  it('a take whose reply went out removes its tuple for good', async () => {
    const space = spaceOf('done');
    await space.write(['job', 2]);
    const socket = await connect();
    socket.send(packr.pack({ id: 1, op: 'ts.take', scope, args: { space: 'done', template: ['job', null], timeoutMs: 1000 } }));
    const [data] = (await once(socket, 'message')) as [Buffer];
    expect(packr.unpack(data)).toMatchObject({ id: 1, ok: true, result: ['job', 2] });
    await expect.poll(async () => (await space.stats()).inflight).toBe(0);
    expect(await space.count(['job', null])).toBe(0);
    socket.close();
  });

  it('500 sockets that close on blocking takes leave no waiter, and every later write stays', async () => {
    const space = spaceOf('jobs');
    const sockets = await Promise.all(Array.from({ length: 500 }, connect));
    sockets.forEach((socket, i) => socket.send(packr.pack({ id: i, op: 'ts.take', scope, args: { space: 'jobs', template: ['job', null], timeoutMs: 300_000 } })));
    await expect.poll(async () => (await space.stats()).waiters, { timeout: 30_000 }).toBe(500);
    for (const socket of sockets) socket.terminate();
    await expect.poll(async () => (await space.stats()).waiters, { timeout: 30_000 }).toBe(0);
    for (let i = 0; i < 500; i++) await space.write(['job', i]);
    expect(await space.count(['job', null])).toBe(500);
    expect(await space.stats()).toMatchObject({ waiters: 0, inflight: 0 });
  });
});
