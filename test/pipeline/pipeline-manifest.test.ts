import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { parseManifest } from '../../src/node/app-manifest.js';
import { buildActor } from '../../src/sdk/build-actor.js';

// A pipeline declared in an application manifest starts with the bundle, in its namespace, and stops with it.

let node: PlexNode;
let stage: Uint8Array;
beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  stage = (await buildActor(join(import.meta.dirname, '../fixtures/pipeline/stage.ts'))).component;
}, 120_000);
afterAll(async () => {
  await node?.stop();
});

const manifest = (stages: string) => `
[application]
name = "numbers"

[[pipeline]]
name = "tail"
space = "numbers"
${stages}
`;
const twoStages = `
[[pipeline.stage]]
name = "s3"
module = "stage.wasm"
input = '["s3", null, null, null]'
instances = 2

[[pipeline.stage]]
name = "s4"
module = "stage.wasm"
input = '["s4", null, null, null]'
key = 1
max_backlog = 8
`;

describe('pipelines in an application manifest', () => {
  it('[[pipeline]] with [[pipeline.stage]]s starts with the bundle (no [supervisor] needed) and stops with it', async () => {
    await node.applications.deployBundle('acme', 'etl', 'numbers', manifest(twoStages), new Map([['stage.wasm', stage]]));
    const scope = { tenant: 'acme', namespace: 'etl' };
    const pipeline = node.pipelines.get(scope, 'tail');
    for (let id = 0; id < 20; id++) await pipeline.write(['s3', id, id, 0]);
    const figures = await pipeline.drain();
    expect(figures.stages.map((s) => [s.stage, s.done])).toEqual([
      ['s3', 20],
      ['s4', 20],
    ]);
    const out = await node.spaces.open({ ...scope, name: 'numbers' }).readAll(['out', null, null, null]);
    expect(out.map((t) => [t[1], t[2]]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(Array.from({ length: 20 }, (_, id) => [id, (id * 3 + 3) * 3 + 4]));
    expect(node.runtime.has('acme/etl/pipeline.tail.s3.0')).toBe(false); // finished: its instances stopped
    // A redeploy starts it again (the finished one gives its name up); the undeploy stops and forgets it.
    await node.applications.deployBundle('acme', 'etl', 'numbers', manifest(twoStages), new Map([['stage.wasm', stage]]));
    expect(node.pipelines.get(scope, 'tail').status).toBe('running');
    expect(node.runtime.has('acme/etl/pipeline.tail.s3.1')).toBe(true);
    await node.applications.undeploy('acme', 'numbers');
    expect(() => node.pipelines.get(scope, 'tail')).toThrow(/no pipeline/);
    expect(node.runtime.has('acme/etl/pipeline.tail.s3.1')).toBe(false);
  }, 60_000);

  it('refuses a bad pipeline section at parse time, naming the entry, and deploys nothing', async () => {
    const bad = (stages: string) => () => parseManifest(manifest(stages));
    expect(bad(twoStages.replace(`input = '["s3", null, null, null]'`, 'input = ["s3"]'))).toThrow(/pipeline\[0\]\.stage\[0\]\.input.*JSON form as a string/);
    expect(bad(twoStages.replace(`input = '["s3", null, null, null]'`, `input = '["s3", '`))).toThrow(/not a template in JSON form/);
    expect(bad(twoStages.replace('key = 1', 'key = 9'))).toThrow(/key must be a field position/);
    expect(bad(twoStages.replace('instances = 2', 'instances = 0'))).toThrow(/instances/);
    expect(bad(twoStages.replace('instances = 2', 'bogus = 1'))).toThrow(/pipeline\[0\]\.stage\[0\]\.bogus.*unknown key/);
    expect(bad(twoStages.replace('name = "s4"', 'name = "s3"'))).toThrow(/a second stage/);
    expect(bad('')).toThrow(/stages must be a non-empty array/);
    expect(() => parseManifest('[application]\nname = "x"\n')).toThrow(/\[supervisor\] section \(or a \[\[pipeline\]\]\)/);
    await expect(node.applications.deployBundle('acme', 'etl', 'broken', manifest(twoStages.replace('key = 1', 'key = 9')), new Map([['stage.wasm', stage]]))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MANIFEST' });
    expect(node.applications.list('acme').map((a) => a.applicationId)).not.toContain('broken');
  });
});
