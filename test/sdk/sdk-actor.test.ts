import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { handlerName } from '../../src/sdk/handler-name.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
const work = mkdtempSync(join(tmpdir(), 'plex-sdk-'));
let runtime: ActorRuntime;

beforeAll(async () => {
  const out = join(work, 'bank.wasm');
  const built = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'build', join(import.meta.dirname, '../fixtures/sdk/bank-account.ts'), '-o', out], {
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`plexspaces build failed: ${built.stderr}`);
  runtime = new ActorRuntime({ workers: 1, watchdogMs: 300 });
  await runtime.deploy('bank', new Uint8Array(readFileSync(out)));
}, 120_000);
afterAll(async () => {
  await runtime?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the TypeScript actor SDK and plexspaces build', () => {
  it('maps message types to on<Type> handlers', () => {
    expect(handlerName('deposit')).toBe('onDeposit');
    expect(handlerName('deposit-funds')).toBe('onDepositFunds');
    expect(handlerName('close_account')).toBe('onCloseAccount');
    expect(handlerName('Balance')).toBe('onBalance');
  });

  it('runs an SDK actor: onInit config, handlers, typed host, automatic state', async () => {
    const id = await runtime.spawn('bank', { config: JSON.stringify({ owner: 'ada', opening: 10 }) });
    expect(json(await runtime.ask(id, 'deposit', JSON.stringify({ amount: 25 })))).toEqual({ balance: 35 });
    expect(json(await runtime.ask(id, 'withdraw', JSON.stringify({ amount: 5 })))).toEqual({ balance: 30 });
    expect(json(await runtime.ask(id, 'balance'))).toEqual({ balance: 30, owner: 'ada', self: id });
    expect(json(await runtime.getState(id))).toEqual({ balance: 30, owner: 'ada', history: [25, -5] });
    expect(json(await runtime.ask(id, 'audit'))).toEqual({ written: true, found: ['audit', 'ada', 30] });
  });

  it('a throwing handler replies {"error"} and the actor lives on; unknown types say which handler is missing', async () => {
    const id = await runtime.spawn('bank');
    expect(json(await runtime.ask(id, 'withdraw', JSON.stringify({ amount: 1 })))).toEqual({ error: 'insufficient funds' });
    expect(json(await runtime.ask(id, 'frobnicate'))).toEqual({ error: 'no handler onFrobnicate for message "frobnicate"' });
    expect(json(await runtime.ask(id, 'lock')).error).toMatch(/^ERROR PLEX_ERR_USAGE: .*needs the coordination layer/);
    expect(json(await runtime.ask(id, 'deposit', JSON.stringify({ amount: 3 })))).toEqual({ balance: 3 });
  });

  it('the watchdog stops a runaway SDK handler (QuickJS) and only that actor dies', async () => {
    const spinner = await runtime.spawn('bank');
    const other = await runtime.spawn('bank');
    await expect(runtime.ask(spinner, 'spin', '{}', { timeoutMs: 20_000 })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TIMEOUT' });
    expect(json(await runtime.ask(other, 'deposit', JSON.stringify({ amount: 1 })))).toEqual({ balance: 1 });
  });

  it('onInit throwing refuses the spawn', async () => {
    await expect(runtime.spawn('bank', { config: JSON.stringify({ opening: -1 }) })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_FAILED' });
  });
});
