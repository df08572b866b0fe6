import { afterEach, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import type { CrashReport } from '../../src/runtime/actor-runtime-types.js';
import { builtActor } from '../support/wasm-fixtures.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
let runtime: ActorRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

async function setup(options: { watchdogMs?: number; maxMemoryMb?: number } = {}) {
  runtime = new ActorRuntime({ workers: 1, watchdogMs: options.watchdogMs ?? 200 });
  await runtime.deploy('bad', builtActor('misbehaving'), { maxMemoryMb: options.maxMemoryMb ?? 16 });
  await runtime.deploy('counter', builtActor('counter'));
  // Everything on the one worker: the victim's neighbour shares its thread.
  const victim = await runtime.spawn('bad', { id: 'victim' });
  const neighbour = await runtime.spawn('counter', { id: 'neighbour', config: '5' });
  const crashes: CrashReport[] = [];
  runtime.onCrash((report) => crashes.push(report));
  return { runtime, victim, neighbour, crashes };
}

describe('isolation: a failing actor takes down only itself', () => {
  it('a trap kills the actor with PLEX_ERR_ACTOR_TRAPPED; its neighbour keeps its state', async () => {
    const { runtime, victim, neighbour, crashes } = await setup();
    expect(text(await runtime.ask(victim, 'echo', 'hi'))).toBe('hi');
    await expect(runtime.ask(victim, 'trap')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TRAPPED', actorId: 'victim' });
    expect(crashes.map((c) => [c.actorId, c.error.code])).toEqual([['victim', 'PLEX_ERR_ACTOR_TRAPPED']]);
    expect(runtime.has(victim)).toBe(false);
    expect(text(await runtime.ask(neighbour, 'inc', '1'))).toBe('6');
  });

  it('a runaway loop is stopped by the watchdog with PLEX_ERR_ACTOR_TIMEOUT, without stopping the worker', async () => {
    const { runtime, victim, neighbour, crashes } = await setup({ watchdogMs: 100 });
    runtime.tell(neighbour, 'inc', '1');
    const started = performance.now();
    await expect(runtime.ask(victim, 'spin', '', { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(crashes[0]?.error.code).toBe('PLEX_ERR_ACTOR_TIMEOUT');
    expect(text(await runtime.ask(neighbour, 'get'))).toBe('6');
    // The worker still takes new actors.
    const fresh = await runtime.spawn('bad');
    expect(text(await runtime.ask(fresh, 'echo', 'still here'))).toBe('still here');
  });

  it('a memory bomb hits its cap and dies with PLEX_ERR_ACTOR_MEMORY_LIMIT', async () => {
    const { runtime, victim, neighbour } = await setup({ maxMemoryMb: 8 });
    const before = process.memoryUsage().rss;
    await expect(runtime.ask(victim, 'bomb')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_MEMORY_LIMIT' });
    // The cap held: the process did not take gigabytes.
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20);
    expect(text(await runtime.ask(neighbour, 'get'))).toBe('5');
  });

  it('pending messages to a crashed actor fail cleanly, later ones say it is gone', async () => {
    const { runtime, victim } = await setup();
    const crash = runtime.ask(victim, 'trap');
    const after = runtime.ask(victim, 'echo', 'x');
    await expect(crash).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TRAPPED' });
    await expect(after).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_NOT_FOUND' });
    expect(() => runtime.tell(victim, 'echo')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_ACTOR_NOT_FOUND' }));
  });
});

describe('deploy-time validation', () => {
  it.each([
    ['not WASM', new TextEncoder().encode('hello, not wasm'), /not a WebAssembly binary/],
    ['a truncated module', builtActor('counter').slice(0, 40), /does not compile/],
    ['a component', Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), /component/],
  ])('rejects %s with PLEX_ERR_INVALID_MODULE', async (_what, bytes, message) => {
    runtime = new ActorRuntime({ workers: 1 });
    const error = await runtime.deploy('x', bytes).catch((e) => e);
    expect(error).toMatchObject({ code: 'PLEX_ERR_INVALID_MODULE' });
    expect(error.message).toMatch(message);
  });

  it('names the missing exports and the imports the host does not provide', async () => {
    runtime = new ActorRuntime({ workers: 1 });
    // (module (func (export "plex_alloc") (param i32) (result i32) local.get 0) (memory (export "memory") 1))
    const noHandle = wat(`(module (memory (export "memory") 1) (func (export "plex_alloc") (param i32) (result i32) local.get 0))`);
    await expect(runtime.deploy('a', await noHandle)).rejects.toThrow(/missing required exports plex_handle, plex_reply_ptr/);
    // WASI preview 1 is provided (wasi-preview1.ts); its pre-standard name wasi_unstable is not, nor a name outside preview 1.
    const foreignImport = wat(`(module (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "thread_spawn" (func (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "plex_alloc") (param i32) (result i32) i32.const 0)
      (func (export "plex_handle") (param i32 i32 i32 i32) (result i32) i32.const 0)
      (func (export "plex_reply_ptr") (result i32) i32.const 0))`);
    await expect(runtime.deploy('b', await foreignImport)).rejects.toThrow(/imports the host does not provide: wasi_unstable.fd_write, wasi_snapshot_preview1.thread_spawn/);
    await expect(runtime.spawn('a')).rejects.toMatchObject({ code: 'PLEX_ERR_MODULE_NOT_FOUND' });
  });

  it('rejects a module whose initial memory is over the cap', async () => {
    runtime = new ActorRuntime({ workers: 1 });
    const big = await wat(`(module (memory (export "memory") 200)
      (func (export "plex_alloc") (param i32) (result i32) i32.const 0)
      (func (export "plex_handle") (param i32 i32 i32 i32) (result i32) i32.const 0)
      (func (export "plex_reply_ptr") (result i32) i32.const 0))`);
    await expect(runtime.deploy('big', big, { maxMemoryMb: 4 })).rejects.toThrow(/needs 200 memory pages at start; the limit is 64/);
  });
});

async function wat(source: string): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const module = wabt.parseWat('test.wat', source);
  const { buffer } = module.toBinary({});
  module.destroy();
  return buffer;
}
