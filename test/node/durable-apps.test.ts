import { kill9, startNodeProcess } from '../support/node-process.js';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildActor } from '../../src/sdk/build-actor.js';

const root = join(import.meta.dirname, '../..');
const bank = new Map<string, Uint8Array>();
let orders: Uint8Array;
const dir = mkdtempSync(join(tmpdir(), 'plex-durable-apps-'));
const children: ChildProcess[] = [];

beforeAll(async () => {
  bank.set('bank_account.wasm', (await buildActor(join(root, 'examples/bank/bank-account.ts'))).component);
  bank.set('transfer_workflow.wasm', (await buildActor(join(root, 'examples/bank/transfer-workflow.ts'))).component);
  orders = (await buildActor(join(root, 'test/fixtures/sdk/order-workflow.ts'))).component;
}, 120_000);
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const startNode = (dataDir: string) => startNodeProcess(dataDir, children, { workers: 2 });

async function deployBundle(http: string, appId: string, manifest: string, files: Map<string, Uint8Array>): Promise<Record<string, unknown>> {
  const form = new FormData();
  form.set('application_id', appId);
  form.set('namespace', 'prod');
  form.set('manifest', new File([manifest], 'app-config.toml'));
  for (const [name, bytes] of files) form.append('wasm_file', new File([Buffer.from(bytes)], name));
  const response = await fetch(`${http}/api/v1/applications/deploy`, { method: 'POST', body: form });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`deploy failed: ${JSON.stringify(body)}`);
  return body;
}

async function ask(http: string, actor: string, type: string, payload: unknown = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${http}/api/v1/actors/${actor}/ask?namespace=prod`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: type, payload, namespace: 'prod' }) });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${type} to ${actor}: ${JSON.stringify(body)}`);
  return body;
}

describe('durable applications across SIGKILL of the node', () => {
  it('a durable bank account: after a SIGKILL mid-stream the balance is the sum of acknowledged deposits, none applied twice', async () => {
    const dataDir = join(dir, 'bank');
    let node = await startNode(dataDir);
    const info = await deployBundle(node.http, 'bank', readFileSync(join(root, 'examples/bank/app-config.toml'), 'utf8'), bank);
    expect(info).toMatchObject({ kind: 'bundle', actors: ['default/prod/vault'] });

    const acked: { tx: string; amount: number }[] = [];
    let inFlight: { tx: string; amount: number } | undefined;
    const stream = (async () => {
      for (let i = 0; ; i++) {
        const deposit = { tx: `d${i}`, amount: (i % 7) + 1 };
        inFlight = deposit;
        try {
          await ask(node.http, 'vault', 'deposit', deposit);
        } catch {
          return; // the node is gone
        }
        acked.push(deposit);
        inFlight = undefined;
      }
    })();
    while (acked.length < 120) await new Promise((r) => setTimeout(r, 5));
    await kill9(node.child);
    await stream;

    node = await startNode(dataDir);
    expect(node.out()).toMatch(/applications: 1 restored/);
    // A deposit whose reply was lost may or may not have been applied: the client asks instead of resending blindly.
    if (inFlight !== undefined) {
      const { applied } = await ask(node.http, 'vault', 'has', { tx: inFlight.tx });
      if (applied === true) acked.push(inFlight);
    }
    const expected = acked.reduce((sum, d) => sum + d.amount, 0);
    expect(await ask(node.http, 'vault', 'balance')).toEqual({ owner: 'vault', balance: expected, transactions: acked.length });
    const { history } = (await ask(node.http, 'vault', 'history')) as { history: { tx: string }[] };
    expect(history.map((e) => e.tx)).toEqual(acked.map((d) => d.tx)); // each once, in order

    // The same node runs a transfer workflow between two virtual durable accounts, taking both locks.
    await ask(node.http, 'account:alice', 'deposit', { tx: 'open-alice', amount: 100 });
    expect(await ask(node.http, 'transfer:t1', 'run', { from: 'alice', to: 'bob', amount: 30 })).toEqual({ status: 'running' });
    for (let i = 0; i < 200 && (await ask(node.http, 'transfer:t1', 'query:status')).status === 'running'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await ask(node.http, 'transfer:t1', 'query:status')).toMatchObject({ status: 'completed', data: { outcome: 'done', locks: [] } });
    expect(await ask(node.http, 'account:alice', 'balance')).toMatchObject({ balance: 70 });
    expect(await ask(node.http, 'account:bob', 'balance')).toMatchObject({ balance: 30 });
    // A transfer the source cannot cover fails and leaves both balances alone.
    await ask(node.http, 'transfer:t2', 'run', { from: 'bob', to: 'alice', amount: 1000 });
    for (let i = 0; i < 200 && (await ask(node.http, 'transfer:t2', 'query:status')).status === 'running'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await ask(node.http, 'transfer:t2', 'query:status')).toMatchObject({ status: 'failed', data: { outcome: 'refused: insufficient funds' } });
    expect(await ask(node.http, 'account:bob', 'balance')).toMatchObject({ balance: 30 });
    await kill9(node.child);
  }, 120_000);

  it('a durable workflow answers queries while it runs and, after a SIGKILL, resumes where it stopped', async () => {
    const dataDir = join(dir, 'orders');
    let node = await startNode(dataDir);
    const manifest = `
[supervisor]
strategy = "one_for_one"
max_restarts = 5
max_restart_window_seconds = 30

[[supervisor.children]]
id = "order-1"
module = "order_workflow.wasm"
durable = true
checkpoint_every = 1000
`;
    await deployBundle(node.http, 'orders', manifest, new Map([['order_workflow.wasm', orders]]));
    // Each step is ≈0.03–0.1 s of work on a quiet machine: inside the 1 s watchdog even when a loaded CI machine runs it 5× slower.
    expect(await ask(node.http, 'order-1', 'run', { orderId: 'o-1', work: 500_000 })).toEqual({ status: 'running' });
    let status = await ask(node.http, 'order-1', 'query:status');
    for (let i = 0; i < 1000 && status.status === 'running' && (status.step as number) < 1; i++) status = await ask(node.http, 'order-1', 'query:status');
    expect(status).toMatchObject({ status: 'running' }); // answered mid-run
    expect(status.step).toBeLessThan(3);
    await kill9(node.child);

    node = await startNode(dataDir);
    // Nobody sends it anything: the supervisor restarts it, the journal brings it back, and it carries on by itself.
    for (let i = 0; i < 500; i++) {
      status = await ask(node.http, 'order-1', 'query:status');
      if (status.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toMatchObject({ status: 'completed', step: 3, data: { orderId: 'o-1', stepsCompleted: ['validation', 'payment', 'shipment'] } });
    const shipped = await fetch(`${node.http}/api/v1/tuplespace/default/prod/default/read-all`, { method: 'POST', body: JSON.stringify({ template: ['shipped', null] }) });
    expect(await shipped.json()).toMatchObject({ tuples: [['shipped', 'o-1']] });
    await kill9(node.child);
  }, 120_000);
});
