import { afterEach, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { builtActor } from '../support/wasm-fixtures.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
let runtime: ActorRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('ActorRuntime with core-module actors', () => {
  it('spawns, asks and tells; messages to one actor are handled in order and state persists', async () => {
    runtime = new ActorRuntime({ workers: 2 });
    await runtime.deploy('counter', builtActor('counter'));
    const id = await runtime.spawn('counter', { config: '10' });
    for (let i = 0; i < 100; i++) runtime.tell(id, 'inc', '1');
    expect(text(await runtime.ask(id, 'get'))).toBe('110');
    expect(text(await runtime.ask(id, 'inc', '5'))).toBe('115');
    expect(text(await runtime.getState(id))).toBe('115');
  });

  it('places actors on the least-loaded worker and reports placement and queue depths', async () => {
    runtime = new ActorRuntime({ workers: 2 });
    await runtime.deploy('counter', builtActor('counter'));
    const ids = await Promise.all([0, 1, 2, 3].map((i) => runtime!.spawn('counter', { id: `c${i}` })));
    const workers = runtime.placement().map((p) => p.worker);
    expect(workers.filter((w) => w === 0)).toHaveLength(2);
    expect(workers.filter((w) => w === 1)).toHaveLength(2);
    expect(runtime.workerStats().map((s) => s.actors)).toEqual([2, 2]);
    const pinned = await runtime.spawn('counter', { worker: 1 });
    expect(runtime.placement().find((p) => p.actorId === pinned)!.worker).toBe(1);
    await runtime.stop(ids[0]);
    expect(runtime.has(ids[0])).toBe(false);
    await expect(runtime.ask(ids[0], 'get')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_NOT_FOUND' });
  });

  it('counts each actor\'s handled messages and reports its memory, from every worker', async () => {
    runtime = new ActorRuntime({ workers: 2 });
    await runtime.deploy('counter', builtActor('counter'));
    const [busy, idle] = await Promise.all([runtime.spawn('counter', { worker: 0 }), runtime.spawn('counter', { worker: 1 })]);
    for (let i = 0; i < 40; i++) runtime.tell(busy, 'inc', '1');
    expect(text(await runtime.ask(busy, 'get'))).toBe('40');
    await runtime.ask(idle, 'get');
    const stats = await runtime.actorStats();
    // Tells and asks alike; plex_init is not a message.
    expect(stats.get(busy)).toEqual({ handled: 41, memoryBytes: expect.any(Number) });
    expect(stats.get(idle)?.handled).toBe(1);
    expect(stats.get(busy)!.memoryBytes).toBeGreaterThanOrEqual(65536);
    await runtime.stop(busy);
    expect([...(await runtime.actorStats()).keys()]).toEqual([idle]);
  });

  it('runs a SIMD (v128) actor and checks its result against plain JS', async () => {
    runtime = new ActorRuntime({ workers: 1 });
    await runtime.deploy('simd', builtActor('simd-dot'));
    const id = await runtime.spawn('simd');
    const n = 1003;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 2);
    const payload = new Uint8Array(8 * n);
    new Float32Array(payload.buffer).set(x, 0);
    new Float32Array(payload.buffer).set(y, n);
    const reply = await runtime.ask(id, 'dot', payload);
    const got = new Float32Array(reply.slice().buffer)[0];
    let expected = 0;
    for (let i = 0; i < n; i++) expected += x[i] * y[i];
    expect(Math.abs(got - expected) / Math.abs(expected)).toBeLessThan(1e-4);

    const saxpy = new Float32Array(1 + 2 * n);
    saxpy[0] = 3;
    saxpy.set(x, 1);
    saxpy.set(y, 1 + n);
    const out = new Float32Array((await runtime.ask(id, 'saxpy', new Uint8Array(saxpy.buffer))).slice().buffer);
    expect(out).toHaveLength(n);
    for (let i = 0; i < n; i += 97) expect(out[i]).toBeCloseTo(3 * x[i] + y[i], 5);
  });

  it('serves tuple-space host calls from inside WASM, synchronously', async () => {
    runtime = new ActorRuntime({ workers: 2 });
    await runtime.deploy('space-user', builtActor('space-user'));
    const id = await runtime.spawn('space-user');
    expect(text(await runtime.ask(id, 'put', '["order", 7, "pending"]'))).toBe('');
    expect(await runtime.space.tryRead(['order', 7, 'pending'])).toEqual(['order', 7, 'pending']);
    expect(text(await runtime.ask(id, 'get', '["order", null, "pending"]'))).toBe('["order",7,"pending"]');
    expect(text(await runtime.ask(id, 'get', '["nothing"]'))).toBe('');
    expect(text(await runtime.ask(id, 'put', '[]'))).toBe('ERROR');
    expect(await runtime.space.count([null])).toBe(0);
  });

  it('a blocking take inside an actor blocks its worker, not the main thread', async () => {
    runtime = new ActorRuntime({ workers: 2 });
    await runtime.deploy('space-user', builtActor('space-user'));
    await runtime.deploy('counter', builtActor('counter'));
    const taker = await runtime.spawn('space-user', { worker: 0 });
    const other = await runtime.spawn('counter', { worker: 1 });
    const taken = runtime.ask(taker, 'take', '["result", null]\n10000');
    // The main thread is free: it serves other workers and its own space.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    expect(text(await runtime.ask(other, 'inc', '2'))).toBe('2');
    await new Promise((r) => setTimeout(r, 20));
    await runtime.space.write(['result', 42]);
    expect(text(await taken)).toBe('["result",42]');
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it('rejects asks on timeout and abort without losing the actor', async () => {
    runtime = new ActorRuntime({ workers: 1 });
    await runtime.deploy('space-user', builtActor('space-user'));
    const id = await runtime.spawn('space-user');
    await expect(runtime.ask(id, 'take', '["never"]\n300', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'PLEX_ERR_ASK_TIMEOUT' });
    const controller = new AbortController();
    const aborted = runtime.ask(id, 'take', '["never"]\n300', { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(text(await runtime.ask(id, 'get', '["never"]'))).toBe('');
  });
});

describe('stateless tasks', () => {
  it('runTask spreads work over the workers and survives a crashing task', async () => {
    runtime = new ActorRuntime({ workers: 2 });
    await runtime.deploy('simd', builtActor('simd-dot'));
    await runtime.deploy('bad', builtActor('misbehaving'));
    const n = 64;
    const payload = new Float32Array(2 * n).fill(1);
    const results = await Promise.all(Array.from({ length: 200 }, () => runtime!.runTask('simd', 'dot', new Uint8Array(payload.buffer))));
    for (const r of results) expect(new Float32Array(r.slice().buffer)[0]).toBe(n);
    expect(new Set(runtime.placement().map((p) => p.worker))).toEqual(new Set([0, 1]));
    // A task that traps takes its pooled instance down; the next task gets a fresh one.
    await expect(runtime.runTask('bad', 'trap')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TRAPPED' });
    expect(text(await runtime.runTask('bad', 'echo', 'ok'))).toBe('ok');
    await expect(runtime.spawn('bad', { id: '$task:bad@0' })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
  });
});
