import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { buildComponent } from '../support/components.js';
import { builtActor } from '../support/wasm-fixtures.js';

const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
let calculator: Uint8Array;
let runtime: ActorRuntime;

beforeAll(async () => {
  calculator = await buildComponent('calculator.js');
  runtime = new ActorRuntime({ workers: 2 });
  await runtime.deploy('calculator', calculator);
  await runtime.deploy('counter', builtActor('counter'));
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

describe('component actors for plexspaces:simple-actor@0.1.0', () => {
  it('answers the seed calculator messages with JSON replies', async () => {
    const id = await runtime.spawn('calculator');
    expect(json(await runtime.ask(id, 'add', JSON.stringify({ a: 25, b: 35 })))).toEqual({ result: 60, operation: 'add' });
    expect(json(await runtime.ask(id, 'divide', JSON.stringify({ a: 1, b: 0 })))).toEqual({ error: 'Division by zero' });
    expect(json(await runtime.getState(id))).toEqual({ operations: 2 });
    expect(json(await runtime.ask(id, 'whoami'))).toEqual({ self: id, from: '' });
  });

  it('reaches the tuple space through the host interface', async () => {
    const id = await runtime.spawn('calculator');
    const reply = json(await runtime.ask(id, 'publish', JSON.stringify({ tuple: ['order', 1, 'pending'], pattern: ['order', null, 'pending'] })));
    expect(reply).toEqual({ write: '', read: '["order",1,"pending"]' });
    expect(await runtime.space.tryRead(['order', 1, 'pending'])).toEqual(['order', 1, 'pending']);
  });

  it('host functions of the coordination layer answer a clear ERROR string in a bare runtime, never a fake success', async () => {
    const id = await runtime.spawn('calculator');
    const reply = json(await runtime.ask(id, 'kv'));
    expect(reply.put).toMatch(/^ERROR PLEX_ERR_USAGE: .*needs the coordination layer/);
  });

  it('spawns and stops actors from inside an actor (the spawn answers at once; messages queue behind it)', async () => {
    const parent = await runtime.spawn('calculator');
    const reply = json(await runtime.ask(parent, 'spawn-child', JSON.stringify({ module: 'counter', id: 'child-of-calc' })));
    expect(reply.spawned).toBe('child-of-calc');
    expect(reply.again).toMatch(/^ERROR PLEX_ERR_ACTOR_EXISTS/);
    expect(new TextDecoder().decode(await runtime.ask('child-of-calc', 'inc', '3'))).toBe('3');
    const unknown = json(await runtime.ask(parent, 'spawn-child', JSON.stringify({ module: 'nope', id: 'x' })));
    expect(unknown.spawned).toMatch(/^ERROR PLEX_ERR_MODULE_NOT_FOUND/);
    expect(json(await runtime.ask(parent, 'stop-child', JSON.stringify({ id: 'child-of-calc' })))).toEqual({ stopped: 'ok' });
    expect(runtime.has('child-of-calc')).toBe(false);
    expect(json(await runtime.ask(parent, 'stop-child', JSON.stringify({ id: 'child-of-calc' }))).stopped).toMatch(/^ERROR PLEX_ERR_ACTOR_NOT_FOUND/);
  });

  it('sends to a core-module actor on another worker', async () => {
    const calc = await runtime.spawn('calculator', { worker: 0 });
    const counter = await runtime.spawn('counter', { worker: 1 });
    expect(json(await runtime.ask(calc, 'tell', JSON.stringify({ to: counter, type: 'add1', payload: {} })))).toEqual({ sent: 'ok' });
    let count = '0';
    for (let i = 0; i < 100 && count !== '1'; i++) count = new TextDecoder().decode(await runtime.ask(counter, 'get'));
    expect(count).toBe('1');
  });

  it('a throwing handler kills only that actor; init returning ERROR fails the spawn', async () => {
    const victim = await runtime.spawn('calculator', { worker: 0 });
    const neighbour = await runtime.spawn('calculator', { worker: 0 });
    await expect(runtime.ask(victim, 'crash')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TRAPPED' });
    expect(json(await runtime.ask(neighbour, 'add', JSON.stringify({ a: 1, b: 2 })))).toEqual({ result: 3, operation: 'add' });
    await expect(runtime.spawn('calculator', { config: JSON.stringify({ fail: true }) })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_FAILED' });
  });

  it('the watchdog stops a runaway component handler; the memory cap stops a component memory bomb', async () => {
    const guarded = new ActorRuntime({ workers: 1, watchdogMs: 2000 });
    try {
      await guarded.deploy('calculator', calculator, { maxMemoryMb: 24 });
      const spinner = await guarded.spawn('calculator');
      const bomber = await guarded.spawn('calculator');
      const neighbour = await guarded.spawn('calculator');
      await expect(guarded.ask(spinner, 'spin', '{}', { timeoutMs: 20_000 })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TIMEOUT' });
      await expect(guarded.ask(bomber, 'bomb', '{}', { timeoutMs: 20_000 })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_MEMORY_LIMIT' });
      expect(json(await guarded.ask(neighbour, 'add', JSON.stringify({ a: 2, b: 2 })))).toEqual({ result: 4, operation: 'add' });
    } finally {
      await guarded.close();
    }
  }, 60_000);

  it('rejects a broken component, and a valid component of another world naming what is missing', async () => {
    await expect(runtime.deploy('broken', Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 9, 9]))).rejects.toMatchObject({
      code: 'PLEX_ERR_INVALID_MODULE',
    });
    const greeter = await buildComponent('other-world/greeter.js', { wit: 'other-world/other.wit', name: 'greeter' });
    const error = await runtime.deploy('greeter', greeter).catch((e) => e);
    expect(error).toMatchObject({ code: 'PLEX_ERR_INVALID_MODULE' });
    expect(error.message).toMatch(/wrong world: .* must export plexspaces:simple-actor\/actor@0.1.0/);
    await expect(runtime.spawn('greeter')).rejects.toMatchObject({ code: 'PLEX_ERR_MODULE_NOT_FOUND' });
  }, 60_000);
});
