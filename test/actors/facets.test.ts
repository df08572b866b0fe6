import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/actors/actor-system.js';
import { FacetRejectedError } from '../../src/errors.js';
import { Supervisor } from '../../src/actors/supervisor.js';
import { eventually, HostOp, probeCall, systemWithProbe, text } from './support.js';

const scope = { tenant: 'default', namespace: 'default' };
let system: ActorSystem;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plex-facets-'));
  system = await systemWithProbe({ dataDir: dir });
}, 60_000);
afterAll(async () => {
  await system?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('facets', () => {
  it('run in priority order around every message, also for sends from other actors; a facet can refuse a message', async () => {
    const trace: string[] = [];
    for (const [name, priority] of [['guard', 1000], ['audit', 50]] as const) {
      system.registerFacet({
        name,
        priority,
        create: () => ({
          async handle(envelope, next) {
            trace.push(`${name}>${envelope.type}`);
            if (name === 'guard' && envelope.type === 'forbidden') throw new FacetRejectedError('guard', 'not allowed');
            const reply = await next();
            trace.push(`${name}<${envelope.type}`);
            return reply;
          },
        }),
      });
    }
    const id = await system.spawn('probe', { facets: ['audit', 'metrics', 'guard'] });
    expect(text(await system.ask(id, 'inc'))).toBe('1');
    expect(trace).toEqual(['guard>inc', 'audit>inc', 'audit<inc', 'guard<inc']);
    await expect(system.ask(id, 'forbidden')).rejects.toMatchObject({ code: 'PLEX_ERR_FACET_REJECTED' });
    expect(text(await system.ask(id, 'get'))).toBe('1');
    // A send from another actor (even on the same worker) passes the facets too.
    const sender = await system.spawn('probe', { worker: system.runtime.placement().find((p) => p.actorId === id)!.worker });
    trace.length = 0;
    await probeCall(system, sender, 5, `${id}\ninc\n`);
    await eventually(() => trace.length === 4);
    expect(trace).toEqual(['guard>inc', 'audit>inc', 'audit<inc', 'guard<inc']);
    expect(text(await system.ask(id, 'get'))).toBe('2');
    // The refused message never got past the guard, so the metrics facet inside it did not count it.
    expect(system.actorMetrics(id)).toMatchObject({ messages: 4, failures: 0 });
  });

  it('unknown and duplicate facets are refused before anything starts', async () => {
    const before = system.runtime.placement().length;
    await expect(system.spawn('probe', { facets: ['nope'] })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(system.spawn('probe', { facets: ['metrics', 'metrics'] })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(system.spawn('probe', { facets: [{ name: 'durability', checkpointEvery: 0 }] })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(system.runtime.placement().length).toBe(before);
  });

  it('timer facet ticks while the actor runs', async () => {
    const id = await system.spawn('probe', { facets: [{ name: 'timer', everyMs: 10, type: 'beat' }] });
    await eventually(async () => (text(await system.ask(id, 'log')).match(/beat/g)?.length ?? 0) >= 3);
    await system.stop(id);
    expect(system.timers.pendingTimers(id)).toBe(0);
  });
});

describe('durability facet', () => {
  it('a restarted durable actor recovers its state from checkpoint + journal; the message it crashed on is not replayed', async () => {
    const sup = await Supervisor.start(system, 'durable-sup', {
      maxRestarts: 5,
      children: [{ id: 'durable-counter', module: 'probe', facets: [{ name: 'durability', checkpointEvery: 4 }] }],
    });
    for (let i = 0; i < 10; i++) await system.ask('durable-counter', 'inc');
    await expect(system.ask('durable-counter', 'crash')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TRAPPED' });
    await sup.idle();
    await eventually(() => system.runtime.has('durable-counter'));
    expect(text(await system.ask('durable-counter', 'get'))).toBe('10');
    const checkpoint = await system.journal.latestCheckpoint('durable-counter');
    expect(checkpoint?.seq).toBeGreaterThanOrEqual(8);
    // The journal only holds what the checkpoint does not cover.
    expect((await system.journal.entriesAfter('durable-counter', 0)).every((e) => e.seq > checkpoint!.seq)).toBe(true);
    await system.ask('durable-counter', 'inc');
    // A supervisor's shutdown checkpoints durable children: nothing is left to replay.
    await sup.stop();
    const last = (await system.journal.latestCheckpoint('durable-counter'))!;
    expect(await system.journal.entriesAfter('durable-counter', last.seq)).toEqual([]);
    expect(text(last.state)).toBe('11');
  });

  it('replay serves recorded side effects instead of repeating them', async () => {
    const id = await system.spawn('probe', { id: 'durable-effects', facets: [{ name: 'durability', checkpointEvery: 1000 }] });
    expect(await probeCall(system, id, HostOp.KvPut, 'effect\n\nfrom the actor')).toBe('ok');
    const now = Number(await probeCall(system, id, HostOp.NowMs, ''));
    expect(Math.abs(now - Date.now())).toBeLessThan(5000);
    await system.ask(id, 'inc');
    await system.coordination.kv.put(scope, 'effect', 'changed later by someone else');
    await system.ask(id, 'crash').catch(() => undefined);
    await system.spawn('probe', { id: 'durable-effects', facets: [{ name: 'durability', checkpointEvery: 1000 }] });
    expect(text(await system.ask(id, 'get'))).toBe('1');
    // Had the replay run kv-put again, the later value would be overwritten.
    expect(await system.coordination.kv.get(scope, 'effect')).toBe('changed later by someone else');
  });
});

describe('virtual actors', () => {
  it('activate on the first message, deactivate when idle, and come back with their state', async () => {
    system.defineVirtual('cart', { module: 'probe', facets: [{ name: 'virtual', idleMs: 80 }] });
    expect(system.runtime.has('cart:42')).toBe(false);
    expect(text(await system.ask('cart:42', 'inc'))).toBe('1');
    expect(text(await system.ask('cart:42', 'inc'))).toBe('2');
    expect(system.runtime.has('cart:42')).toBe(true);
    await eventually(() => !system.runtime.has('cart:42'), 3000);
    expect(text(await system.ask('cart:42', 'inc'))).toBe('3');
    expect(text(await system.ask('cart:7', 'get'))).toBe('0'); // another key, another actor
    await expect(system.ask('nokind:1', 'get')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_NOT_FOUND' });
  });

  it('a virtual durable actor reactivates from its checkpoint', async () => {
    system.defineVirtual('account', { module: 'probe', facets: ['durability', { name: 'virtual', idleMs: 60 }] });
    await Promise.all([system.ask('account:a', 'inc'), system.ask('account:a', 'inc'), system.ask('account:a', 'inc')]);
    await eventually(() => !system.runtime.has('account:a'), 3000);
    expect(await system.journal.latestCheckpoint('account:a')).toBeDefined();
    expect(text(await system.ask('account:a', 'get'))).toBe('3');
  });
});
