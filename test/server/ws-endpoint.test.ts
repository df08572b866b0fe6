import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PlexNode } from '../../src/node/plex-node.js';
import { NodeServer } from '../../src/server/node-server.js';
import { OPEN } from '../../src/server/auth.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { join } from 'node:path';

let node: PlexNode;
let server: NodeServer;
let url: string;
const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0, ws: { heartbeatMs: 200 } });
  url = (await server.listen()).ws;
});
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

interface Frame {
  id: number;
  ok?: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  event?: string;
  data?: unknown;
}

/** A small client: request/response by id, events collected per id. */
async function connect() {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 1;
  const waiting = new Map<number, (frame: Frame) => void>();
  const events = new Map<number, Frame[]>();
  const stray: Frame[] = [];
  ws.on('message', (data: Buffer) => {
    const frame = packr.unpack(data) as Frame;
    if (frame.event !== undefined) {
      const list = events.get(frame.id) ?? [];
      list.push(frame);
      events.set(frame.id, list);
    } else if (waiting.has(frame.id)) {
      waiting.get(frame.id)!(frame);
      waiting.delete(frame.id);
    } else stray.push(frame);
  });
  const start = (op: string, args: Record<string, unknown> = {}, scope?: { tenant: string; namespace: string }) => {
    const id = next++;
    const done = new Promise<Frame>((resolve) => waiting.set(id, resolve));
    ws.send(packr.pack({ id, op, args, scope }));
    return { id, done };
  };
  const call = async (op: string, args: Record<string, unknown> = {}, scope?: { tenant: string; namespace: string }) => (await start(op, args, scope).done);
  return { ws, start, call, events, stray };
}

describe('websocket endpoint', () => {
  it('request/response for tuple-space operations, with tenant scopes', async () => {
    const c = await connect();
    expect((await c.call('ping')).result).toBe('pong');
    expect((await c.call('ts.write', { space: 'q', tuple: ['task', 1] })).ok).toBe(true);
    expect((await c.call('ts.writeAll', { space: 'q', tuples: [['task', 2], ['task', 3]] })).result).toBe(2);
    expect((await c.call('ts.count', { space: 'q', template: ['task', null] })).result).toBe(3);
    expect((await c.call('ts.take', { space: 'q', template: ['task', 2] })).result).toEqual(['task', 2]);
    expect((await c.call('ts.count', { space: 'q', template: ['task', null] }, { tenant: 'other', namespace: 'default' })).result).toBe(0);
    const bad = await c.call('ts.write', { space: 'q', tuple: [] });
    expect(bad).toMatchObject({ ok: false, error: { code: 'PLEX_ERR_INVALID_TUPLE' } });
    expect((await c.call('no.such.op')).error?.code).toBe('PLEX_ERR_INVALID_ARGUMENT');
    c.ws.close();
  });

  it('a blocking take is answered when a tuple arrives; watch streams events until cancelled', async () => {
    const c = await connect();
    const take = c.start('ts.take', { space: 'w', template: ['result', null], timeoutMs: 5000 });
    const watch = c.start('ts.watch', { space: 'w', template: ['result', null] });
    await new Promise((r) => setTimeout(r, 50));
    await c.call('ts.write', { space: 'w', tuple: ['result', 7] });
    expect((await take.done).result).toEqual(['result', 7]);
    await c.call('ts.write', { space: 'w', tuple: ['result', 8] });
    await new Promise((r) => setTimeout(r, 50));
    expect((await c.call('cancel', { id: watch.id })).ok).toBe(true);
    expect((await watch.done).ok).toBe(true);
    const seen = (c.events.get(watch.id) ?? []).map((e) => [e.event, (e.data as { tuple: unknown[] }).tuple[1]]);
    expect(seen).toEqual([
      ['write', 7],
      ['take', 7],
      ['write', 8],
    ]);
    c.ws.close();
  });

  it('closing the socket cancels its blocking take: a later tuple is not consumed by it', async () => {
    const c = await connect();
    c.start('ts.take', { space: 'gone', template: ['x'], timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 50));
    c.ws.close();
    await new Promise((r) => setTimeout(r, 100));
    const d = await connect();
    await d.call('ts.write', { space: 'gone', tuple: ['x'] });
    expect((await d.call('ts.count', { space: 'gone', template: ['x'] })).result).toBe(1);
    d.ws.close();
  });

  it('shard-group ops: create, bulk update, reduce, streamed gather, scale, delete', async () => {
    const kv = (await buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts'))).component;
    await server.service.deploy(server.service.scope(OPEN, 'default', 'default'), 'kv', 'kv-shard', '1', kv);
    const c = await connect();
    expect((await c.call('group.create', { group: 'g', application: 'kv', shards: 2 })).result).toEqual({ id: 'g', shards: 2 });
    await c.call('group.bulkUpdate', { group: 'g', entries: [['a', 1], ['b', 2], ['c', 3]] });
    expect(((await c.call('group.reduce', { group: 'g', type: 'stats', op: 'sum', path: 'sum' })).result as { value: number }).value).toBe(6);
    const stream = c.start('group.scatterGather', { group: 'g', type: 'barrier', payload: { round: 2 }, stream: true });
    expect((await stream.done).result).toEqual({ answered: 2 });
    expect((c.events.get(stream.id) ?? []).map((e) => (e.data as { value: unknown }).value)).toEqual([{ round: 2 }, { round: 2 }]);
    expect(((await c.call('group.scale', { group: 'g', shards: 3 })).result as { moved: number; keys: number }).keys).toBe(3);
    expect((await c.call('group.list')).result).toEqual([expect.objectContaining({ id: 'g', shards: 3 })]);
    expect((await c.call('group.delete', { group: 'g' })).ok).toBe(true);
    expect((await c.call('group.barrier', { group: 'g', round: 1 })).error?.code).toBe('PLEX_ERR_SHARD_GROUP_NOT_FOUND');
    c.ws.close();
  }, 60_000);

  it('keeps a live connection past many heartbeats (pongs count)', async () => {
    const c = await connect();
    await new Promise((r) => setTimeout(r, 700)); // > 3 heartbeat intervals of 200 ms
    expect((await c.call('ping')).result).toBe('pong');
    c.ws.close();
  });

  it('malformed frames get an error frame and the socket stays usable; other paths are refused', async () => {
    const c = await connect();
    c.ws.send(Buffer.from([0xc1])); // never valid msgpack
    c.ws.send('text frame');
    c.ws.send(packr.pack({ op: 'ping' })); // no id
    await new Promise((r) => setTimeout(r, 100));
    expect(c.stray.map((f) => f.error?.code)).toEqual(['PLEX_ERR_INVALID_ARGUMENT', 'PLEX_ERR_INVALID_ARGUMENT', 'PLEX_ERR_INVALID_ARGUMENT']);
    expect((await c.call('ping')).result).toBe('pong');
    c.ws.close();
    const wrongPath = new WebSocket(url.replace('/ws', '/nope'));
    const status = await new Promise((resolve) => {
      wrongPath.once('open', () => resolve('open'));
      wrongPath.once('unexpected-response', (_request, response) => resolve(response.statusCode));
    });
    expect(status).toBe(404);
  });
});
