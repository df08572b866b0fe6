import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRust } from '../../src/polyglot/build-native.js';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { testReadme } from '../support/readme-commands.js';

/**
 * The article's #![no_std] Rust calculator (examples/polyglot/rust/calculator), built from source
 * with cargo: its README's commands on a real node, then its state through the runtime, which
 * runs it on the handle_message ABI (init / handle_message / get_state, no allocator export).
 */
testReadme('calculator', { examplesDir: 'examples/polyglot/rust', timeoutMs: 180_000 });

const text = new TextEncoder();
const crate = join(import.meta.dirname, '../../examples/polyglot/rust/calculator');
let runtime: ActorRuntime;

beforeAll(async () => {
  runtime = new ActorRuntime({ workers: 1 });
  await runtime.deploy('calculator', buildRust(crate));
}, 180_000);

afterAll(async () => {
  await runtime?.close();
});

async function state(actor: string): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await runtime.getState(actor)));
}

const calculate = (operation: string, operands: number[]) => text.encode(JSON.stringify({ operation, operands }));

describe('the handle_message ABI, on the article’s calculator', () => {
  it('starts from an empty state (init with no bytes), answers every message with an empty reply, and counts what it computed', async () => {
    const actor = await runtime.spawn('calculator');
    expect(await state(actor)).toEqual({ calculation_count: 0, last_result: null });
    expect((await runtime.ask(actor, 'calculate', calculate('Add', [2, 3]))).byteLength).toBe(0);
    expect(await state(actor)).toEqual({ calculation_count: 1, last_result: 5 });
    await runtime.ask(actor, 'calculate', calculate('Divide', [7, 2]));
    expect(await state(actor)).toEqual({ calculation_count: 2, last_result: 3.5 });
  });

  it('leaves the state alone for a division by zero, a payload that is not a request, and an unknown type', async () => {
    const actor = await runtime.spawn('calculator');
    await runtime.ask(actor, 'calculate', calculate('Multiply', [6, 7]));
    await runtime.ask(actor, 'calculate', calculate('Divide', [1, 0]));
    await runtime.ask(actor, 'calculate', text.encode('{"operation": "Modulo", "operands": [1, 2]}'));
    await runtime.ask(actor, 'reset', text.encode('{}'));
    expect(await state(actor)).toEqual({ calculation_count: 1, last_result: 42 });
  });

  it('spawns from a persisted state (init with bytes) and restores a snapshot through init', async () => {
    const actor = await runtime.spawn('calculator', { config: '{"calculation_count": 41, "last_result": 1.5}' });
    await runtime.ask(actor, 'calculate', calculate('Subtract', [10, 4]));
    expect(await state(actor)).toEqual({ calculation_count: 42, last_result: 6 });
    await runtime.setState(actor, text.encode('{"calculation_count": 7, "last_result": null}'));
    expect(await state(actor)).toEqual({ calculation_count: 7, last_result: null });
  });

  it('fails a spawn whose state init refuses (-1) with PLEX_ERR_ACTOR_FAILED', async () => {
    await expect(runtime.spawn('calculator', { config: 'not json' })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_FAILED', message: expect.stringMatching(/init returned -1/) });
  });

  it('handles thousands of messages, and one larger than its input pages', async () => {
    const actor = await runtime.spawn('calculator');
    for (let i = 0; i < 3000; i++) await runtime.ask(actor, 'calculate', calculate('Add', [i, 1]));
    expect(await state(actor)).toEqual({ calculation_count: 3000, last_result: 3000 });
    // A message larger than the input pages gets new ones; the calculator still works after.
    await runtime.ask(actor, 'calculate', text.encode(JSON.stringify({ operation: 'Add', operands: [1, 2, ...Array.from({ length: 20_000 }, () => 0)] })));
    expect(await state(actor)).toEqual({ calculation_count: 3001, last_result: 3 });
  });
});
