import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';

// Module stages: each instance is a WASM actor (a TypeScript SDK module on the
// worker pool) under its own supervisor. Crashes are injected in every stage at
// random — runaway handlers that the watchdog kills, and instances killed from
// outside mid-run — and the output must still equal the oracle, each tuple once.

let node: PlexNode;
const scope = { tenant: 'acme', namespace: 'etl' };
beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 2 });
  await node.runtime.deploy('acme:stage', (await buildActor(join(import.meta.dirname, '../fixtures/pipeline/stage.ts'))).component);
}, 120_000);
afterAll(async () => {
  await node?.stop();
});

const STAGES = 4;
/** What the four stages make of an input value: stage n maps v to 3v + n. */
const oracle = (value: number) => Array.from({ length: STAGES }, (_, i) => i + 1).reduce((v, n) => v * 3 + n, value);

describe('pipelines of module stages', () => {
  it('a four-stage pipeline with crashes injected in every stage at random ends with exactly the oracle, no duplicates', async () => {
    const total = 160;
    // Bit n of a tuple's mask: stage n's first attempt at it runs away (the watchdog traps it). At random,
    // and at least one tuple per stage, so every stage crashes.
    const masks = Array.from({ length: total }, (_, id) => {
      let mask = 0;
      for (let n = 1; n <= STAGES; n++) if (Math.random() < 0.01 || id === n * 17) mask |= 1 << n;
      return mask;
    });
    const pipeline = await node.pipelines.start(
      {
        name: 'crashy',
        stages: Array.from({ length: STAGES }, (_, i) => ({ name: `s${i + 1}`, input: [`s${i + 1}`, null, null, null], module: 'stage', instances: 2, maxBacklog: 32, maxRestarts: 50 })),
      },
      { scope, space: 'crashy' },
    );
    // And kills from outside: a random instance of a random stage every 150 ms while the data flows.
    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        await new Promise((r) => setTimeout(r, 150));
        const victim = `acme/etl/pipeline.crashy.s${1 + Math.floor(Math.random() * STAGES)}.${Math.floor(Math.random() * 2)}`;
        if (killing && node.runtime.has(victim)) {
          await node.actors.kill(victim).catch(() => undefined);
          kills++;
        }
      }
    })();
    for (let id = 0; id < total; id++) await pipeline.write(['s1', id, id, masks[id]]);
    const figures = await pipeline.drain();
    killing = false;
    await killer;
    const space = node.spaces.open({ ...scope, name: 'crashy' });
    const out = await space.readAll(['out', null, null, null]);
    const ids = out.map((t) => t[1] as number);
    expect(new Set(ids).size, 'no duplicates').toBe(ids.length);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    for (const t of out) expect(t[2], `tuple ${t[1]}`).toBe(oracle(t[1] as number));
    // Nothing stranded between stages, nothing dead-lettered.
    for (let n = 1; n <= STAGES; n++) expect(await space.count([`s${n}`, null, null, null])).toBe(0);
    expect(await space.deadLetters.count(['out', null, null, null])).toBe(0);
    expect(kills).toBeGreaterThan(0);
    for (const stage of figures.stages) {
      expect(stage.done, stage.stage).toBe(total);
      expect(stage.restarts, `${stage.stage} restarts`).toBeGreaterThan(0);
      expect(stage.failures, `${stage.stage} failures`).toBeGreaterThanOrEqual(1);
    }
  }, 180_000);

  it('an instance that crashes past its restart intensity fails the pipeline, naming the stage; its tuples go back to the space', async () => {
    const pipeline = await node.pipelines.start({ name: 'fragile', stages: [{ name: 's1', input: ['s1', null, null, null], module: 'stage', maxRestarts: 0 }] }, { scope, space: 'fragile' });
    await pipeline.write(['s1', 1, 1, 0b10]); // runs away on its first attempt: the watchdog kills the instance
    await pipeline.write(['s1', 2, 2, 0]);
    await expect(pipeline.drain()).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_FAILED', stage: 's1' });
    const figures = pipeline.figures();
    expect(figures.state).toBe('failed');
    expect(figures.error).toMatchObject({ code: 'PLEX_ERR_PIPELINE_FAILED', stage: 's1' });
    expect(figures.stages[0].state).toBe('failed');
    // Nothing lost: what the stage held or had not taken yet is in the space (the first tuple one delivery older).
    const space = node.spaces.open({ ...scope, name: 'fragile' });
    expect((await space.readAll(['s1', null, null, null])).map((t) => t[1]).sort()).toEqual([1, 2]);
    await expect(pipeline.write(['s1', 3, 3, 0])).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_FAILED' });
  }, 60_000);

  it('a stage whose handler answers garbage fails its attempts; its tuples end in the dead letters and the pipeline still drains', async () => {
    const pipeline = await node.pipelines.start({ name: 'garbage', stages: [{ name: 'g', input: ['g', null], module: 'stage', message: 'garbage', maxAttempts: 1 }] }, { scope, space: 'garbage' });
    await pipeline.write(['g', 1]);
    const figures = await pipeline.drain();
    const space = node.spaces.open({ ...scope, name: 'garbage' });
    expect(await space.deadLetters.readAll(['g', null])).toEqual([['g', 1]]);
    expect(figures.stages[0].failures).toBe(5); // the space's maxDeliveries (5) deliveries × 1 attempt
    expect(figures.stages[0].done).toBe(0);
  }, 60_000);
});
