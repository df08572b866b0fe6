import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PlexClient } from '../../src/client/index.js';
import { loadNodeConfig } from '../../src/node/node-config.js';
import { packr, startNode, wsClient, type NodeProcess } from './ws-support.js';

// The websocket message limit is a setting (`[limits] max_ws_message_bytes`, `--max-ws-message-bytes`),
// the node tells clients what it is, and the TS client never sends a message over it.

const LIMIT = 64 * 1024;
let node: NodeProcess;
beforeAll(async () => {
  node = await startNode(['--max-ws-message-bytes', String(LIMIT)]);
});
afterAll(async () => {
  await node?.stop();
});

describe('a node started with --max-ws-message-bytes', () => {
  it('advertises the limit and closes a socket whose message is one byte over it with 1009, nothing else', async () => {
    const c = await wsClient(node.ws);
    expect(await c.call('ws.limits')).toMatchObject({ ok: true, result: { maxMessageBytes: LIMIT } });
    const other = await wsClient(node.ws);

    const closed = new Promise<number>((resolve) => c.ws.once('close', resolve));
    c.ws.send(Buffer.alloc(LIMIT + 1));
    expect(await closed).toBe(1009);
    // Another socket of the same node is untouched.
    expect(await other.call('ping')).toMatchObject({ result: 'pong' });
    other.close();
    expect(node.alive()).toBe(true);
  });

  it('the TS client splits a writeAll into parts under the limit; every tuple arrives', async () => {
    const client = await PlexClient.connect(node.ws, { tenant: 'limit', namespace: 'split' });
    const space = client.space('bulk');
    const tuples = Array.from({ length: 400 }, (_, i) => ['row', i, 'y'.repeat(1000)] as const); // ~400 KB: seven parts or more
    await space.writeAll(tuples);
    expect(await space.count(['row', null, null])).toBe(400);
    expect((await space.readAll(['row', null, null], { limit: 400 })).map((t) => t[1])).toEqual(tuples.map((t) => t[1]));
    client.close();
  });

  it('a tuple too large to fit alone is refused by the client with PLEX_ERR_PAYLOAD_TOO_LARGE: nothing written, the socket stays open', async () => {
    const client = await PlexClient.connect(node.ws, { tenant: 'limit', namespace: 'refuse' });
    const space = client.space('big');
    await expect(space.writeAll([['ok', 1], ['huge', 'z'.repeat(LIMIT)]])).rejects.toMatchObject({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' });
    await expect(space.write(['huge', 'z'.repeat(LIMIT)])).rejects.toMatchObject({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' });
    expect(await space.count([null, null])).toBe(0);
    await space.write(['small', 1]);
    expect(await space.count([null, null])).toBe(1);
    client.close();
  });

  it('a failing part stops the batch and says how much went in before it', async () => {
    const client = await PlexClient.connect(node.ws, { tenant: 'limit', namespace: 'partial' });
    const space = client.space('p');
    // The last tuple is invalid for the space (empty), so the last part fails; the earlier parts are written.
    const tuples: unknown[][] = Array.from({ length: 200 }, (_, i) => ['row', i, 'w'.repeat(1000)]);
    tuples.push([]);
    const error = await space.writeAll(tuples as never).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE', message: expect.stringMatching(/parts .* the \d+ tuples of the parts before this one were written/) });
    const written = Number(/the (\d+) tuples/.exec((error as Error).message)![1]);
    expect(written).toBeGreaterThan(0);
    expect(await space.count(['row', null, null])).toBe(written);
    client.close();
  });

  it('a raw client at exactly the limit is served', async () => {
    const ws = new WebSocket(node.ws);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const reply = new Promise<Buffer>((resolve) => ws.once('message', resolve));
    ws.send(Buffer.alloc(LIMIT, 0xc0)); // 64 KiB of msgpack nils: bytes after the first value, refused as a request, not as a message
    expect(packr.unpack(await reply)).toMatchObject({ id: -1, ok: false, error: { code: 'PLEX_ERR_INVALID_ARGUMENT', message: expect.stringContaining('bytes follow') } });
    ws.close();
    expect(node.alive()).toBe(true);
  });
});

describe('the setting', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const toml = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'plex-wslimit-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'node.toml'), text);
    return join(dir, 'node.toml');
  };

  it('defaults to 1 MiB, reads [limits] max_ws_message_bytes, and the flag wins over the file', () => {
    expect(loadNodeConfig({}, {}).maxWsMessageBytes).toBe(1 << 20);
    const file = toml('[limits]\nmax_ws_message_bytes = 262144\n');
    expect(loadNodeConfig({ config: file }, {}).maxWsMessageBytes).toBe(262144);
    expect(loadNodeConfig({ config: file, maxWsMessageBytes: '131072' }, {}).maxWsMessageBytes).toBe(131072);
  });

  it('refuses values under 64 KiB or that are not integers, naming the key', () => {
    expect(() => loadNodeConfig({ maxWsMessageBytes: '1000' }, {})).toThrow(expect.objectContaining({ code: 'PLEX_ERR_USAGE', message: expect.stringContaining('--max-ws-message-bytes') }));
    expect(() => loadNodeConfig({ config: toml('[limits]\nmax_ws_message_bytes = "big"\n') }, {})).toThrow(expect.objectContaining({ code: 'PLEX_ERR_USAGE', message: expect.stringContaining('limits.max_ws_message_bytes') }));
  });
});
