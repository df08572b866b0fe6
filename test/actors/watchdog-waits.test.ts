import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { text } from './support.js';

let system: ActorSystem;
beforeAll(async () => {
  // A budget of a second, and a wait well past it: the brief work after the wait must fit the budget
  // even on a loaded 2-core CI machine (the SDK's JS runs in an interpreter inside the component).
  system = new ActorSystem({ runtime: new ActorRuntime({ workers: 2, watchdogMs: 1000 }) });
  await system.runtime.deploy('patient', (await buildActor(join(import.meta.dirname, '../fixtures/sdk/patient.ts'))).component);
}, 60_000);
afterAll(async () => {
  await system?.close();
  await system?.runtime.close();
});

describe('the watchdog counts computing, not waiting on the host', () => {
  it('a handler that waits longer than its budget for a lock and then computes briefly lives on', async () => {
    const holder = await system.spawn('patient');
    const waiter = await system.spawn('patient');
    expect(JSON.parse(text(await system.ask(holder, 'hold'))).grant).not.toBeNull();
    const reply = JSON.parse(text(await system.ask(waiter, 'wait-then-work', JSON.stringify({ waitMs: 2500, work: 100_000 }), { timeoutMs: 10_000 })));
    expect(reply).toEqual({ got: false, done: 1 });
    expect(system.runtime.has(waiter)).toBe(true);
  });

  it('a handler that computes past its budget is still stopped', async () => {
    const id = await system.spawn('patient');
    await expect(system.ask(id, 'wait-then-work', JSON.stringify({ waitMs: 0, work: 1_000_000_000 }), { timeoutMs: 20_000 })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TIMEOUT' });
  });
});
