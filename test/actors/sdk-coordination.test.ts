import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { eventually, text } from './support.js';

const json = async (p: Promise<Uint8Array>) => JSON.parse(text(await p));
let system: ActorSystem;
beforeAll(async () => {
  system = new ActorSystem({ workers: 2 });
  await system.runtime.deploy('worker', (await buildActor(join(import.meta.dirname, '../fixtures/sdk/channel-worker.ts'))).component);
  await system.runtime.deploy('plain', (await buildActor(join(import.meta.dirname, '../fixtures/sdk/bank-account.ts'))).component);
}, 120_000);
afterAll(async () => {
  await system?.close();
});

describe('the coordination interface from SDK actors (world full-actor-world)', () => {
  it('work queues: at-least-once across a consumer that dies holding a job; nack redelivers', async () => {
    const producer = await system.spawn('worker', { id: 'acme/prod/producer' });
    const a = await system.spawn('worker', { id: 'acme/prod/a' });
    const b = await system.spawn('worker', { id: 'acme/prod/b' });
    expect(await json(system.ask(producer, 'produce', JSON.stringify({ count: 3 })))).toEqual({ sent: 3 });
    expect(await json(system.ask(a, 'grab'))).toEqual({ grabbed: 0 });
    await system.kill(a); // dies holding job 0
    expect(await json(system.ask(b, 'work', JSON.stringify({ fail: true })))).toEqual({ nacked: 0, attempt: 2 });
    const done: number[] = [];
    for (;;) {
      const reply = await json(system.ask(b, 'work', '{}'));
      if (reply.idle) break;
      done.push(reply.done);
    }
    expect(done).toEqual([0, 1, 2]);
    expect(await system.coordination.channels.stats({ tenant: 'acme', namespace: 'prod' }, 'jobs')).toMatchObject({ ready: 0, inFlight: 0, acked: 3 });
  });

  it('group topics and membership, repeating timers, KV TTLs', async () => {
    const sports = await system.spawn('worker', { id: 'acme/prod/sports-fan' });
    const all = await system.spawn('worker', { id: 'acme/prod/reader' });
    expect((await json(system.ask(sports, 'subscribe', JSON.stringify({ topics: ['sports'] })))).members).toEqual([sports]);
    expect((await json(system.ask(all, 'subscribe', JSON.stringify({ topics: ['sports', 'weather'] })))).members).toEqual([sports, all]);
    expect(await json(system.ask(all, 'publish', JSON.stringify({ topic: 'weather', text: 'rain' })))).toEqual({ reached: 1 });
    expect(await json(system.ask(sports, 'publish', JSON.stringify({ topic: 'sports', text: '1-0' })))).toEqual({ reached: 2 });
    await eventually(async () => (await json(system.ask(all, 'state'))).news.length === 2);
    expect((await json(system.ask(sports, 'state'))).news).toEqual(['1-0']);

    expect((await json(system.ask(sports, 'start-ticking'))).timer).toMatch(/^timer-/);
    await eventually(async () => (await json(system.ask(sports, 'state'))).ticks === 3);
    // Cancelled from inside: ticks the timer had sent by then may still arrive (on a busy machine, a few),
    // then none — the count of late ones stops moving and stays put.
    let late = -1;
    await eventually(async () => {
      const now = (await json(system.ask(sports, 'state'))).lateTicks as number;
      const settled = now === late;
      late = now;
      if (!settled) await new Promise((r) => setTimeout(r, 100));
      return settled;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await json(system.ask(sports, 'state'))).toMatchObject({ ticks: 3, lateTicks: late });

    expect(await json(system.ask(sports, 'remember', JSON.stringify({ ttlMs: 50 })))).toEqual({ now: 'short-lived' });
    await new Promise((r) => setTimeout(r, 80));
    expect(await json(system.ask(sports, 'recall'))).toEqual({ memo: '' });
  });

  it('built for the printed worlds, an actor imports the coordination interface only when it uses it; by default it gets a platform world', async () => {
    const bank = join(import.meta.dirname, '../fixtures/sdk/bank-account.ts');
    const worker = join(import.meta.dirname, '../fixtures/sdk/channel-worker.ts');
    const { component } = await buildActor(bank, { world: 'actor-world' });
    const { component: full } = await buildActor(worker, { world: 'full-actor-world' });
    const names = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);
    expect(names(component)).toContain('plexspaces:simple-actor/host');
    expect(names(component)).not.toContain('plexspaces:simple-actor/coordination');
    expect(names(full)).toContain('plexspaces:simple-actor/coordination');
    await expect(buildActor(worker, { world: 'actor-world' })).rejects.toMatchObject({ message: expect.stringContaining('full-actor-world') });
    const auto = await buildActor(worker);
    expect(auto.world).toBe('plexspaces-actor'); // channels, groups, kv and timers: no narrow world has them all
    expect(names(auto.component)).toContain('plexspaces:platform/channels');
    expect(names(auto.component)).not.toContain('plexspaces:simple-actor/host');
  });
});
