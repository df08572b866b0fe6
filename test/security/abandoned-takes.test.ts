import { once } from 'node:events';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { HttpGateway } from '../../src/server/http-gateway.js';
import { NodeService } from '../../src/server/node-service.js';
import { replyHook } from '../support/reply-hook.js';

// An HTTP client that gives up on a blocking take must leave nothing behind in
// the space: no waiter that would swallow the next write, no timer, no held tuple.

let node: PlexNode;
let gateway: HttpGateway;
let port: number;
const serverSockets = new Set<Socket>();

const { metrics, setBeforeReply } = replyHook();

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  gateway = new HttpGateway(new NodeService(node, undefined, metrics));
  gateway.server.on('connection', (socket: Socket) => {
    serverSockets.add(socket);
    socket.once('close', () => serverSockets.delete(socket));
  });
  port = await gateway.listen(0);
});
afterAll(async () => {
  await gateway?.close();
  await node?.stop();
});

const spaceOf = (name: string) => node.spaces.open({ tenant: 'acme', namespace: 'drop', name });

/** Waits, one event-loop turn at a time, until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setImmediate(resolve));
}

function post(path: string, body: unknown): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const text = JSON.stringify(body);
  const req = request({ port, method: 'POST', path, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  response.catch(() => undefined); // an abandoned request's socket error is expected
  req.end(text);
  return { req, response };
}

async function json(response: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

describe('abandoned blocking operations over HTTP', () => {
  it('2,000 clients that hang up on a long take leave no waiter, timer or listener, and every later write stays', async () => {
    const space = spaceOf('jobs');
    const n = 2000;
    const clients = Array.from({ length: n }, () => post('/api/v1/tuplespace/acme/drop/jobs/take', { template: ['job', null], timeoutMs: 300_000 }));
    await until(async () => (await space.stats()).waiters === n);
    for (const { req } of clients) req.destroy();
    await until(async () => (await space.stats()).waiters === 0);
    expect(await space.stats()).toMatchObject({ waiters: 0, timers: 0, inflight: 0 });
    // Every server socket is gone, so no per-request listener survives either.
    await until(() => serverSockets.size === 0);

    for (let i = 0; i < n; i++) await space.write(['job', i]);
    expect(await space.count(['job', null])).toBe(n);
    const { response } = post('/api/v1/tuplespace/acme/drop/jobs/take', { template: ['job', 0] });
    expect(await json(await response)).toEqual({ tuple: ['job', 0] });
    expect(await space.count(['job', null])).toBe(n - 1);
  });

  it('a blocking read that is abandoned is cancelled too', async () => {
    const space = spaceOf('reads');
    const clients = Array.from({ length: 200 }, () => post('/api/v1/tuplespace/acme/drop/reads/read', { template: ['r'], timeoutMs: 300_000 }));
    await until(async () => (await space.stats()).waiters === 200);
    for (const { req } of clients) req.destroy();
    await until(async () => (await space.stats()).waiters === 0);
    expect((await space.stats()).timers).toBe(0);
  });

  it('a tuple taken for a client that hung up before the reply went out goes back to the space', async () => {
    const space = spaceOf('race');
    const { req, response } = post('/api/v1/tuplespace/acme/drop/race/take', { template: ['job', null], timeoutMs: 300_000 });
    await until(async () => (await space.stats()).waiters === 1);
    setBeforeReply(async (operation) => {
      if (!operation.endsWith('/take')) return;
      // The take has its tuple; now the client goes away before the answer is written.
      const closed = [...serverSockets].map((socket) => once(socket, 'close'));
      req.destroy();
      await Promise.all(closed);
    });
    try {
      await space.write(['job', 'precious']);
      await response.catch(() => undefined);
      // Settled one way or the other; only a nack leaves the tuple in the space.
      await until(async () => (await space.stats()).inflight === 0);
      expect((await space.stats()).tuples).toBe(1);
    } finally {
      setBeforeReply(undefined);
    }
    expect(await space.tryTake(['job', null])).toEqual(['job', 'precious']);
  });

  it('take-all: tuples taken for a client that hung up before the reply went out are written back', async () => {
    const space = spaceOf('race-all');
    await space.writeAll([['job', 1], ['job', 2], ['job', 3]]);
    setBeforeReply(async (operation) => {
      if (!operation.endsWith('/take-all')) return;
      const closed = [...serverSockets].map((socket) => once(socket, 'close'));
      req.destroy();
      await Promise.all(closed);
    });
    const { req, response } = post('/api/v1/tuplespace/acme/drop/race-all/take-all', { template: ['job', null] });
    try {
      await response.catch(() => undefined);
      await until(async () => (await space.stats()).tuples === 3);
    } finally {
      setBeforeReply(undefined);
    }
    expect((await space.readAll(['job', null])).map((t) => t[1]).sort()).toEqual([1, 2, 3]);
  });

  it('take-with-ack: a delivery whose reply never reached the client is nacked at once, not at lease end', async () => {
    const space = spaceOf('race-ack');
    await space.write(['job', 'held']);
    let req: ClientRequest | undefined;
    setBeforeReply(async (operation) => {
      if (!operation.endsWith('/take-with-ack')) return;
      const closed = [...serverSockets].map((socket) => once(socket, 'close'));
      req!.destroy();
      await Promise.all(closed);
    });
    try {
      const sent = post('/api/v1/tuplespace/acme/drop/race-ack/take-with-ack', { template: ['job', null], leaseMs: 300_000 });
      req = sent.req;
      await sent.response.catch(() => undefined);
      // Settled one way or the other; only a nack leaves the tuple in the space.
      await until(async () => (await space.stats()).inflight === 0);
      expect((await space.stats()).tuples).toBe(1);
    } finally {
      setBeforeReply(undefined);
    }
    expect(await space.tryTake(['job', null])).toEqual(['job', 'held']);
  });

  it('a take whose reply was delivered consumes the tuple for good', async () => {
    const space = spaceOf('delivered');
    await space.write(['job', 1]);
    const { response } = post('/api/v1/tuplespace/acme/drop/delivered/take', { template: ['job', null] });
    expect(await json(await response)).toEqual({ tuple: ['job', 1] });
    await until(async () => (await space.stats()).inflight === 0);
    expect((await space.stats()).tuples).toBe(0);
    expect(await space.count(['job', null])).toBe(0);
  });
});
