import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { NodeLink, type LinkEnds, type LinkHandler } from '../../src/cluster/link/node-link.js';

// Two ends of a node link over a real websocket on loopback: the handshake,
// batching, backpressure, deadlines and what a malformed frame does.

const SECRET = 'a cluster secret of some length';
const servers: WebSocketServer[] = [];
const sockets: WebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
  for (const server of servers.splice(0)) server.close();
});

interface Pair {
  dialer: NodeLink;
  listener: NodeLink;
  /** Websocket messages the listener's socket received (frames, after the handshake's two). */
  framesAtListener(): number;
  listenerSocket: WebSocket;
}

async function pair(options: { dialer?: Partial<LinkEnds>; listener?: Partial<LinkEnds>; dialSecret?: string } = {}): Promise<Pair> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  let frames = 0;
  let listenerSocket!: WebSocket;
  const accepted = new Promise<NodeLink>((resolve, reject) =>
    server.once('connection', (ws) => {
      listenerSocket = ws;
      sockets.push(ws);
      ws.on('message', () => frames++);
      NodeLink.accept(ws, { self: 'listener.1', secret: SECRET, handler: echo, ...options.listener }).then(resolve, reject);
    }),
  );
  accepted.catch(() => undefined); // a refused dialer: the listener's side fails too, and the dial reports it
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  sockets.push(ws);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const dialer = await NodeLink.dial(ws, 'listener.1', { self: 'dialer.1', secret: options.dialSecret ?? SECRET, handler: echo, ...options.dialer });
  const listener = await accepted;
  return { dialer, listener, framesAtListener: () => frames - 2, listenerSocket };
}

const echo: LinkHandler = async (kind, body) => ({ kind, body });

describe('a node link', () => {
  it('carries requests both ways once both ends proved the secret, a burst in a few frames', async () => {
    const { dialer, listener, framesAtListener } = await pair();
    expect(dialer.peer).toBe('listener.1');
    expect(listener.peer).toBe('dialer.1');
    expect(await dialer.request('ask', { n: 1 })).toEqual({ kind: 'ask', body: { n: 1 } });
    expect(await listener.request('tell', [1, 'two'])).toEqual({ kind: 'tell', body: [1, 'two'] });
    const before = framesAtListener();
    const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => dialer.request('ask', i)));
    expect(replies.map((r) => (r as { body: number }).body)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(framesAtListener() - before).toBeLessThan(20); // 1000 requests, batched per event-loop turn
  });

  it('carries one-way notifies in order, with the peer named and nothing sent back; a closed link drops them', async () => {
    const heard: [string, unknown, string][] = [];
    const { dialer, listener, framesAtListener } = await pair({ listener: { handler: async (kind, body, peer) => void heard.push([kind, body, peer]) } });
    const before = framesAtListener();
    for (let i = 0; i < 5000; i++) expect(dialer.notify('actor.send', [i])).toBe(true);
    await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(5000);
    expect(heard.map(([, body]) => (body as number[])[0])).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(heard.every(([kind, , peer]) => kind === 'actor.send' && peer === 'dialer.1')).toBe(true);
    expect(framesAtListener() - before).toBeLessThan(20);
    // Nothing pends: a notify takes no place among the requests in flight, and no reply came back.
    expect(await dialer.request('ping', 1)).toBeNull(); // the handler's undefined travels as null
    listener.close();
    await expect.poll(() => dialer.open, { timeout: 10_000 }).toBe(false);
    expect(dialer.notify('actor.send', ['late'])).toBe(false);
  });

  it('is refused when the dialer does not know the secret, and carries nothing', async () => {
    let served = 0;
    await expect(pair({ dialSecret: 'another secret, not the one', listener: { handler: async () => served++ } })).rejects.toMatchObject({ code: 'PLEX_ERR_UNAUTHENTICATED' });
    expect(served).toBe(0);
  });

  it('keeps at most maxInFlight requests outstanding; the others wait for a place', async () => {
    const held: (() => void)[] = [];
    let started = 0;
    const { dialer } = await pair({
      dialer: { maxInFlight: 8 },
      listener: {
        handler: () =>
          new Promise((resolve) => {
            started++;
            held.push(() => resolve('done'));
          }),
      },
    });
    const all = Promise.all(Array.from({ length: 20 }, () => dialer.request('ask', null)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toBe(8);
    expect(dialer.inFlight).toBe(8);
    while (held.length > 0 || started < 20) {
      held.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await all).toHaveLength(20);
  });

  it('fails a request whose reply does not come in time, and one too large to send', async () => {
    const { dialer } = await pair({ dialer: { maxFrameBytes: 4096 }, listener: { handler: () => new Promise(() => undefined) } });
    await expect(dialer.request('ask', null, 150)).rejects.toMatchObject({ code: 'PLEX_ERR_ASK_TIMEOUT' });
    await expect(dialer.request('ask', 'x'.repeat(10_000))).rejects.toMatchObject({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' });
    expect(dialer.inFlight).toBe(0);
  });

  it('a peer error keeps its code; a malformed frame closes the link and fails what is pending with PLEX_ERR_NODE_DOWN', async () => {
    const { dialer, listener } = await pair({ listener: { handler: async () => Promise.reject(Object.assign(new Error('nope'), {})) } });
    await expect(dialer.request('ask', null)).rejects.toMatchObject({ code: 'PLEX_ERR_HANDLER_FAILED', message: 'nope' });
    const pending = listener.request('ask', null, 10_000); // the dialer's handler is echo; the frame below comes first
    const closed = new Promise((resolve) => listener.onClose(resolve));
    // The dialer's socket sends bytes that are not msgpack: the listener closes (1007).
    (dialer as unknown as { ws: WebSocket }).ws.send(Buffer.from([0xc1]));
    await closed;
    expect(listener.closed).toBe(true);
    await pending.then(
      (value) => expect(value).toEqual({ kind: 'ask', body: null }), // answered before the bad frame arrived
      (error: unknown) => expect(error).toMatchObject({ code: 'PLEX_ERR_NODE_DOWN' }),
    );
    await expect(listener.request('ask', null)).rejects.toMatchObject({ code: 'PLEX_ERR_NODE_DOWN' });
  });
});
