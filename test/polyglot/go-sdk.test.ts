import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildGo } from '../../src/polyglot/build-native.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';

/**
 * The Go SDK (sdks/go) on a real node: a probe actor (test/fixtures/polyglot/go-probe), built
 * from source with Go, calls the SDK's host functions and Go's standard library, whose WASI
 * preview 1 calls the runtime serves (src/runtime/wasi-preview1.ts).
 */
const work = mkdtempSync(join(tmpdir(), 'plex-go-sdk-'));
const children: ChildProcess[] = [];
let node: NodeProcess;

async function deploy(name: string, wasm: Uint8Array): Promise<void> {
  const form = new FormData();
  form.set('application_id', `${name}-app`);
  form.set('name', name);
  form.set('version', '1.0.0');
  form.set('wasm_file', new File([Buffer.from(wasm)], `${name}.wasm`));
  const response = await fetch(`${node.http}/api/v1/applications/deploy`, { method: 'POST', body: form });
  if (response.status !== 201) throw new Error(`deploy failed: ${await response.text()}`);
}

async function ask(actor: string, type: string, payload: unknown = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${node.http}/api/v1/actors/${actor}/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message_type: type, payload }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const wasm = buildGo(join(import.meta.dirname, '../fixtures/polyglot/go-probe'));
  node = await startNodeProcess(join(work, 'data'), children);
  await deploy('go-probe', wasm);
  await deploy('go-peer', wasm);
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('a Go actor on the Go SDK', () => {
  it('keeps its state between messages (BaseActor)', async () => {
    const first = (await ask('go-probe', 'count')).body.count as number;
    expect((await ask('go-probe', 'count')).body.count).toBe(first + 1);
  });

  it('knows its id, its sender and the time (host.NowMs and time.Now agree)', async () => {
    const before = Date.now();
    const { body } = await ask('go-probe', 'whoami');
    expect(body.self).toBe('default/default/go-probe');
    expect(body.from).toBe('');
    expect(body.now_ms as number).toBeGreaterThanOrEqual(before);
    expect(Math.abs((body.time_now_ms as number) - (body.now_ms as number))).toBeLessThan(1000);
  });

  it('asks another actor, which sees the asker as its sender', async () => {
    await ask('go-peer', 'count'); // activates it
    const { body } = await ask('go-probe', 'ask', { to: 'go-peer' });
    expect(body.error).toBe('');
    expect(body.reply).toMatchObject({ self: 'default/default/go-peer', from: 'default/default/go-probe' });
  });

  it('uses KV in its own scope: put, get, list, delete', async () => {
    const { body } = await ask('go-probe', 'kv', { key: 'limits:a', value: 'ten' });
    expect(body).toEqual({ value: 'ten', found: true, keys: ['limits:a'], found_after_delete: false, errors: '' });
  });

  it('takes and releases a lock in its scope; another actor cannot take it while it is held', async () => {
    await ask('go-peer', 'count'); // activates it
    const { body } = await ask('go-probe', 'lock', { rival: 'go-peer' });
    expect(body).toEqual({ holder: 'default/default/go-probe', rival_while_held: { got: false }, rival_after_release: { got: true }, errors: '' });
  });

  it('writes, reads and takes tuples', async () => {
    const { body } = await ask('go-probe', 'ts');
    expect(body).toMatchObject({ found: true, all: 1, found_after_take: false, error: '' });
    expect(JSON.parse(body.read as string)).toEqual(['job', 1, 'go']);
    expect(JSON.parse(body.taken as string)).toEqual(['job', 1, 'go']);
  });

  it('prints to stdout and stderr into the node log, and logs through the host', async () => {
    await ask('go-probe', 'print');
    await vi.waitFor(() => {
      expect(node.out()).toMatch(/\[actor [^\]]*go-probe\] hello from Go 7\n/);
      expect(node.out()).toMatch(/\[actor [^\]]*go-probe\] go warning\n/);
      expect(node.out()).toMatch(/\[actor [^\]]*go-probe\] via plex.log\n/);
    });
  });

  it('gets random bytes, sleeps, and has no filesystem', async () => {
    const a = (await ask('go-probe', 'random')).body.hex;
    const b = (await ask('go-probe', 'random')).body.hex;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect((await ask('go-probe', 'sleep')).body.slept_ms as number).toBeGreaterThanOrEqual(20);
    const { body } = await ask('go-probe', 'file', { path: '/etc/hostname' });
    expect(body.error).toMatch(/\/etc\/hostname/);
  });

  it('os.Exit(3) crashes the actor with PLEX_ERR_ACTOR_EXITED; the next call activates it again with its checkpointed state', async () => {
    const before = (await ask('go-probe', 'count')).body.count as number;
    const { status, body } = await ask('go-probe', 'exit');
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ code: 'PLEX_ERR_ACTOR_EXITED', message: expect.stringMatching(/proc_exit\(3\)/) });
    // A durable application (the default): the state from before the crash comes back (a fresh actor would count 1).
    expect((await ask('go-probe', 'count')).body.count as number).toBeGreaterThan(before);
  });
});
