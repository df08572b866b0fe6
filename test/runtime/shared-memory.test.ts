import { afterEach, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { any } from '../../src/tuple/types.js';
import { builtActor } from '../support/wasm-fixtures.js';

let runtime: ActorRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

function task(offset: number, count: number, factor: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, offset, true);
  view.setUint32(4, count, true);
  view.setFloat32(8, factor, true);
  return bytes;
}

describe('zero-copy data on a shared WebAssembly.Memory', () => {
  it('kernels on two workers update one shared array in place; tasks in the space carry only indices', async () => {
    runtime = new ActorRuntime({ workers: 2 });
    await runtime.deploy('scale', builtActor('shared-scale'));
    const n = 64 * 1024; // 256 KiB of float32, written once by the main thread
    const memory = new WebAssembly.Memory({ initial: 8, maximum: 1024, shared: true });
    const data = new Float32Array(memory.buffer, 0, n);
    for (let i = 0; i < n; i++) data[i] = i % 100;
    runtime.shareMemory('matrix', memory);
    const workers = await Promise.all([0, 1].map((w) => runtime!.spawn('scale', { worker: w, memory: 'matrix' })));

    // A bag of tasks: tuples of (offset, count), never the data itself.
    const tile = 4096;
    for (let start = 0; start < n; start += tile) await runtime.space.write(['tile', 'matrix', start * 4, tile]);
    const checksums: number[] = [];
    await Promise.all(
      workers.map(async (actor) => {
        for (;;) {
          const t = await runtime!.space.tryTake(['tile', 'matrix', any, any]);
          if (t === null) return;
          const reply = await runtime!.ask(actor, 'scale', task(t[2] as number, t[3] as number, 2));
          checksums.push(new Float32Array(reply.slice().buffer)[0]);
        }
      }),
    );
    expect(checksums).toHaveLength(n / tile);
    // The main thread sees the kernels' writes through its own view: nothing was copied back.
    const view = new Float32Array(memory.buffer, 0, n);
    for (let i = 0; i < n; i += 997) expect(view[i]).toBe((i % 100) * 2);
    const expectedTotal = Array.from({ length: n }, (_, i) => (i % 100) * 2).reduce((a, b) => a + b, 0);
    expect(checksums.reduce((a, b) => a + b, 0)).toBeCloseTo(expectedTotal, -2);
    // Each instance got its own message slot above the data.
    expect(memory.buffer.byteLength).toBe((8 + 2) * 65536);
  });

  it('an actor spawned on a memory the host grew after sharing it reads its first message (the worker catches up with the growth)', async () => {
    // Sharing a memory ships it to the worker; the spawn then grows it by the actor's slot. V8 tells the
    // worker of that growth lazily, and the first message, written into the new slot, once failed there
    // ("offset is out of bounds") about once in 150 spawns. A fresh memory each time races afresh.
    runtime = new ActorRuntime({ workers: 1 });
    await runtime.deploy('scale', builtActor('shared-scale'));
    for (let i = 0; i < 1000; i++) {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
      new Float32Array(memory.buffer, 0, 4).set([1, 2, 3, 4]);
      runtime.shareMemory(`m${i}`, memory);
      const actor = await runtime.spawn('scale', { memory: `m${i}` });
      const reply = await runtime.ask(actor, 'scale', task(0, 4, 2));
      expect(new Float32Array(reply.slice().buffer)[0]).toBe(20);
      await runtime.stop(actor);
    }
  }, 60_000);

  it('refuses shared memory for a module that cannot use it, and unknown memories', async () => {
    runtime = new ActorRuntime({ workers: 1 });
    await runtime.deploy('counter', builtActor('counter'));
    runtime.shareMemory('m', new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true }));
    await expect(runtime.spawn('counter', { memory: 'm' })).rejects.toThrow(/does not import a shared env.memory/);
    await expect(runtime.spawn('counter', { memory: 'nope' })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(() => runtime!.shareMemory('plain', new WebAssembly.Memory({ initial: 1 }))).toThrow(/shared WebAssembly.Memory/);
  });
});
