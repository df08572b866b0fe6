import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { findActorExport } from '../../src/sdk/find-actor.js';
import { loadTypeScript } from '../../src/sdk/type-check.js';
import { startNodeProcess } from '../support/node-process.js';

// The articles' TypeScript actors, copied verbatim into test/fixtures/seed-ts,
// built with the real CLI and run on a real runtime: they are the contract.
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const SEED = join(import.meta.dirname, '../fixtures/seed-ts');
const work = mkdtempSync(join(tmpdir(), 'plex-seed-ts-'));
const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
let runtime: ActorRuntime;
const children: ChildProcess[] = [];

/** `plexspaces build <file> -o <out> [flags]`, as a user runs it. */
function build(file: string, out: string, ...flags: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', CLI, 'build', file, '-o', out, ...flags], { encoding: 'utf8' });
}

/** The article's counter with one type error (a string into a number field). */
const BROKEN_COUNTER = `import { PlexSpacesActor } from "@plexspaces/sdk";

interface CounterState { count: number; }

export class BrokenCounter extends PlexSpacesActor<CounterState> {
  getDefaultState(): CounterState { return { count: 0 }; }

  onIncrement() {
    this.state.count = "one";
    return { count: this.state.count };
  }
}
`;

beforeAll(async () => {
  runtime = new ActorRuntime({ workers: 1, watchdogMs: 1000 });
  for (const [name, file] of [
    ['bank-account', 'account_actor.ts'],
    ['counter', 'counter_actor.ts'],
  ]) {
    const out = join(work, `${name}.wasm`);
    const built = build(join(SEED, file), out);
    if (built.status !== 0) throw new Error(`plexspaces build ${file} failed: ${built.stderr}`);
    await runtime.deploy(name, new Uint8Array(readFileSync(out)));
  }
}, 120_000);
afterAll(async () => {
  await runtime?.close();
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the articles’ TypeScript actors build unchanged', () => {
  it('BankAccountActor (import from "@plexspaces/sdk", named class, hand-written actor bridge) answers as the article prints', async () => {
    const alice = await runtime.spawn('bank-account', { config: JSON.stringify({ account_id: 'account-alice' }) });
    const ask = async (type: string, payload: unknown) => json(await runtime.ask(alice, type, JSON.stringify(payload)));
    expect(await ask('deposit', { amount: 1000 })).toEqual({ status: 'ok', balance: 1000 });
    expect(await ask('withdraw', { amount: 250 })).toEqual({ status: 'ok', balance: 750 });
    expect(await ask('withdraw', { amount: 5000 })).toEqual({ error: 'insufficient_funds', balance: 750 });
    expect(await ask('deposit', { amount: -1 })).toEqual({ error: 'invalid_amount' });
    expect(await ask('history', { count: 10 })).toEqual({
      transactions: [
        { type: 'deposit', amount: 1000, balance_after: 1000 },
        { type: 'withdraw', amount: 250, balance_after: 750 },
      ],
    });
    expect(await ask('replay', {})).toEqual({ replayed: 2, rebuilt_balance: 750, current_balance: 750 });
    // onInit (protected in the article) ran on the default state, and get-state goes through the bridge.
    expect(json(await runtime.getState(alice))).toMatchObject({ account_id: 'account-alice', balance: 750 });
  });

  it('CounterActor (a named export, no bridge) answers increment and get', async () => {
    const counter = await runtime.spawn('counter');
    expect(json(await runtime.ask(counter, 'increment', JSON.stringify({ amount: 5 })))).toEqual({ count: 5 });
    expect(json(await runtime.ask(counter, 'get', '{}'))).toEqual({ count: 5 });
    expect(json(await runtime.ask(counter, 'increment', '{}'))).toEqual({ count: 6 });
  });

  it('on a real node, the article’s curl calls get the replies it prints (deploy, ask; FaaS tell then get)', async () => {
    const node = await startNodeProcess(join(work, 'node'), children);
    const bank = new FormData();
    bank.set('application_id', 'bank-app');
    bank.set('name', 'bank-account');
    bank.set('version', '1.0.0');
    bank.set('wasm_file', new Blob([readFileSync(join(work, 'bank-account.wasm'))]), 'account_actor.wasm');
    expect((await fetch(`${node.http}/api/v1/applications/deploy`, { method: 'POST', body: bank })).status).toBe(201);
    const ask = async (body: string) =>
      (await fetch(`${node.http}/api/v1/actors/account-alice/ask`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).json();
    expect(await ask('{"message_type": "deposit", "payload": {"amount": 1000}}')).toEqual({ status: 'ok', balance: 1000 });
    expect(await ask('{"message_type": "withdraw", "payload": {"amount": 250}}')).toEqual({ status: 'ok', balance: 750 });
    expect(await ask('{"message_type": "history", "payload": {"count": 10}}')).toEqual({
      transactions: [
        { type: 'deposit', amount: 1000, balance_after: 1000 },
        { type: 'withdraw', amount: 250, balance_after: 750 },
      ],
    });

    const counter = new FormData();
    counter.set('namespace', 'default');
    counter.set('actor_type', 'counter');
    counter.set('wasm', new Blob([readFileSync(join(work, 'counter.wasm'))]), 'counter.wasm');
    expect((await fetch(`${node.http}/api/v1/deploy`, { method: 'POST', body: counter })).status).toBe(201);
    const faas = `${node.http}/api/v1/actors/default/default/counter`;
    const tell = await fetch(faas, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"action":"increment","amount":5}' });
    expect(tell.status).toBe(202);
    expect(await (await fetch(faas, { headers: { 'Content-Type': 'application/json' } })).json()).toEqual({ count: 5 });
  }, 60_000);

  it('a type error stops the build with tsc’s message and writes nothing; --no-check builds it anyway', async () => {
    const file = join(work, 'broken_counter.ts');
    writeFileSync(file, BROKEN_COUNTER);
    const out = join(work, 'broken.wasm');
    const checked = build(file, out);
    expect(checked.status).toBe(1);
    expect(checked.stderr).toContain('PLEX_ERR_INVALID_MODULE');
    expect(checked.stderr).toContain('broken_counter.ts(9,5): error TS2322');
    expect(checked.stderr).toContain("Type 'string' is not assignable to type 'number'.");
    expect(checked.stderr).toContain('--no-check');
    expect(existsSync(out)).toBe(false);

    const unchecked = build(file, out, '--no-check');
    expect(unchecked.stderr).not.toContain('error TS');
    expect(unchecked.status).toBe(0);
    await runtime.deploy('broken', new Uint8Array(readFileSync(out)));
    const broken = await runtime.spawn('broken');
    expect(json(await runtime.ask(broken, 'increment', '{}'))).toEqual({ count: 'one' });
  }, 180_000); // two CLI builds, one with tsc's check: a minute each on a loaded CI machine

  it('a file exporting two actor classes and no default or bridge fails, naming both', () => {
    const out = join(work, 'ambiguous.wasm');
    const built = build(join(SEED, 'ambiguous.ts'), out, '--no-check');
    expect(built.status).toBe(1);
    expect(built.stderr).toContain('PLEX_ERR_INVALID_MODULE');
    expect(built.stderr).toContain('exports several PlexSpacesActor subclasses (PingActor, PongActor)');
    expect(existsSync(out)).toBe(false);
  });

  it('a file exporting no actor at all says what to export (buildActor, the API under the CLI)', async () => {
    const file = join(work, 'no_actor.ts');
    writeFileSync(file, 'export const answer = 42;\n');
    await expect(buildActor(file)).rejects.toMatchObject({
      code: 'PLEX_ERR_INVALID_MODULE',
      message: expect.stringContaining('exports no actor: export a PlexSpacesActor subclass'),
    });
  });
});

describe('which export plexspaces build wraps', () => {
  let ts: Awaited<ReturnType<typeof loadTypeScript>>;
  beforeAll(async () => {
    ts = await loadTypeScript();
  });
  const find = (text: string) => findActorExport(ts, 'actor.ts', `import { PlexSpacesActor, GenServerActor as Server } from "@plexspaces/sdk";\n${text}`);
  const actorClass = (name: string, base = 'PlexSpacesActor<{}>') => `class ${name} extends ${base} { getDefaultState() { return {}; } }`;

  it('an exported actor bridge wins over any class', () => {
    expect(find(`export default ${actorClass('A')}\nexport const actor = { init() {}, handle() {}, getState() {}, setState() {} };`)).toEqual({ kind: 'bridge' });
    expect(find(`const bridge = {};\nexport { bridge as actor };`)).toEqual({ kind: 'bridge' });
  });

  it('the default export when it is an actor class, else the single exported actor class', () => {
    expect(find(`export default ${actorClass('A')}\nexport ${actorClass('B')}`)).toEqual({ kind: 'class', exportName: 'default' });
    expect(find(`${actorClass('A')}\nexport default A;\nexport ${actorClass('B')}`)).toEqual({ kind: 'class', exportName: 'default' });
    expect(find(`export default class Helper {}\nexport ${actorClass('B')}`)).toEqual({ kind: 'class', exportName: 'B' });
    // Through the file's own base class, an aliased SDK behaviour, and `export { … as … }`.
    expect(find(`abstract ${actorClass('Base')}\nclass Leaf extends Base {}\nexport { Leaf as Main };`)).toEqual({ kind: 'class', exportName: 'Main' });
    expect(find(`export ${actorClass('S', 'Server<{}>')}`)).toEqual({ kind: 'class', exportName: 'S' });
    // A default class whose base lives in another file is taken as it is (the runtime checks it when the actor starts).
    expect(find(`import { MyBase } from "./base";\nexport default class Leaf extends MyBase {}`)).toEqual({ kind: 'class', exportName: 'default' });
  });

  it('several exported actor classes without a default or bridge is an error naming them', () => {
    expect(() => find(`export ${actorClass('A')}\nexport ${actorClass('B', 'Server<{}>')}`)).toThrow(/several PlexSpacesActor subclasses \(A, B\)/);
  });

  it('a default export that is a plain class, with no actor class beside it, is refused', () => {
    expect(() => find('export default class Helper {}')).toThrow('the default export Helper is not a PlexSpacesActor subclass');
    expect(() => find('export default class {}')).toThrow('the default export (an anonymous class) is not a PlexSpacesActor subclass');
  });
});
