import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { eventually, text } from './support.js';

const fixture = (name: string) => join(import.meta.dirname, '../fixtures/sdk', name);
const json = async (p: Promise<Uint8Array>) => JSON.parse(text(await p));
let system: ActorSystem;

beforeAll(async () => {
  // A generous watchdog: the workflow's steps are deliberately long, and a loaded CI machine must not make them crash.
  system = new ActorSystem({ runtime: new ActorRuntime({ workers: 2, watchdogMs: 10_000 }) });
  for (const [name, file] of [
    ['workflow', 'order-workflow.ts'],
    ['fsm', 'door-fsm.ts'],
    ['kv-server', 'kv-server.ts'],
    ['audit', 'audit-events.ts'],
  ]) {
    await system.runtime.deploy(name, (await buildActor(fixture(file))).component);
  }
}, 120_000);
afterAll(async () => {
  await system?.close();
  await system?.runtime.close();
});

describe('behaviours of the actor SDK', () => {
  it('GenServer: calls answer, casts do not, exit/down/timer messages reach handleInfo', async () => {
    const id = await system.spawn('kv-server', { trapExits: true });
    expect(await json(system.ask(id, 'put', JSON.stringify({ key: 'a', value: 5 })))).toEqual({ ok: true });
    system.tell(id, 'bump', JSON.stringify({ key: 'a' }));
    system.tell(id, 'bump', JSON.stringify({ key: 'b' }));
    expect(await json(system.ask(id, 'get', JSON.stringify({ key: 'a' })))).toEqual({ value: 6 });
    const other = await system.spawn('kv-server');
    system.link(id, other);
    await system.kill(other, 'test');
    system.timers.sendAfter(id, 1, 'tick', new TextEncoder().encode('{}'));
    await eventually(async () => (await json(system.ask(id, 'infos'))).infos.length === 2);
    expect(await json(system.ask(id, 'infos'))).toEqual({ infos: [`exit<-${other}`, 'tick<-timer'], casts: 2 });
    expect((await json(system.ask(id, 'nonsense'))).error).toMatch(/unknown call nonsense/);
  });

  it('event handler: every listener of the event runs; one failing does not stop the others', async () => {
    const id = await system.spawn('audit');
    expect(await json(system.ask(id, 'order', JSON.stringify({ id: 'o1' })))).toEqual({ handled: 3 });
    expect(await json(system.ask(id, 'order', JSON.stringify({ id: 'bad' })))).toEqual({ handled: 2, failures: ['bad order'] });
    expect(await json(system.ask(id, 'refund', '{}'))).toEqual({ handled: 1 });
    expect(JSON.parse(text(await system.runtime.getState(id))).seen).toEqual(['count:o1', 'check:o1', 'any:order', 'count:bad', 'any:order', 'any:refund']);
  });

  it('FSM: per-state handlers and transitions; a message the state does not handle changes nothing', async () => {
    const id = await system.spawn('fsm');
    expect(await json(system.ask(id, 'close'))).toMatchObject({ error: expect.stringMatching(/not handled in state "locked"/) });
    expect(await json(system.ask(id, 'unlock', JSON.stringify({ code: '0000' })))).toEqual({ opened: false, attempts: 1 });
    expect(await json(system.ask(id, 'unlock', JSON.stringify({ code: '1234' })))).toEqual({ opened: true });
    expect(await json(system.ask(id, 'close'))).toEqual({ state: 'closed' });
    expect(await json(system.ask(id, 'lock'))).toEqual({ state: 'locked' });
    expect(await json(system.ask(id, 'state'))).toEqual({ state: 'locked', data: { code: '1234', attempts: 1 } });
  });

  it('workflow: run is exclusive; queries answer and signals apply while it runs; it completes its steps once', async () => {
    const id = await system.spawn('workflow', { id: 'order-7' });
    expect(await json(system.ask(id, 'run', JSON.stringify({ orderId: 'o-7', work: 3_000_000 })))).toEqual({ status: 'running' });
    expect((await json(system.ask(id, 'run', JSON.stringify({ orderId: 'again' })))).error).toMatch(/already running/);
    // A signal and a query sent while a step runs are answered between steps, before the workflow ends.
    const [signal, midway] = await Promise.all([json(system.ask(id, 'signal:priority', JSON.stringify({ level: 'high' }))), json(system.ask(id, 'query:status'))]);
    expect(signal).toEqual({ status: 'running' });
    expect(midway).toMatchObject({ status: 'running', steps: 3 });
    expect(midway.step).toBeLessThan(3);
    await eventually(async () => (await json(system.ask(id, 'query:status'))).status === 'completed', 20_000);
    const final = await json(system.ask(id, 'query:status'));
    expect(final.data).toMatchObject({ orderId: 'o-7', priority: 'high', stepsCompleted: ['validation', 'payment', 'shipment'] });
    expect(await json(system.ask(id, 'query:steps'))).toEqual({ steps: ['validation', 'payment', 'shipment'] });
    expect(await system.runtime.space.readAll(['shipped', null])).toEqual([['shipped', 'o-7']]);
  });
});
