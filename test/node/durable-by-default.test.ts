import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtActorWasm } from '../../src/runtime/built-actors.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { kill9, startNodeProcess, type NodeProcess } from '../support/node-process.js';

// The articles promise that "if the node crashes and restarts, the framework
// replays the journal and restores the calculator's state". Application
// actors deployed the articles' way are durable unless the deploy opts out.

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-durable-default-'));
const children: ChildProcess[] = [];
let account: Uint8Array;
let counter: Uint8Array;

beforeAll(async () => {
  account = (await buildActor(join(root, 'test/fixtures/seed-ts/account_actor.ts'))).component;
  counter = (await buildActor(join(root, 'test/fixtures/sdk/article-counter.ts'))).component;
}, 120_000);
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const startNode = (dataDir: string) => startNodeProcess(dataDir, children);

async function stopGracefully(node: NodeProcess): Promise<void> {
  const exited = new Promise((resolve) => node.child.removeAllListeners('exit').on('exit', resolve));
  node.child.kill('SIGTERM');
  await exited;
}

async function post(url: string, body: FormData | unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit = body instanceof FormData ? { method: 'POST', body } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function deployForm(fields: Record<string, string>, wasm: Uint8Array, field = 'wasm_file'): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set(field, new Blob([Buffer.from(wasm)]), 'actor.wasm');
  return form;
}

async function ask(node: NodeProcess, actor: string, type: string, payload: unknown = {}): Promise<Record<string, unknown>> {
  const reply = await post(`${node.http}/api/v1/actors/${actor}/ask`, { message_type: type, payload });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}

describe('application actors are durable by default', () => {
  it('the article’s bank account keeps its balance across a graceful restart and a SIGKILL', async () => {
    const dataDir = join(dir, 'bank');
    let node = await startNode(dataDir);
    const deployed = await post(`${node.http}/api/v1/applications/deploy`, deployForm({ application_id: 'bank-app', name: 'bank-account', version: '1.0.0' }, account));
    expect(deployed).toMatchObject({ status: 201, body: { applicationId: 'bank-app', durable: true } });
    expect(await ask(node, 'account-alice', 'deposit', { amount: 1000 })).toMatchObject({ balance: 1000 });
    expect(await ask(node, 'account-alice', 'withdraw', { amount: 250 })).toMatchObject({ balance: 750 });

    await stopGracefully(node);
    node = await startNode(dataDir);
    expect(node.out()).toMatch(/applications: 1 restored/);
    expect(await ask(node, 'account-alice', 'deposit', { amount: 1000 })).toMatchObject({ balance: 1750 });

    await kill9(node.child);
    node = await startNode(dataDir);
    expect(await ask(node, 'account-alice', 'replay')).toEqual({ replayed: 3, rebuilt_balance: 1750, current_balance: 1750 });
    const history = (await ask(node, 'account-alice', 'history')) as { transactions?: { type: string; amount: number }[] };
    expect(history.transactions?.map((t) => `${t.type} ${t.amount}`)).toEqual(['deposit 1000', 'withdraw 250', 'deposit 1000']);
    await kill9(node.child);
  }, 120_000);

  it('a counter deployed with /api/v1/deploy counts on after a SIGKILL; one deployed with durable=false starts again from zero', async () => {
    const dataDir = join(dir, 'counters');
    let node = await startNode(dataDir);
    const durable = await post(`${node.http}/api/v1/deploy`, deployForm({ namespace: 'default', actor_type: 'counter' }, counter, 'wasm'));
    expect(durable).toMatchObject({ status: 201, body: { durable: true } });
    const ephemeral = await post(`${node.http}/api/v1/deploy`, deployForm({ namespace: 'default', actor_type: 'scratch', durable: 'false' }, counter, 'wasm'));
    expect(ephemeral).toMatchObject({ status: 201, body: { durable: false } });
    const call = async (type: string, action: string) => {
      const reply = await post(`${node.http}/api/v1/actors/default/default/${type}?invocation=call`, { action });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body;
    };
    for (let i = 0; i < 3; i++) {
      await call('counter', 'increment');
      await call('scratch', 'increment');
    }
    expect(await call('counter', 'get')).toMatchObject({ count: 3 });
    expect(await call('scratch', 'get')).toMatchObject({ count: 3 });

    await kill9(node.child);
    node = await startNode(dataDir);
    expect(await call('counter', 'get')).toMatchObject({ count: 3 });
    expect(await call('scratch', 'get')).toMatchObject({ count: 0 }); // opted out: kept nothing
    // The opt-out is kept with the application across restarts.
    const apps = (await (await fetch(`${node.http}/api/v1/applications`)).json()) as { applications: { applicationId: string; durable: boolean }[] };
    expect(Object.fromEntries(apps.applications.map((a) => [a.applicationId, a.durable]))).toEqual({ counter: true, scratch: false });
    await kill9(node.child);
  }, 120_000);

  it('durable=true for a module that cannot snapshot its state is refused and changes nothing; a bad durable value too', async () => {
    const node = await startNode(join(dir, 'refusals'));
    const pinger = builtActorWasm('pinger'); // a core module without plex_get_state / plex_set_state
    // Without a word it deploys, not durable.
    expect(await post(`${node.http}/api/v1/applications/deploy`, deployForm({ application_id: 'pinger', name: 'pinger', version: '1' }, pinger))).toMatchObject({ status: 201, body: { durable: false } });
    const refused = await post(`${node.http}/api/v1/applications/deploy`, deployForm({ application_id: 'pinger', name: 'pinger', version: '2', durable: 'true' }, pinger));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT', message: expect.stringMatching(/snapshots its state/) });
    const typo = await post(`${node.http}/api/v1/applications/deploy`, deployForm({ application_id: 'bank', name: 'bank', version: '1', durable: 'yes' }, account));
    expect(typo).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/durable must be true or false/) } } });
    // A bundle says it in its manifest, not in the form.
    const form = deployForm({ application_id: 'b', durable: 'false', manifest: '[supervisor]\n' }, account);
    expect(await post(`${node.http}/api/v1/applications/deploy`, form)).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/in its manifest/) } } });
    const apps = (await (await fetch(`${node.http}/api/v1/applications`)).json()) as { applications: { applicationId: string; version: string }[] };
    expect(apps.applications.map((a) => `${a.applicationId}@${a.version}`)).toEqual(['pinger@1']);
    await kill9(node.child);
  }, 60_000);

  it('a redeploy with an invalid module leaves the deployed one serving', async () => {
    const node = await startNode(join(dir, 'redeploy'));
    expect((await post(`${node.http}/api/v1/applications/deploy`, deployForm({ application_id: 'bank-app', name: 'bank-account', version: '1' }, account))).status).toBe(201);
    const bad = await post(`${node.http}/api/v1/applications/deploy`, deployForm({ application_id: 'bank-app', name: 'bank-account', version: '2' }, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff])));
    expect(bad.status).toBe(400);
    // A new actor of the application still activates from version 1's module.
    expect(await ask(node, 'account-bob', 'deposit', { amount: 5 })).toMatchObject({ balance: 5 });
    await kill9(node.child);
  }, 60_000);
});
