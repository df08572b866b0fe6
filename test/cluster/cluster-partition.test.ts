import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';

// A partition-like fault: one node's connection to Redis is cut (through a
// TCP relay the test controls) while the node process and its links to the
// other nodes stay up. The cut node must stop acting as the owner of the
// actors it claimed once it cannot prove it is still a member, and when it
// comes back it must not answer from a stale copy of an actor that another
// node took over meanwhile.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-partition-'));
const children: ChildProcess[] = [];
const TTL_MS = 3_000;
let redis: RedisProcess;
let relay: Relay;
let alpha: NodeProcess;
let delta: NodeProcess;

/** A TCP relay to Redis that the test can cut (every connection dropped, new ones refused) and heal. */
interface Relay {
  readonly port: number;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    heal() {
      open = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  let counter: Uint8Array;
  [redis, { component: counter }] = await Promise.all([startRedisServer(), buildActor(join(root, 'test/fixtures/sdk/article-counter.ts'))]);
  relay = await startRelay(Number(new URL(redis.url).port));
  const config = (url: string, file: string) => {
    const path = join(dir, file);
    writeFileSync(path, `[cluster]\nredis = ["${url}"]\nheartbeat_ttl_ms = ${TTL_MS}\nsecret = "the partition test secret"\n`);
    return path;
  };
  alpha = await startNodeProcess(join(dir, 'alpha'), children, { args: ['--config', config(redis.url, 'direct.toml'), '--node-id', 'alpha'] });
  delta = await startNodeProcess(join(dir, 'delta'), children, { args: ['--config', config(`redis://127.0.0.1:${relay.port}`, 'relayed.toml'), '--node-id', 'delta'] });
  const form = new FormData();
  form.set('application_id', 'counter-app');
  form.set('name', 'counter');
  form.set('version', '1.0.0');
  form.set('wasm_file', new Blob([Buffer.from(counter)]), 'actor.wasm');
  expect((await fetch(`${alpha.http}/api/v1/applications/deploy`, { method: 'POST', body: form })).status).toBe(201);
}, 120_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await relay?.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly code?: string;
}

async function ask(node: NodeProcess, actor: string, type: string, payload: unknown = {}): Promise<Answer> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: type, payload }) });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body, code: (body.error as { code?: string } | undefined)?.code };
}

async function liveNodes(node: NodeProcess): Promise<string[]> {
  const listing = (await (await fetch(`${node.http}/api/v1/nodes`)).json()) as { nodes: { id: string }[] };
  return listing.nodes.map((n) => n.id).sort();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a node cut off from Redis', () => {
  it('stops serving the actors it claimed, a survivor takes them over, and back it never answers from a stale copy', async () => {
    // delta claims a durable counter and counts to 3.
    for (let i = 1; i <= 3; i++) expect((await ask(delta, 'counter-p', 'increment')).body).toEqual({ count: i });
    expect((await ask(alpha, 'counter-p', 'get')).body).toEqual({ count: 3 }); // forwarded to delta

    relay.cut();
    // Cut off, delta refuses its claimed actor (the journal is out of reach, then its membership is unproven).
    const refused = await ask(delta, 'counter-p', 'increment');
    expect(refused.status).toBe(503);
    expect(refused.code).toBe('PLEX_ERR_BACKEND_UNAVAILABLE');
    // Once alpha no longer lists delta, alpha takes the durable counter over from its journal.
    for (let i = 0; i < 100 && (await liveNodes(alpha)).includes('delta'); i++) await sleep(200);
    expect(await liveNodes(alpha)).toEqual(['alpha']);
    let taken: Answer | undefined;
    for (let i = 0; i < 50; i++) {
      taken = await ask(alpha, 'counter-p', 'increment');
      if (taken.status === 200) break;
      await sleep(200);
    }
    expect(taken!.body).toEqual({ count: 4 });
    // Still cut off, delta still refuses (its membership lapsed: it is not the owner any more).
    expect((await ask(delta, 'counter-p', 'get')).code).toBe('PLEX_ERR_BACKEND_UNAVAILABLE');

    relay.heal();
    // Back: delta joins again, stops its stale copy, and from then on forwards to alpha. No answer ever says 3.
    const answers: Answer[] = [];
    for (let i = 0; i < 150; i++) {
      const answer = await ask(delta, 'counter-p', 'get');
      answers.push(answer);
      if (answer.status === 200) break;
      await sleep(200);
    }
    const served = answers.filter((a) => a.status === 200);
    expect(served.map((a) => a.body)).toEqual([{ count: 4 }]);
    for (const a of answers.filter((x) => x.status !== 200)) expect(['PLEX_ERR_BACKEND_UNAVAILABLE', 'PLEX_ERR_NODE_DOWN']).toContain(a.code);
    expect((await ask(delta, 'counter-p', 'increment')).body).toEqual({ count: 5 });
    expect((await ask(alpha, 'counter-p', 'get')).body).toEqual({ count: 5 });
    expect(delta.out()).toMatch(/actors taken over by other nodes while this one was cut off stopped here/);
  }, 90_000);
});
