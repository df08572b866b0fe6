import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { TupleSpace } from '../../src/space/tuple-space.js';
import type { Tuple } from '../../src/tuple/types.js';

// Function stages (the TS API's in-process handlers): the engine's guarantees
// without the worker pool. Module stages and crash injection are in
// pipeline-crashes.test.ts.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('dataflow pipelines', () => {
  it('a three-stage word pipeline: drain ends with exactly the oracle counts, and every stage reports its figures', async () => {
    const space = new TupleSpace();
    const lines = ['the quick brown fox', 'jumps over the lazy dog', 'the dog sleeps', 'a fox and a dog'];
    const pipeline = await Pipeline.start(
      {
        name: 'words',
        stages: [
          { name: 'split', input: ['line', null, null], instances: 2, handler: ([, n, text]) => (text as string).split(' ').map((w, i) => ['word', `${n}:${i}`, w]) },
          { name: 'upper', input: ['word', null, null], instances: 3, handler: ([, at, w]) => [['upper', at, (w as string).toUpperCase()]] },
          { name: 'count', input: ['upper', null, null], handler: ([, , w]) => [['counted', w]] },
        ],
      },
      space,
    );
    for (const [n, line] of lines.entries()) await pipeline.write(['line', n, line]);
    const figures = await pipeline.drain();
    expect(figures.state).toBe('finished');
    const counted = new Map<string, number>();
    for (const [, w] of await space.takeAll(['counted', null])) counted.set(w as string, (counted.get(w as string) ?? 0) + 1);
    const oracle = new Map<string, number>();
    for (const w of lines.join(' ').split(' ').map((w) => w.toUpperCase())) oracle.set(w, (oracle.get(w) ?? 0) + 1);
    expect(counted).toEqual(oracle);
    expect(figures.stages.map((s) => [s.stage, s.done, s.state])).toEqual([
      ['split', 4, 'finished'],
      ['upper', 17, 'finished'],
      ['count', 17, 'finished'],
    ]);
    expect(figures.stages[0].written).toBe(17);
    expect(figures.stages.every((s) => s.latencyP99Ms >= s.latencyP50Ms && s.backlog === 0)).toBe(true);
    // Nothing in between is left behind.
    expect(await space.count(['word', null, null])).toBe(0);
    expect(await space.count(['upper', null, null])).toBe(0);
    await expect(pipeline.write(['line', 9, 'late'])).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_ENDED' });
  });

  it('a fast producer and a slow stage: the backlog never passes maxBacklog, the producer waits instead', async () => {
    const space = new TupleSpace();
    let handled = 0;
    const pipeline = await Pipeline.start(
      {
        name: 'slow',
        stages: [
          { name: 'fast', input: ['in', null], maxBacklog: 8, instances: 2, handler: ([, n]) => [['mid', n]] },
          { name: 'slow', input: ['mid', null], maxBacklog: 16, handler: async ([, n]) => (await sleep(2), handled++, [['done', n]]) },
        ],
      },
      space,
    );
    let peakMid = 0;
    let peakIn = 0;
    const sampler = setInterval(() => {
      peakMid = Math.max(peakMid, space.stats().tuples - 0);
      peakIn = Math.max(peakIn, pipeline.figures().stages[0].backlog);
    }, 1);
    let written = 0;
    const producer = (async () => {
      for (let n = 0; n < 300; n++) {
        await pipeline.write(['in', n]);
        written++;
      }
    })();
    await sleep(150);
    // The producer is held back: far from done although it never sleeps.
    expect(written).toBeLessThan(150);
    const midBacklog = pipeline.figures().stages[1].backlog;
    expect(midBacklog).toBeLessThanOrEqual(16);
    await producer;
    await pipeline.drain();
    clearInterval(sampler);
    expect(handled).toBe(300);
    expect(peakIn).toBeLessThanOrEqual(8);
    // Everything in the space at once: ≤ 8 inputs + ≤ 16 mid + the done tuples so far.
    expect((await space.readAll(['done', null])).map((t) => t[1]).sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(await space.count(['mid', null])).toBe(0);
  });

  it('per-key order: every tuple of a key is handled in write order, on one instance, while other keys run in parallel', async () => {
    const space = new TupleSpace();
    const seen = new Map<string, number[]>();
    const onInstance = new Map<string, Set<number>>();
    const instancesUsed = new Set<number>();
    let parallel = 0;
    let peakParallel = 0;
    const pipeline = await Pipeline.start(
      {
        name: 'keyed',
        stages: [
          {
            name: 'apply',
            input: ['event', null, null],
            key: 1,
            instances: 4,
            handler: async ([, key, seq], { instance }) => {
              (onInstance.get(key as string) ?? onInstance.set(key as string, new Set()).get(key as string)!).add(instance);
              instancesUsed.add(instance);
              parallel++;
              peakParallel = Math.max(peakParallel, parallel);
              await sleep(Math.random() * 3);
              (seen.get(key as string) ?? seen.set(key as string, []).get(key as string)!).push(seq as number);
              parallel--;
              return [['applied', key, seq]];
            },
          },
        ],
      },
      space,
    );
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const counts = new Map(keys.map((k) => [k, 0]));
    for (let i = 0; i < 240; i++) {
      const key = keys[Math.floor(Math.random() * keys.length)];
      const seq = counts.get(key)!;
      counts.set(key, seq + 1);
      await pipeline.write(['event', key, seq]);
    }
    await pipeline.drain();
    for (const key of keys) expect(seen.get(key) ?? [], key).toEqual(Array.from({ length: counts.get(key)! }, (_, i) => i));
    expect(peakParallel).toBeGreaterThan(1);
    for (const key of keys) expect(onInstance.get(key)?.size, key).toBe(1);
    expect(instancesUsed.size).toBeGreaterThan(1);
    expect(await space.count(['applied', null, null])).toBe(240);
  });

  it('scales a stage while it runs, up and down, and still hands every tuple through once', async () => {
    const space = new TupleSpace();
    let parallel = 0;
    let peak = 0;
    const pipeline = await Pipeline.start(
      {
        name: 'scaled',
        stages: [{ name: 'work', input: ['job', null], handler: async ([, n]) => (parallel++, (peak = Math.max(peak, parallel)), await sleep(3), parallel--, [['result', n]]) }],
      },
      space,
    );
    const producer = (async () => {
      for (let n = 0; n < 200; n++) await pipeline.write(['job', n]);
    })();
    await sleep(30);
    expect(peak).toBe(1);
    pipeline.scale('work', 6);
    await sleep(80);
    expect(pipeline.figures().stages[0].instances).toBe(6);
    expect(peak).toBeGreaterThan(1);
    pipeline.scale('work', 2);
    await producer;
    await pipeline.drain();
    expect(pipeline.figures().stages[0].instances).toBe(2);
    const results = (await space.takeAll(['result', null])).map((t) => t[1] as number).sort((a, b) => a - b);
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(() => pipeline.scale('nope', 2)).toThrow(/no stage/);
    expect(() => pipeline.scale('work', 0)).toThrow(/instances/);
  });

  it('a failing handler is retried, then its tuple goes back to the space and ends in the dead letters; the rest flows', async () => {
    const space = new TupleSpace({ maxDeliveries: 2 });
    let attempts = 0;
    const pipeline = await Pipeline.start(
      {
        name: 'poison',
        stages: [
          {
            name: 'check',
            input: ['n', null],
            maxAttempts: 2,
            handler: ([, n]) => {
              if (n === 13) {
                attempts++;
                throw new Error('unlucky');
              }
              return [['ok', n]];
            },
          },
        ],
      },
      space,
    );
    for (let n = 10; n < 16; n++) await pipeline.write(['n', n]);
    const figures = await pipeline.drain();
    expect((await space.readAll(['ok', null])).map((t) => t[1])).toEqual([10, 11, 12, 14, 15]);
    expect(attempts).toBe(4); // 2 deliveries × 2 attempts
    expect(await space.deadLetters.readAll(['n', null])).toEqual([['n', 13]]);
    expect(figures.stages[0].failures).toBe(4);
    expect(figures.stages[0].returned).toBe(2);
  });

  it('stop gives every held tuple back to the space; nothing is lost', async () => {
    const space = new TupleSpace();
    const pipeline = await Pipeline.start({ name: 'stopped', stages: [{ name: 'hang', input: ['x', null], instances: 3, handler: () => new Promise<Tuple[]>(() => undefined) }] }, space);
    for (let n = 0; n < 10; n++) await pipeline.write(['x', n]);
    await sleep(20);
    expect(pipeline.figures().stages[0].inFlight).toBe(6);
    await pipeline.stop();
    expect(pipeline.status).toBe('stopped');
    expect(await space.count(['x', null])).toBe(10);
    await expect(pipeline.finished).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_ENDED' });
  });

  it('refuses bad specs and input before anything starts, with errors naming the stage', async () => {
    const space = new TupleSpace();
    const ok = { name: 's', input: ['a', null], handler: () => [] };
    await expect(Pipeline.start({ name: 'bad name!', stages: [ok] }, space)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(Pipeline.start({ name: 'p', stages: [] }, space)).rejects.toThrow(/non-empty/);
    await expect(Pipeline.start({ name: 'p', stages: [ok, ok] }, space)).rejects.toThrow(/a second stage/);
    await expect(Pipeline.start({ name: 'p', stages: [{ ...ok, input: [] as never }] }, space)).rejects.toThrow(/stage s: input/);
    await expect(Pipeline.start({ name: 'p', stages: [{ name: 's', input: ['a'] }] }, space)).rejects.toThrow(/exactly one of module/);
    await expect(Pipeline.start({ name: 'p', stages: [{ ...ok, key: 5 }] }, space)).rejects.toThrow(/key must be a field position/);
    await expect(Pipeline.start({ name: 'p', stages: [{ ...ok, instances: 0 }] }, space)).rejects.toThrow(/instances/);
    await expect(Pipeline.start({ name: 'p', stages: [{ ...ok, bogus: 1 } as never] }, space)).rejects.toThrow(/unknown field "bogus"/);
    await expect(Pipeline.start({ name: 'p', stages: [{ name: 's', input: ['a'], module: 'm' }] }, space)).rejects.toThrow(/needs a node/);
    const pipeline = await Pipeline.start({ name: 'p', stages: [ok] }, space);
    await expect(pipeline.write(['b', 1])).rejects.toThrow(/matches no stage/);
    await expect(pipeline.write([] as never)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE' });
    expect(await space.count(['b', null])).toBe(0);
    await pipeline.stop();
  });
});

describe('pipelines on a node', () => {
  let node: PlexNode;
  beforeAll(() => {
    node = new PlexNode({ dataDir: null, workers: 1 });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('a tenant pipeline runs on its space, is listed by name, refuses a second of the same name, and unknown modules', async () => {
    const scope = { tenant: 'acme', namespace: 'etl' };
    const pipeline = await node.pipelines.start({ name: 'double', stages: [{ name: 'x2', input: ['n', null], handler: ([, n]) => [['n2', (n as number) * 2]] }] }, { scope, space: 'jobs' });
    await pipeline.write(['n', 21]);
    await pipeline.drain();
    expect(await node.spaces.open({ ...scope, name: 'jobs' }).take(['n2', null])).toEqual(['n2', 42]);
    expect(node.pipelines.list(scope).map((p) => [p.name, p.state, p.space])).toEqual([['double', 'finished', 'acme/etl/jobs']]);
    expect(node.pipelines.list({ tenant: 'globex', namespace: 'etl' })).toEqual([]);
    await expect(node.pipelines.start({ name: 'm', stages: [{ name: 's', input: ['a'], module: 'nope' }] }, { scope })).rejects.toMatchObject({ code: 'PLEX_ERR_MODULE_NOT_FOUND' });
    await expect(node.pipelines.start({ name: 'm', stages: [{ name: 's', input: ['a'], module: 'globex:thing' }] }, { scope })).rejects.toMatchObject({ code: 'PLEX_ERR_FORBIDDEN' });
    const again = await node.pipelines.start({ name: 'double', stages: [{ name: 'x2', input: ['n', null], handler: () => [] }] }, { scope });
    await expect(node.pipelines.start({ name: 'double', stages: [{ name: 'x2', input: ['n', null], handler: () => [] }] }, { scope })).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_EXISTS' });
    await node.pipelines.remove(scope, 'double');
    expect(again.status).toBe('stopped');
    expect(() => node.pipelines.get(scope, 'double')).toThrow(/no pipeline/);
  });
});
