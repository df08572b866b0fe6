import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/actors/actor-system.js';
import { eventually, probeLog, systemWithProbe } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'plex-reminders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const boot = (): Promise<ActorSystem> => systemWithProbe({ workers: 1, dataDir: dir });

describe('durable reminders', () => {
  it('survive a restart of the node: one due while it was down fires when its actor is back; a periodic one keeps its schedule', async () => {
    let system = await boot();
    await system.spawn('probe', { id: 'sleeper' });
    await system.timers.remind('sleeper', 'wake-up', { delayMs: 150, type: 'wake', payload: '{"why":"reminder"}' });
    await system.timers.remind('sleeper', 'heartbeat', { periodMs: 100, type: 'beat' });
    await system.timers.remind('sleeper', 'cancelled', { delayMs: 50, type: 'never' });
    expect(await system.timers.cancelReminder('sleeper', 'cancelled')).toBe(true);
    await system.close(); // the node goes down before anything was due

    await new Promise((r) => setTimeout(r, 300)); // both come due while it is down
    system = await boot();
    expect((await system.timers.reminders('sleeper')).map((r) => r.name).sort()).toEqual(['heartbeat', 'wake-up']);
    await system.spawn('probe', { id: 'sleeper' }); // its supervisor would do this at start
    await eventually(async () => {
      const log = await probeLog(system, 'sleeper');
      return log.some(([t]) => t === 'wake') && log.filter(([t]) => t === 'beat').length >= 3;
    });
    const log = await probeLog(system, 'sleeper');
    expect(log.filter(([t]) => t === 'wake')).toEqual([['wake', '{"why":"reminder"}']]); // exactly once
    expect(log.map(([t]) => t)).not.toContain('never');
    expect((await system.timers.reminders('sleeper')).map((r) => r.name)).toEqual(['heartbeat']); // the one-shot is done
    await system.close();
  });

  it('a reminder whose actor is not running waits for it instead of being lost', async () => {
    const system = await boot();
    await system.timers.remind('late-riser', 'ping', { delayMs: 10, type: 'ping' });
    await new Promise((r) => setTimeout(r, 50));
    expect(await system.timers.reminders('late-riser')).toHaveLength(1);
    await system.spawn('probe', { id: 'late-riser' });
    await eventually(async () => (await probeLog(system, 'late-riser')).some(([t]) => t === 'ping'));
    expect(await system.timers.reminders('late-riser')).toHaveLength(0);
    await system.close();
  });
});

describe('graceful shutdown', () => {
  it('virtual actors save their state when the node stops, and come back with it', async () => {
    let system = await boot();
    system.defineVirtual('tally', { module: 'probe', facets: [{ name: 'virtual', idleMs: 600_000 }] });
    for (let i = 0; i < 3; i++) await system.ask('tally:x', 'inc');
    await system.close();
    system = await boot();
    system.defineVirtual('tally', { module: 'probe', facets: [{ name: 'virtual', idleMs: 600_000 }] });
    expect(new TextDecoder().decode(await system.ask('tally:x', 'get'))).toBe('3');
    await system.close();
  });
});
