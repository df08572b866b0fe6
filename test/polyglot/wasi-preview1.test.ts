import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import type { ActorLogEntry } from '../../src/runtime/actor-runtime-types.js';
import { buildC } from '../../src/polyglot/build-native.js';

const text = new TextDecoder();
const source = join(import.meta.dirname, '../fixtures/polyglot/wasi-libc.c');

let runtime: ActorRuntime;
const logs: ActorLogEntry[] = [];
const logWaiters: { actorId: string; count: number; resolve: (entries: ActorLogEntry[]) => void }[] = [];

/** Resolves with an actor's first `count` log lines once they arrived (logs travel apart from replies). */
function logLines(actorId: string, count: number): Promise<ActorLogEntry[]> {
  return new Promise((resolve) => {
    logWaiters.push({ actorId, count, resolve });
    checkLogWaiters();
  });
}

function checkLogWaiters(): void {
  for (const waiter of [...logWaiters]) {
    const mine = logs.filter((l) => l.actorId === waiter.actorId);
    if (mine.length >= waiter.count) {
      logWaiters.splice(logWaiters.indexOf(waiter), 1);
      waiter.resolve(mine);
    }
  }
}
const crashes: { actorId: string; code: string; message: string }[] = [];

beforeAll(async () => {
  // Built from source with clang and wasi-libc (scripts/test-prerequisites.mjs installs them).
  const wasm = buildC(source);
  runtime = new ActorRuntime({ workers: 1, watchdogMs: 500 });
  runtime.onLog((entry) => {
    logs.push(entry);
    checkLogWaiters();
  });
  runtime.onCrash((report) => crashes.push({ actorId: report.actorId, code: report.error.code, message: report.error.message }));
  await runtime.deploy('libc', wasm);
}, 60_000);

afterAll(async () => {
  await runtime?.close();
});

async function ask(actor: string, type: string, payload = ''): Promise<string> {
  return text.decode(await runtime.ask(actor, type, payload));
}

describe('WASI preview 1 for a core module built with wasi-libc', () => {
  it('runs the reactor initialisation (constructors) once per instance, at spawn', async () => {
    const a = await runtime.spawn('libc');
    const b = await runtime.spawn('libc');
    expect(await ask(a, 'constructed')).toBe('1');
    expect(await ask(a, 'constructed')).toBe('1');
    expect(await ask(b, 'constructed')).toBe('1');
  });

  it('writes stdout and stderr lines to the actor log; a line without newline is logged when the handler returns', async () => {
    const actor = await runtime.spawn('libc');
    await runtime.ask(actor, 'print');
    expect(await logLines(actor, 3)).toEqual([
      { actorId: actor, level: 1, message: 'hello from C, 42' },
      { actorId: actor, level: 2, message: 'a warning' },
      { actorId: actor, level: 1, message: 'no newline yet' },
    ]);
  });

  it('reads the wall clock and a monotonic clock', async () => {
    const actor = await runtime.spawn('libc');
    const before = Date.now();
    const [ms, ordered] = (await ask(actor, 'clock')).split(' ');
    const after = Date.now();
    expect(Number(ms)).toBeGreaterThanOrEqual(before - 1);
    expect(Number(ms)).toBeLessThanOrEqual(after + 1);
    expect(ordered).toBe('1');
  });

  it('gets random bytes from the host (getentropy), different on every call, and seeds rand()', async () => {
    const actor = await runtime.spawn('libc');
    const first = await runtime.ask(actor, 'random');
    const second = await runtime.ask(actor, 'random');
    expect(first.byteLength).toBe(32);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false);
    expect(Number(await ask(actor, 'rand'))).toBeGreaterThanOrEqual(0);
  });

  it('has no filesystem: opening a host file fails, and the environment is empty', async () => {
    const actor = await runtime.spawn('libc');
    for (const path of ['/etc/hostname', join(import.meta.dirname, 'wasi-preview1.test.ts'), 'relative.txt']) {
      expect(await ask(actor, 'fopen', path)).toMatch(/^refused: /);
    }
    expect(await ask(actor, 'args')).toBe('no HOME');
  });

  it('sleeps within the handler budget (poll_oneoff on a clock)', async () => {
    const actor = await runtime.spawn('libc');
    const started = performance.now();
    expect(await ask(actor, 'sleep', '20')).toBe('awake');
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
  });

  it('stops a sleep longer than the budget at once with PLEX_ERR_ACTOR_TIMEOUT', async () => {
    const actor = await runtime.spawn('libc');
    await expect(runtime.ask(actor, 'sleep', '60000')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TIMEOUT' });
    expect(crashes.find((c) => c.actorId === actor)?.code).toBe('PLEX_ERR_ACTOR_TIMEOUT');
  });

  it('asks and sends to another actor through the C SDK (plex_ask, plex_send)', async () => {
    const asker = await runtime.spawn('libc');
    const other = await runtime.spawn('libc');
    expect(await ask(asker, 'ask', other)).toBe('asked: 1');
    expect(await ask(asker, 'ask', 'nobody-here')).toBe('ask failed');
    expect(await ask(asker, 'send', other)).toBe('sent');
    expect((await logLines(other, 3)).map((l) => l.message)).toEqual(['hello from C, 42', 'a warning', 'no newline yet']);
  });

  it('is under the same watchdog and memory cap as any core module', async () => {
    const spinner = await runtime.spawn('libc');
    await expect(runtime.ask(spinner, 'spin')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TIMEOUT' });
    // wasi-libc's malloc asks memory.grow, which the cap (64 MiB by default) refuses: malloc returns NULL.
    const hoarder = await runtime.spawn('libc');
    const reply = await ask(hoarder, 'hoard');
    expect(reply).toMatch(/^malloc failed after \d+ MiB$/);
    expect(Number(/(\d+) MiB/.exec(reply)![1])).toBeLessThan(64);
  });

  it('turns exit(3) into a crash with PLEX_ERR_ACTOR_EXITED naming the code; the worker lives on', async () => {
    const actor = await runtime.spawn('libc');
    const other = await runtime.spawn('libc');
    const error = await runtime.ask(actor, 'exit', '3').catch((e) => e);
    expect(error).toMatchObject({ code: 'PLEX_ERR_ACTOR_EXITED' });
    expect(error.message).toMatch(/proc_exit\(3\)/);
    expect(crashes.find((c) => c.actorId === actor)).toMatchObject({ code: 'PLEX_ERR_ACTOR_EXITED' });
    await expect(runtime.ask(actor, 'constructed')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_NOT_FOUND' });
    expect(await ask(other, 'constructed')).toBe('1');
  });
});
