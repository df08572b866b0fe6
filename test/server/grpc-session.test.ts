/**
 * TupleSpace.Session: many operations on one bidirectional gRPC stream, spoken
 * raw with grpc-js against a real node, as a client in another language would.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { PROTO_ROOT } from '../../src/server/grpc-server.js';
import { NodeServer } from '../../src/server/node-server.js';

const SECRET = 'a-session-test-secret-long-enough-for-hs256';
let node: PlexNode;
let server: NodeServer;
let securedServer: NodeServer;
let plainAddress: string;
let securedAddress: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let v1: any;

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  securedServer = new NodeServer(node, { httpPort: 0, grpcPort: 0, auth: { enabled: true, algorithm: 'HS256', secret: SECRET } });
  plainAddress = (await server.listen()).grpc;
  securedAddress = (await securedServer.listen()).grpc;
  const definition = protoLoader.loadSync('plexspaces/v1/tuplespace.proto', { includeDirs: [PROTO_ROOT], longs: Number, enums: String, defaults: false, oneofs: true });
  v1 = (grpc.loadPackageDefinition(definition) as never as { plexspaces: { v1: unknown } }).plexspaces.v1;
}, 60_000);
afterAll(async () => {
  await securedServer?.close();
  await server?.close();
  await node?.stop();
});

interface Reply {
  id: number;
  result: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

/** One open Session: send requests, await the reply of an id, see how the call ended. */
class Session {
  private readonly replies = new Map<number, Reply>();
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  readonly ended: Promise<grpc.StatusObject>;
  readonly call: grpc.ClientDuplexStream<unknown, { replies: Reply[] }>;
  readonly client: grpc.Client;
  /** The `result` of each reply, by SessionReplies message received. */
  readonly messages: string[][] = [];

  constructor(address: string, metadata = new grpc.Metadata()) {
    this.client = new v1.TupleSpace(address, grpc.credentials.createInsecure());
    this.call = (this.client as unknown as { Session(m: grpc.Metadata): grpc.ClientDuplexStream<unknown, { replies: Reply[] }> }).Session(metadata);
    this.call.on('data', (message: { replies: Reply[] }) => {
      this.messages.push(message.replies.map((reply) => reply.result));
      for (const reply of message.replies) {
        const resolve = this.waiting.get(reply.id);
        if (resolve === undefined) this.replies.set(reply.id, reply);
        else {
          this.waiting.delete(reply.id);
          resolve(reply);
        }
      }
    });
    this.ended = new Promise((resolve) => {
      this.call.on('status', resolve);
      this.call.on('error', () => {}); // the status carries the same code
    });
  }

  /** Sends the requests in one SessionRequests message. */
  send(...requests: object[]): void {
    this.call.write({ requests });
  }

  reply(id: number): Promise<Reply> {
    const early = this.replies.get(id);
    if (early !== undefined) {
      this.replies.delete(id);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** Whether the reply of `id` has arrived (without waiting for it). */
  has(id: number): boolean {
    return this.replies.has(id);
  }

  close(): void {
    this.client.close();
  }
}

const str = (s: string) => ({ string: s });
const tuple = (...fields: unknown[]) => ({ fields: fields.map((f) => (typeof f === 'string' ? str(f) : { number: f })) });
const template = (...fields: unknown[]) => ({ fields: fields.map((f) => (f === null ? { any: {} } : { value: typeof f === 'string' ? str(f) : { number: f } })) });
const spaceOf = (name: string, tenant = 'acme') => ({ tenant, namespace: 'jobs', space: name });

describe('TupleSpace.Session', () => {
  it('starts requests in order and answers each under its id; a blocking take does not hold up the writes behind it', async () => {
    const space = spaceOf('ordered');
    const s = new Session(plainAddress);
    s.send({ id: 1, take: { space, template: template('job', null), timeoutMs: 10_000 } });
    s.send({ id: 2, count: { space, template: template('job', null) } });
    s.send({ id: 3, write: { space, tuple: tuple('job', 7) } });
    s.send({ id: 4, tryTake: { space, template: template('job', null) } });
    s.send({ id: 5, writeAll: { space, tuples: [tuple('job', 8), tuple('job', 9)] } });
    s.send({ id: 6, readAll: { space, template: template('job', null) } });
    // The count was started before the write, so it saw an empty space.
    expect(await s.reply(2)).toMatchObject({ result: 'count', count: { count: 0 } });
    expect((await s.reply(3)).result).toBe('written');
    // The blocked take (id 1) got the write; the try_take after it found nothing left.
    expect(await s.reply(1)).toMatchObject({ result: 'tuple', tuple: { tuple: { fields: [{ string: 'job' }, { number: 7 }] } } });
    const empty = await s.reply(4);
    expect(empty.result).toBe('tuple');
    expect(empty).not.toHaveProperty('tuple.tuple');
    expect((await s.reply(5)).result).toBe('written');
    const all = (await s.reply(6));
    expect(all.tuples.tuples.map((t: { fields: { number: number }[] }) => t.fields[1].number)).toEqual([8, 9]);
    s.call.end();
    expect((await s.ended).code).toBe(grpc.status.OK);
    s.close();
  });

  it('carries several requests in one message; replies ready together leave together, at most 32 a message, a read_all alone', async () => {
    const space = spaceOf('batched');
    const s = new Session(plainAddress);
    const writes = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, write: { space, tuple: tuple('n', i) } }));
    s.send(...writes, { id: 41, readAll: { space, template: template('n', null) } }, { id: 42, count: { space, template: template('n', null) } });
    const all = await s.reply(41);
    expect(all.tuples.tuples).toHaveLength(40);
    expect(await s.reply(42)).toMatchObject({ count: { count: 40 } });
    for (let id = 1; id <= 40; id++) expect((await s.reply(id)).result).toBe('written');
    expect(s.messages.every((replies) => replies.length <= 32)).toBe(true);
    expect(s.messages.filter((replies) => replies.includes('tuples'))).toEqual([['tuples']]);
    // 42 replies in far fewer messages than replies.
    expect(s.messages.length).toBeLessThan(10);
    s.call.end();
    expect((await s.ended).code).toBe(grpc.status.OK);
    s.close();
  });

  it('a failed operation is an error reply with its code, and the session goes on', async () => {
    const space = spaceOf('errors');
    const s = new Session(plainAddress);
    s.send({ id: 1, write: { space, tuple: { fields: [] } } });
    s.send({ id: 2 }); // no operation
    s.send({ id: 3, take: { space, template: template('never'), timeoutMs: 60_000 } });
    s.send({ id: 3, count: { space, template: template(null) } }); // id 3 is still running
    s.send({ id: 4, write: { space: { tenant: 'acme', namespace: 'jobs', space: '../errors' }, tuple: tuple('x') } });
    s.send({ id: 5, write: { space, tuple: tuple('fine', 1) } });
    const codeOf = async (id: number) => ((await s.reply(id)) as { error?: { code: string } }).error?.code;
    expect(await codeOf(1)).toBe('PLEX_ERR_INVALID_TUPLE');
    expect(await codeOf(2)).toBe('PLEX_ERR_INVALID_ARGUMENT');
    expect(await codeOf(3)).toBe('PLEX_ERR_INVALID_ARGUMENT'); // the duplicate's reply; the first id 3 still waits
    expect(await codeOf(4)).toBe('PLEX_ERR_INVALID_NAME');
    expect((await s.reply(5)).result).toBe('written');
    // Cancelling the waiting take answers it ABORTED, and the cancel itself is settled.
    s.send({ id: 6, cancel: { id: 3 } });
    expect(await codeOf(3)).toBe('PLEX_ERR_ABORTED');
    expect((await s.reply(6)).result).toBe('settled');
    // Nothing the failed requests carried was written.
    s.send({ id: 7, count: { space, template: template(null) } });
    expect(await s.reply(7)).toMatchObject({ count: { count: 0 } });
    s.send({ id: 8, count: { space, template: template(null, null) } });
    expect(await s.reply(8)).toMatchObject({ count: { count: 1 } });
    s.call.end();
    expect((await s.ended).code).toBe(grpc.status.OK);
    s.close();
  });

  it('half-closing ends the call only after the replies still pending; timeouts answer with no tuple', async () => {
    const space = spaceOf('half-close');
    const s = new Session(plainAddress);
    s.send({ id: 1, read: { space, template: template('late'), timeoutMs: 150 } });
    s.call.end();
    const reply = await s.reply(1);
    expect(reply.result).toBe('tuple');
    expect(reply).not.toHaveProperty('tuple.tuple');
    expect((await s.ended).code).toBe(grpc.status.OK);
    s.close();
  });

  it("take_with_ack held by the session goes back to the space when the session is cancelled", async () => {
    const space = spaceOf('held');
    const s = new Session(plainAddress);
    s.send({ id: 1, write: { space, tuple: tuple('work', 1) } });
    s.send({ id: 2, takeWithAck: { space, template: template('work', null), leaseMs: 60_000 } });
    const delivery = (await s.reply(2));
    expect(delivery.delivery.deliveries).toBe(1);
    s.send({ id: 3, count: { space, template: template('work', null) } });
    expect(await s.reply(3)).toMatchObject({ count: { count: 0 } });
    s.call.cancel();
    expect((await s.ended).code).toBe(grpc.status.CANCELLED);
    s.close();
    // Long before its 60 s lease, the tuple is back for the next taker, as a redelivery.
    const next = new Session(plainAddress);
    next.send({ id: 1, takeWithAck: { space, template: template('work', null), timeoutMs: 5_000 } });
    const again = (await next.reply(1));
    expect(again.delivery.deliveries).toBe(2);
    next.send({ id: 2, ack: { space, deliveryId: again.delivery.deliveryId } });
    expect((await next.reply(2)).result).toBe('settled');
    next.call.end();
    expect((await next.ended).code).toBe(grpc.status.OK);
    next.close();
  });

  it('checks the token once: a bad one ends the call UNAUTHENTICATED; another tenant gets FORBIDDEN per operation', async () => {
    const bad = new grpc.Metadata();
    bad.set('authorization', 'Bearer not.a.jwt');
    const rejected = new Session(securedAddress, bad);
    rejected.send({ id: 1, count: { space: spaceOf('secured'), template: template(null) } });
    expect((await rejected.ended).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(rejected.has(1)).toBe(false);
    rejected.close();

    const good = new grpc.Metadata();
    good.set('authorization', `Bearer ${await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))}`);
    const s = new Session(securedAddress, good);
    s.send({ id: 1, write: { space: spaceOf('secured', 'globex'), tuple: tuple('stolen') } });
    s.send({ id: 2, write: { space: spaceOf('secured'), tuple: tuple('mine') } });
    expect(await s.reply(1)).toMatchObject({ error: { code: 'PLEX_ERR_FORBIDDEN' } });
    expect((await s.reply(2)).result).toBe('written');
    expect(await node.spaces.open({ tenant: 'globex', namespace: 'jobs', name: 'secured' }).count(['stolen'])).toBe(0);
    s.call.end();
    expect((await s.ended).code).toBe(grpc.status.OK);
    s.close();
  });

  it('a node that closes ends its open sessions, aborting what waits', async () => {
    const own = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
    const s = new Session((await own.listen()).grpc);
    s.send({ id: 1, take: { space: spaceOf('closing'), template: template('never'), timeoutMs: 60_000 } });
    s.send({ id: 2, count: { space: spaceOf('closing'), template: template(null) } });
    await s.reply(2);
    await own.close();
    const status = await s.ended;
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    s.close();
  });
});
