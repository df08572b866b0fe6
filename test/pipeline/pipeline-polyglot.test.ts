import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { buildPythonComponent, PYTHON_EXAMPLE_TIMEOUT_MS } from '../support/python-components.js';

// A mixed-language pipeline: a Python stage (componentize-py) feeding a TypeScript stage (QuickJS),
// both WASM actors on the worker pool, each stage's instances under supervision.
let node: PlexNode;
beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 2 });
  const [price, stage] = await Promise.all([buildPythonComponent(join(import.meta.dirname, '../fixtures/pipeline/price_stage.py')), buildActor(join(import.meta.dirname, '../fixtures/pipeline/stage.ts')).then((b) => b.component)]);
  await node.runtime.deploy('acme:price', price);
  await node.runtime.deploy('acme:stage', stage);
}, PYTHON_EXAMPLE_TIMEOUT_MS);
afterAll(async () => {
  await node?.stop();
});

describe('a mixed-language pipeline', () => {
  it('Python prices the orders, TypeScript finishes them: the output equals the oracle, each order once', async () => {
    const scope = { tenant: 'acme', namespace: 'shop' };
    const pipeline = await node.pipelines.start(
      {
        name: 'orders',
        stages: [
          { name: 'price', module: 'price', input: ['order', null, null, null], instances: 2 },
          { name: 'finish', module: 'stage', input: ['s4', null, null, null], key: 1 },
        ],
      },
      { scope, space: 'orders' },
    );
    const orders = Array.from({ length: 40 }, (_, id) => ['order', id, 1 + (id % 4), [1250, 4999, 199][id % 3]] as [string, number, number, number]);
    for (const order of orders) await pipeline.write(order);
    const figures = await pipeline.drain();
    expect(figures.stages.map((s) => [s.stage, s.done, s.failures])).toEqual([
      ['price', 40, 0],
      ['finish', 40, 0],
    ]);
    const out = await node.spaces.open({ ...scope, name: 'orders' }).takeAll(['out', null, null, null]);
    expect(out.map((t) => [t[1], t[2]]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(orders.map(([, id, qty, unit]) => [id, qty * unit * 3 + 4]));
  }, PYTHON_EXAMPLE_TIMEOUT_MS);
});
