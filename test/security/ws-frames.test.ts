import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PlexClient } from '../../src/client/index.js';
import { closePayload, frame, packr, rawUpgrade, startNode, wsClient, type NodeProcess } from './ws-support.js';

// Malformed websocket frames against a real node process: each must close only its own socket,
// with the close code RFC 6455 gives it, and leave the node alive and serving. (Cases after the
// Autobahn TestSuite's framing (1.x, 2.x, 3.x, 4.x, 5.x), UTF-8 (6.x), close (7.x) and limits (9.x) groups.)

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const MiB = 1 << 20;

let node: NodeProcess;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.stop();
});

/** The node still answers HTTP and a fresh websocket op, and its process is running. */
async function expectServing(): Promise<void> {
  expect(node.alive(), node.output()).toBe(true);
  expect((await fetch(`${node.http}/api/v1/health`)).status).toBe(200);
  const c = await wsClient(node.ws);
  expect(await c.call('ping')).toMatchObject({ ok: true, result: 'pong' });
  c.close();
}

/** Sends `frames` on a fresh upgraded socket and resolves with the code of the server's close frame. */
async function closeCodeAfter(...frames: Buffer[]): Promise<number | null> {
  const raw = await rawUpgrade(node.port);
  for (const f of frames) raw.socket.write(f);
  return raw.closed;
}

const invalidUtf8 = Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64]); // Autobahn 6.20.x: a surrogate in UTF-8

describe('a malformed frame closes its socket with the right code and the node keeps serving', () => {
  const cases: [string, () => Buffer[], number][] = [
    ['a header declaring a 2 MiB payload (9.x limits)', () => [frame(BINARY, new Uint8Array(16), { length: 2 * MiB })], 1009],
    ['a 64-bit length with the top bit set (1.x)', () => [frame(BINARY, new Uint8Array(0), { length: 1n << 63n })], 1009],
    ['invalid UTF-8 in a text frame (6.x)', () => [frame(TEXT, invalidUtf8)], 1007],
    ['invalid UTF-8 split over fragments (6.x)', () => [frame(TEXT, Buffer.from([0xce, 0xba]), { fin: false }), frame(CONTINUATION, Buffer.from([0xff, 0xfe]))], 1007],
    ['reserved opcode 3 (4.1.1)', () => [frame(3)], 1002],
    ['reserved control opcode 11 (4.2.1)', () => [frame(11)], 1002],
    ['an unmasked client frame', () => [frame(BINARY, packr.pack({ id: 1, op: 'ping' }), { mask: false })], 1002],
    ['RSV1 set without an extension (3.2)', () => [frame(TEXT, Buffer.from('hi'), { rsv: 0b100 })], 1002],
    ['RSV2 set (3.3)', () => [frame(BINARY, Buffer.from('hi'), { rsv: 0b010 })], 1002],
    ['RSV3 set on a ping (3.6)', () => [frame(PING, Buffer.from('hi'), { rsv: 0b001 })], 1002],
    ['close code 999 (7.9.1)', () => [frame(CLOSE, closePayload(999))], 1002],
    ['close code 1005, which must never be sent (7.9.x)', () => [frame(CLOSE, closePayload(1005))], 1002],
    ['a close payload of one byte (7.3.2)', () => [frame(CLOSE, Buffer.from([0x03]))], 1002],
    ['a close reason that is not UTF-8 (7.5.1)', () => [frame(CLOSE, closePayload(1000, Buffer.from([0xff, 0xfe])))], 1007],
    ['an unfinished ping (5.1)', () => [frame(PING, Buffer.from('hi'), { fin: false })], 1002],
    ['a ping with a 126-byte payload (2.5)', () => [frame(PING, new Uint8Array(126))], 1002],
    ['a continuation with nothing to continue (5.9)', () => [frame(CONTINUATION, Buffer.from('x'))], 1002],
    ['a new message inside a fragmented one (5.18)', () => [frame(TEXT, Buffer.from('a'), { fin: false }), frame(BINARY, Buffer.from('b'))], 1002],
    ['fragments that add up past the limit (9.x)', () => [frame(BINARY, new Uint8Array(MiB / 2 + 1), { fin: false }), frame(CONTINUATION, new Uint8Array(MiB / 2 + 1))], 1009],
  ];
  for (const [name, frames, code] of cases) {
    it(`${name} → ${code}`, async () => {
      expect(await closeCodeAfter(...frames())).toBe(code);
      await expectServing();
    });
  }
});

describe('the message size limit', () => {
  it('a plain client sending a binary message just over 1 MiB gets 1009; one of exactly 1 MiB is read as a request', async () => {
    const ws = new WebSocket(node.ws);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(Buffer.alloc(MiB + 1));
    expect(await closed).toBe(1009);
    await expectServing();

    // At the limit the frame is delivered; it is not msgpack of a request, so the answer is an error reply.
    const c = await wsClient(node.ws);
    const reply = new Promise<Buffer>((resolve) => c.ws.once('message', resolve));
    c.ws.send(Buffer.alloc(MiB, 0xc1));
    expect(packr.unpack(await reply)).toMatchObject({ id: -1, ok: false, error: { code: 'PLEX_ERR_INVALID_ARGUMENT' } });
    expect(await c.call('ping')).toMatchObject({ result: 'pong' });
    c.close();
  });

  it('the node advertises its limit (ws.limits), and the TS client splits a writeAll that would not fit', async () => {
    const c = await wsClient(node.ws);
    expect(await c.call('ws.limits')).toMatchObject({ ok: true, result: { maxMessageBytes: MiB } });
    c.close();

    const client = await PlexClient.connect(node.ws, { tenant: 'frames', namespace: 'split' });
    const space = client.space('bulk');
    // About 3 MiB in one call: three parts or more, each under the limit.
    const tuples = Array.from({ length: 3000 }, (_, i) => ['row', i, 'x'.repeat(1000)] as const);
    await space.writeAll(tuples);
    expect(await space.count(['row', null, null])).toBe(3000);
    const last = await space.readAll(['row', 2999, null]);
    expect(last).toEqual([['row', 2999, 'x'.repeat(1000)]]);
    client.close();
    await expectServing();
  });
});
