import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { any, PlexClient } from '../../src/client/index.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { NodeServer } from '../../src/server/node-server.js';

// Pipelines from outside the node: the TS client over the websocket and over gRPC (and HTTP in
// test/server/openapi.test.ts), each in its own tenant, with live figures and the same refusals.
let node: PlexNode;
let server: NodeServer;
let endpoints: { http: string; ws: string; grpc: string };

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 2 });
  const stage = (await buildActor(join(import.meta.dirname, '../fixtures/pipeline/stage.ts'))).component;
  await node.runtime.deploy('acme:stage', stage);
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  endpoints = await server.listen();
}, 120_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

for (const transport of ['ws', 'grpc'] as const) {
  describe(`pipelines over ${transport}`, () => {
    it('start, write, watch the live figures, scale, drain, list and remove', async () => {
      const client = await PlexClient.connect(transport === 'ws' ? endpoints.ws : `grpc://${endpoints.grpc}`, { tenant: 'acme', namespace: transport });
      try {
        const pipeline = await client.pipelines.start({
          name: 'tail',
          space: 'numbers',
          stages: [
            { name: 's3', module: 'stage', input: ['s3', any, any, any], instances: 2 },
            { name: 's4', module: 'stage', input: ['s4', any, any, any], maxBacklog: 16, key: 1 },
          ],
        });
        const watched: number[] = [];
        const watching = (async () => {
          for await (const figures of pipeline.watch({ intervalMs: 100 })) watched.push(figures.stages[0].taken);
        })();
        for (let id = 0; id < 50; id += 10) await pipeline.writeAll(Array.from({ length: 10 }, (_, k) => ['s3', id + k, id + k, 0]));
        expect((await pipeline.scale('s3', 3)).stages[0].instances).toBe(3);
        const figures = await pipeline.drain({ timeoutMs: 60_000 });
        expect(figures.state).toBe('finished');
        expect(figures.stages.map((s) => [s.stage, s.done, s.state])).toEqual([
          ['s3', 50, 'finished'],
          ['s4', 50, 'finished'],
        ]);
        expect(typeof figures.stages[1].latencyP99Ms).toBe('number');
        await watching; // the watch ends with the pipeline
        expect(watched.length).toBeGreaterThan(0);
        const out = await client.space('numbers').takeAll(['out', any, any, any]);
        expect(out.map((t) => t[2]).sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 50 }, (_, id) => (id * 3 + 3) * 3 + 4));
        expect((await client.pipelines.list()).map((p) => [p.name, p.state])).toEqual([['tail', 'finished']]);
        await expect(pipeline.write(['s3', 99, 99, 0])).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_ENDED' });
        await pipeline.remove();
        await expect(pipeline.figures()).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_NOT_FOUND' });
      } finally {
        client.close();
      }
    }, 90_000);

    it('refuses bad specs, unknown modules and another tenant’s modules, and starts nothing', async () => {
      const client = await PlexClient.connect(transport === 'ws' ? endpoints.ws : `grpc://${endpoints.grpc}`, { tenant: 'globex', namespace: transport });
      try {
        await expect(client.pipelines.start({ name: 'x', stages: [{ name: 's', module: 'acme:stage', input: ['a'] }] })).rejects.toMatchObject({ code: 'PLEX_ERR_FORBIDDEN' });
        await expect(client.pipelines.start({ name: 'x', stages: [{ name: 's', module: 'stage', input: ['a'] }] })).rejects.toMatchObject({ code: 'PLEX_ERR_MODULE_NOT_FOUND' });
        await expect(client.pipelines.start({ name: 'x', stages: [] })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
        expect(await client.pipelines.list()).toEqual([]);
        await expect(client.pipelines.get('tail').figures()).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_NOT_FOUND' });
      } finally {
        client.close();
      }
    });
  });
}
