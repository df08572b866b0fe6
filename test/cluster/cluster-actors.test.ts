import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PlexClient } from '../../src/client/index.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { PROTO_ROOT } from '../../src/server/grpc-server.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';

// Real node processes of one cluster, sharing a redis-server and a cluster
// secret: an actor runs on exactly one node and every node answers for it,
// the messages crossing on the authenticated node links.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-cluster-actors-'));
const children: ChildProcess[] = [];
const SECRET = 'correct horse battery staple';
let redis: RedisProcess;
let config: string;
let counter: Uint8Array;
let relay: Uint8Array;
let alpha: NodeProcess;
let beta: NodeProcess;
let gamma: NodeProcess;

const start = (id: string, file = config) => startNodeProcess(join(dir, id), children, { args: ['--config', file, '--node-id', id] });

beforeAll(async () => {
  [redis, { component: counter }, { component: relay }] = await Promise.all([
    startRedisServer(),
    buildActor(join(root, 'test/fixtures/sdk/article-counter.ts')),
    buildActor(join(root, 'test/fixtures/sdk/relay.ts')),
  ]);
  config = join(dir, 'cluster.toml');
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 8000\nsecret = "${SECRET}"\n`);
  [alpha, beta, gamma] = await Promise.all([start('alpha'), start('beta'), start('gamma')]);
  // Deployed once, on one node: module applications are the cluster's.
  await deploy(alpha, 'counter-app', 'counter', true);
  await deploy(gamma, 'volatile-app', 'volatile', false);
  await deploy(beta, 'relay-app', 'relay', false, relay);
}, 180_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function deploy(node: NodeProcess, applicationId: string, name: string, durable: boolean, wasm = counter): Promise<void> {
  const form = new FormData();
  form.set('application_id', applicationId);
  form.set('name', name);
  form.set('version', '1.0.0');
  form.set('durable', String(durable));
  form.set('wasm_file', new Blob([Buffer.from(wasm)]), 'actor.wasm');
  const response = await fetch(`${node.http}/api/v1/applications/deploy`, { method: 'POST', body: form });
  expect(response.status, await response.clone().text()).toBe(201);
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** The error's code and message when the status is not 2xx. */
  readonly code?: string;
  readonly message?: string;
}

async function ask(node: NodeProcess, actor: string, type: string, payload: unknown = {}, signal?: AbortSignal): Promise<Answer> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: type, payload }), signal });
  const body = (await response.json()) as Record<string, unknown>;
  const error = body.error as { code?: string; message?: string } | undefined;
  return { status: response.status, body, code: error?.code, message: error?.message };
}

const byId = (id: string | undefined) => ({ alpha, beta, gamma })[id as 'alpha' | 'beta' | 'gamma'];

/** The nodes (by id) whose own actor list has `actor`: through the TS client over each node's websocket. */
async function runsOn(actor: string, nodes: NodeProcess[]): Promise<string[]> {
  const names: string[] = [];
  for (const node of nodes) {
    const self = ((await (await fetch(`${node.http}/api/v1/nodes`)).json()) as { self: string }).self;
    const client = await PlexClient.connect(`${node.http.replace('http', 'ws')}/ws`);
    if ((await client.actors.list()).includes(actor)) names.push(self);
    client.close();
  }
  return names;
}

describe('actors across the nodes of a cluster', () => {
  it('says at start that actors are location-transparent', () => {
    expect(alpha.out()).toContain('actors: location-transparent across the cluster');
  });

  it('every node answers for an actor that runs on exactly one of them', async () => {
    expect((await ask(alpha, 'counter-1', 'increment', { amount: 2 })).body).toEqual({ count: 2 });
    expect((await ask(beta, 'counter-1', 'increment', { amount: 3 })).body).toEqual({ count: 5 });
    expect((await ask(gamma, 'counter-1', 'increment', { amount: 4 })).body).toEqual({ count: 9 });
    // Concurrent first messages through three nodes: one claim wins, the others forward.
    const first = await Promise.all([alpha, beta, gamma].map((node) => ask(node, 'counter-2', 'increment')));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await ask(beta, 'counter-2', 'get')).body).toEqual({ count: 3 });
    expect(await runsOn('counter-1', [alpha, beta, gamma])).toEqual(['alpha']);
    expect(await runsOn('counter-2', [alpha, beta, gamma])).toHaveLength(1);
  });

  it('an application deployed on one node is installed on every node, and undeployed from all', async () => {
    const apps = async (node: NodeProcess) => ((await (await fetch(`${node.http}/api/v1/applications`)).json()) as { applications: { applicationId: string }[] }).applications.map((a) => a.applicationId).sort();
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    };
    await until(async () => (await Promise.all([alpha, beta, gamma].map(apps))).every((list) => list.length === 3));
    for (const node of [alpha, beta, gamma]) expect(await apps(node)).toEqual(['counter-app', 'relay-app', 'volatile-app']);
    await deploy(beta, 'short-lived-app', 'short-lived', false);
    // Asked through alpha at once: if alpha has not heard of the deploy yet, it reads the cluster's applications first.
    expect((await ask(alpha, 'short-lived-1', 'increment')).body).toEqual({ count: 1 });
    const removed = await fetch(`${beta.http}/api/v1/applications/short-lived-app`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    await until(async () => !(await apps(alpha)).includes('short-lived-app') && !(await apps(gamma)).includes('short-lived-app'));
    for (const node of [alpha, beta, gamma]) expect(await apps(node)).toEqual(['counter-app', 'relay-app', 'volatile-app']);
  });

  it('tells cross nodes too, in order with the asks that follow them', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${gamma.http}/api/v1/actors/counter-1/tell`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: 'increment', payload: { amount: 10 } }) });
      expect(response.status).toBe(202);
    }
    expect((await ask(gamma, 'counter-1', 'get')).body).toEqual({ count: 59 });
    // The TS client over another node's websocket reaches the same actor.
    const client = await PlexClient.connect(`${beta.http.replace('http', 'ws')}/ws`);
    expect(await client.actors.ask('counter-1', 'get')).toEqual({ count: 59 });
    client.close();
  });

  it('bad input is refused on the node it arrives at, and changes nothing where the actor runs', async () => {
    const badType = await ask(beta, 'counter-1', '');
    expect(badType.status).toBe(400);
    expect(badType.code).toBe('PLEX_ERR_INVALID_ARGUMENT');
    // An id HTTP's routes cannot even carry, through the websocket of a node that does not run the actor.
    const client = await PlexClient.connect(`${beta.http.replace('http', 'ws')}/ws`);
    await expect(client.actors.ask('counter 1!', 'get')).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    client.close();
    const unknown = await ask(beta, 'nobody-here', 'get');
    expect(unknown.code).toBe('PLEX_ERR_ACTOR_NOT_FOUND');
    expect((await ask(alpha, 'counter-1', 'get')).body).toEqual({ count: 59 });
  });

  it('a stranger on the network cannot inject messages: the link wants the cluster secret first', async () => {
    const packr = new Packr({ useRecords: false });
    const url = `${alpha.http.replace('http', 'ws')}/api/v1/cluster/link`;
    // A request frame instead of a hello.
    const opened = (ws: WebSocket) => new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const rude = new WebSocket(url);
    await opened(rude);
    const rudeClosed = new Promise<number>((resolve) => rude.once('close', resolve));
    rude.send(packr.pack([[1, 1, 'ask', { tenant: 'default', namespace: 'default', id: 'counter-1', type: 'increment', payload: { amount: 1000 } }]]));
    expect(await rudeClosed).toBe(4401);
    // A hello, then a made-up proof.
    const guesser = new WebSocket(url);
    await opened(guesser);
    const answers: unknown[] = [];
    guesser.on('message', (data: Buffer) => answers.push(packr.unpack(data)));
    const guesserClosed = new Promise<number>((resolve) => guesser.once('close', resolve));
    guesser.send(packr.pack({ t: 'hello', node: 'mallory.1', nonce: 'n' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answers[0]).toMatchObject({ t: 'proof', node: expect.stringMatching(/^alpha\./), nonce: expect.any(String) });
    guesser.send(packr.pack({ t: 'proof', mac: 'not-the-mac' }));
    guesser.send(packr.pack([[1, 1, 'ask', { tenant: 'default', namespace: 'default', id: 'counter-1', type: 'increment', payload: { amount: 1000 } }]]));
    expect(await guesserClosed).toBe(4401);
    expect((await ask(alpha, 'counter-1', 'get')).body).toEqual({ count: 59 });
  });

  it('a node with another secret cannot reach the cluster’s actors, and changes nothing', async () => {
    const other = join(dir, 'other.toml');
    writeFileSync(other, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 8000\nsecret = "not the cluster secret at all"\n`);
    const mallory = await start('mallory', other); // it shares the Redis, so it has the applications: only the secret is missing
    const refused = await ask(mallory, 'counter-1', 'increment', { amount: 1000 });
    expect(refused.status).toBe(503);
    expect(refused.code).toBe('PLEX_ERR_NODE_DOWN');
    expect(String(refused.message)).toMatch(/did not prove the cluster secret/);
    await kill9(mallory.child);
    expect((await ask(alpha, 'counter-1', 'get')).body).toEqual({ count: 59 });
  });

  it('a WASM actor’s own ask and send reach an actor on another node', async () => {
    // relay-1 is activated on gamma (the first node asked); counter-1 runs on alpha.
    expect((await ask(gamma, 'relay-1', 'relay', { to: 'counter-1', type: 'get' })).body).toEqual({ reply: { count: 59 } });
    expect((await ask(gamma, 'relay-1', 'notify', { to: 'counter-1', type: 'increment', payload: { amount: 1 } })).body).toEqual({ sent: true });
    let count = 0;
    for (let i = 0; i < 50 && count !== 60; i++) count = Number((await ask(beta, 'counter-1', 'get')).body.count);
    expect(count).toBe(60);
    expect(await runsOn('relay-1', [alpha, beta, gamma])).toEqual(['gamma']);
    // An actor no node runs is as unknown as on one node; another tenant's is out of reach by name.
    const missing = await ask(gamma, 'relay-1', 'relay', { to: 'nobody-at-all', type: 'get' });
    expect(JSON.stringify(missing.body)).toContain('PLEX_ERR_ACTOR_NOT_FOUND');
    const foreign = await ask(gamma, 'relay-1', 'relay', { to: 'globex/default/counter-1', type: 'get' });
    expect(JSON.stringify(foreign.body)).toContain('PLEX_ERR_FORBIDDEN');
  });

  it('an actor is stopped through gRPC on a node that does not run it; the next message activates it again with its state', async () => {
    const [running] = await runsOn('counter-2', [alpha, beta, gamma]);
    const other = [alpha, beta, gamma].find((n) => n !== byId(running))!;
    const definition = protoLoader.loadSync(['plexspaces/v1/actor.proto'], { includeDirs: [PROTO_ROOT], longs: String, enums: String, defaults: false, oneofs: true });
    const v1 = (grpc.loadPackageDefinition(definition) as never as { plexspaces: { v1: { Actor: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client } } }).plexspaces.v1;
    const client = new v1.Actor(/grpc: (\S+)/.exec(other.out())![1], grpc.credentials.createInsecure());
    const stop = (id: string) =>
      new Promise<unknown>((resolve, reject) =>
        (client as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void>).Stop({ actor: { tenant: 'default', namespace: 'default', id } }, (error, value) => (error ? reject(error) : resolve(value))),
      );
    await stop('counter-2');
    expect(await runsOn('counter-2', [alpha, beta, gamma])).toEqual([]);
    await expect(stop('counter-2')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    client.close();
    expect((await ask(other, 'counter-2', 'get')).body).toEqual({ count: 3 }); // durable: back from its journal
  });

  it('asks in flight to a node that is SIGKILLed fail fast or succeed, never hang; a survivor takes the durable actor over with its state', async () => {
    expect((await ask(beta, 'volatile-1', 'increment')).body).toEqual({ count: 1 }); // activated on beta, not durable
    const before = Number((await ask(gamma, 'counter-1', 'get')).body.count);
    // Five lanes of asks from gamma to the counter on alpha; alpha is killed once twenty have been answered.
    let answered = 0;
    let killed: Promise<void> | undefined;
    const lane = async () => {
      const mine: Answer[] = [];
      for (let i = 0; i < 30; i++) {
        mine.push(await ask(gamma, 'counter-1', 'increment', { amount: 1 }, AbortSignal.timeout(20_000)));
        if (++answered === 20) killed = kill9(alpha.child);
      }
      return mine;
    };
    const inFlight = Array.from({ length: 5 }, lane);
    const settled = await Promise.allSettled(inFlight);
    await killed;
    const hung = settled.filter((s) => s.status === 'rejected');
    expect(hung).toEqual([]); // every ask answered (no AbortSignal timeout)
    const answers = settled.flatMap((s) => (s as PromiseFulfilledResult<Answer[]>).value);
    expect(answers).toHaveLength(150);
    const acked = answers.filter((a) => a.status === 200).length;
    const failed = answers.filter((a) => a.status !== 200);
    for (const f of failed) expect(f.code).toBe('PLEX_ERR_NODE_DOWN');
    expect(acked).toBeGreaterThanOrEqual(20);
    expect(failed.length).toBeGreaterThan(0); // some were sent to alpha after it died

    // Once alpha's heartbeat has lapsed, a survivor claims the counter and rebuilds it from the journal in Redis.
    let after: Answer | undefined;
    for (let i = 0; i < 300; i++) {
      after = await ask(gamma, 'counter-1', 'get');
      if (after.status === 200) break;
      expect(after.code).toBe('PLEX_ERR_NODE_DOWN');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after!.status).toBe(200);
    const count = Number(after!.body.count);
    // Every acknowledged increment is there; one handled by alpha whose reply died with it may be too (at most once per ask).
    expect(count).toBeGreaterThanOrEqual(before + acked);
    expect(count).toBeLessThanOrEqual(before + answers.length);
    expect((await ask(beta, 'counter-1', 'get')).body).toEqual({ count });
    expect(await runsOn('counter-1', [beta, gamma])).toHaveLength(1);
  }, 60_000);

  it('a message for an actor whose state died with its node fails with PLEX_ERR_NODE_DOWN', async () => {
    await kill9(beta.child);
    const killedAt = Date.now();
    // Refused at once (the link is gone), and still refused once beta's heartbeat (8 s) has lapsed: not restarted empty elsewhere.
    while (Date.now() - killedAt < 10_000) {
      const response = await ask(gamma, 'volatile-1', 'get');
      expect(response.status).toBe(503);
      expect(response.code).toBe('PLEX_ERR_NODE_DOWN');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await runsOn('volatile-1', [gamma])).toEqual([]);
  }, 30_000);
});
