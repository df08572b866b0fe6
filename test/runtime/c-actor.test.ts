import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';

const wasmPath = join(import.meta.dirname, '../../dist/wasm/c-vector-sum.wasm');
const clangTargetsWasm = (() => {
  const probe = spawnSync(process.env.CLANG ?? 'clang', ['--target=wasm32', '-print-targets'], { encoding: 'utf8' });
  return probe.status === 0 && /wasm32/.test(probe.stdout);
})();
let runtime: ActorRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('a C actor built with clang (SIMD)', () => {
  it('is built exactly when clang can target wasm32 (the build says why it skipped otherwise)', () => {
    expect(existsSync(wasmPath)).toBe(clangTargetsWasm);
  });

  it('runs and agrees with a float64 sum', async () => {
    // CI installs clang; on a machine without it the previous test checks the clean skip.
    if (!clangTargetsWasm) return;
    runtime = new ActorRuntime({ workers: 1 });
    await runtime.deploy('vector-sum', new Uint8Array(readFileSync(wasmPath)));
    const id = await runtime.spawn('vector-sum');
    const values = Float32Array.from({ length: 4099 }, (_, i) => Math.sin(i) + 1);
    const expected = values.reduce((a, b) => a + b, 0);
    const reply = await runtime.ask(id, 'sum', new Uint8Array(values.buffer));
    const got = new Float32Array(reply.slice().buffer)[0];
    expect(Math.abs(got - expected) / expected).toBeLessThan(1e-5);
    const mean = new Float32Array((await runtime.ask(id, 'mean', new Uint8Array(values.buffer))).slice().buffer)[0];
    expect(mean).toBeCloseTo(expected / values.length, 4);
    await expect(runtime.ask(id, 'sum', new Uint8Array(3))).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_FAILED' });
  });
});
