import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { any, PlexClient } from '../../src/client/index.js';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { RedisSpaceCatalog } from '../../src/cluster/redis-space/redis-space-catalog.js';
import { RedisWakeups } from '../../src/cluster/redis-space/index.js';
import { STALE_MS, type ClusterPipelineFigures } from '../../src/pipeline/cluster-figures.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { NodeServer } from '../../src/server/node-server.js';

// One pipeline started on two nodes of a cluster over a shared space, read
// from a third node that runs none of it: the figures each node publishes in
// a real redis-server are merged per stage, on HTTP, the websocket and gRPC
// alike; a node that stops publishing turns stale and only its totals count.

interface Member {
  node: PlexNode;
  server: NodeServer;
  endpoints: { http: string; ws: string; grpc: string };
  redis: RedisClient;
  wakeups: RedisWakeups;
}

let redis: RedisProcess;
let stage: Uint8Array;
const members: Member[] = [];

async function member(id: string, sharedSpaces = true): Promise<Member> {
  const client = await connectRedis([redis.url]);
  const wakeups = await RedisWakeups.open(client, `${id}.test`);
  const node = new PlexNode({ dataDir: null, workers: 1, nodeId: id, cluster: client, sharedSpaces: sharedSpaces ? new RedisSpaceCatalog(client, wakeups) : undefined });
  await node.runtime.deploy('acme:stage', stage);
  const server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  const m = { node, server, endpoints: await server.listen(), redis: client, wakeups };
  members.push(m);
  return m;
}

beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'no' });
  stage = (await buildActor(join(import.meta.dirname, '../fixtures/pipeline/stage.ts'))).component;
}, 120_000);
afterAll(async () => {
  for (const m of members) {
    await m.server.close();
    await m.node.stop();
    await m.wakeups.close();
    m.redis.disconnect();
  }
  await redis?.stop();
});

const SPEC = {
  name: 'tail',
  stages: [
    { name: 's3', module: 'stage', input: ['s3', any, any, any] as const, instances: 2 },
    { name: 's4', module: 'stage', input: ['s4', any, any, any] as const },
  ],
};

async function httpFigures(m: Member, name: string, across = 'cluster'): Promise<{ status: number; body: ClusterPipelineFigures & { error?: { code: string } } }> {
  const response = await fetch(`${m.endpoints.http}/api/v1/pipelines/acme/jobs/${name}?across=${across}`);
  return { status: response.status, body: (await response.json()) as ClusterPipelineFigures & { error?: { code: string } } };
}

describe('a pipeline’s figures across the nodes of a cluster', () => {
  it('two nodes run it on a shared space; any node, one that runs none of it included, shows every node’s figures merged', async () => {
    const [alpha, beta, gamma] = [await member('alpha'), await member('beta'), await member('gamma')];
    const scope = { tenant: 'acme', namespace: 'jobs' };
    const pa = await alpha.node.pipelines.start({ ...SPEC, stages: SPEC.stages.map((s) => ({ ...s, input: [...s.input] })) }, { scope, space: 'work' });
    const pb = await beta.node.pipelines.start({ ...SPEC, stages: SPEC.stages.map((s) => ({ ...s, input: [...s.input] })) }, { scope, space: 'work' });
    // Input written on both nodes: each node takes some of either's.
    await pa.writeAll(Array.from({ length: 60 }, (_, id) => ['s3', id, id, 0]));
    await pb.writeAll(Array.from({ length: 60 }, (_, id) => ['s3', 60 + id, 60 + id, 0]));
    const out = gamma.node.spaces.open({ ...scope, name: 'work' });
    await expect.poll(() => out.count(['out', null, null, null]), { timeout: 60_000 }).toBe(120);
    await Promise.all([alpha.node.pipelineBoard!.publishNow(), beta.node.pipelineBoard!.publishNow()]);

    const { status, body } = await httpFigures(gamma, 'tail');
    expect(status).toBe(200);
    expect(body.nodes.map((n) => [n.node, n.stale]).sort()).toEqual([
      ['alpha', false],
      ['beta', false],
    ]);
    expect(body.state).toBe('running');
    expect(body.space).toBe('acme/jobs/work');
    const own = (node: string, s: number) => body.nodes.find((n) => n.node === node)!.figures.stages[s];
    for (const [i, name] of ['s3', 's4'].entries()) {
      const merged = body.stages[i];
      expect(merged).toMatchObject({ stage: name, nodes: 2, state: 'running', done: 120 });
      // Every field the merge sums is the sum of the nodes' own.
      for (const field of ['taken', 'done', 'written', 'failures', 'restarts', 'instances', 'maxBacklog', 'inFlight'] as const) expect(merged[field], field).toBe(own('alpha', i)[field] + own('beta', i)[field]);
      expect(merged.latencyP99Ms).toBe(Math.max(own('alpha', i).latencyP99Ms, own('beta', i).latencyP99Ms));
    }
    expect(body.stages[0].instances).toBe(4); // 2 on each node
    // Both nodes did some of the work (the take is shared): neither's count is all of it.
    expect(own('alpha', 0).done).toBeGreaterThan(0);
    expect(own('beta', 0).done).toBeGreaterThan(0);
    // A node's own view is unchanged: its figures only.
    const local = await fetch(`${alpha.endpoints.http}/api/v1/pipelines/acme/jobs/tail`).then((r) => r.json() as Promise<{ stages: { done: number }[] }>);
    expect(local.stages[0].done).toBe(own('alpha', 0).done);

    // The same figures over the websocket and gRPC, from the node that runs none of it.
    for (const url of [gamma.endpoints.ws, `grpc://${gamma.endpoints.grpc}`]) {
      const client = await PlexClient.connect(url, { tenant: 'acme', namespace: 'jobs' });
      try {
        const figures = await client.pipelines.get('tail').clusterFigures();
        expect(figures.nodes.map((n) => n.node).sort(), url).toEqual(['alpha', 'beta']);
        expect(figures.stages.map((s) => [s.stage, s.done, s.nodes]), url).toEqual([
          ['s3', 120, 2],
          ['s4', 120, 2],
        ]);
        const watched: ClusterPipelineFigures[] = [];
        for await (const f of client.pipelines.get('tail').watchCluster({ intervalMs: 100 })) {
          watched.push(f);
          if (watched.length === 2) break;
        }
        expect(watched.map((f) => f.stages[1].done), url).toEqual([120, 120]);
        // The node's own figures where it runs none of it: not found, as before.
        await expect(client.pipelines.get('tail').figures(), url).rejects.toMatchObject({ code: 'PLEX_ERR_PIPELINE_NOT_FOUND' });
      } finally {
        client.close();
      }
    }

    // The dashboard of a node that runs it shows the cluster's figures with it.
    const dashboard = await fetch(`${alpha.endpoints.http}/api/v1/dashboard/pipelines`).then((r) => r.json() as Promise<{ pipelines: { name: string; cluster?: ClusterPipelineFigures }[] }>);
    expect(dashboard.pipelines.find((p) => p.name === 'tail')?.cluster?.stages[0].done).toBe(120);

    // beta stops publishing (as a node that died would): after STALE_MS its figures are stale,
    // its totals still count, its instances and rates no longer do; the drain on alpha ends the rest.
    await beta.server.close();
    await beta.node.stop();
    members.splice(members.indexOf(beta), 1);
    await beta.wakeups.close();
    beta.redis.disconnect();
    await new Promise((resolve) => setTimeout(resolve, STALE_MS + 500));
    const after = (await httpFigures(gamma, 'tail')).body;
    expect(after.nodes.map((n) => [n.node, n.stale])).toEqual([
      ['alpha', false],
      ['beta', true],
    ]);
    expect(after.stages[0]).toMatchObject({ done: 120, nodes: 1, instances: 2 });
    await pa.drain();
    await alpha.node.pipelineBoard!.publishNow();
    expect((await httpFigures(gamma, 'tail')).body.state).toBe('finished');

    // Removed on alpha: its field goes; beta's stale last figures stay (its work happened) until forgotten.
    await alpha.node.pipelines.remove(scope, 'tail');
    await alpha.node.pipelineBoard!.publishNow();
    const removed = (await httpFigures(gamma, 'tail')).body;
    expect(removed.nodes.map((n) => n.node)).toEqual(['beta']);
    expect(removed.state).toBe('unknown');
  }, 120_000);

  it('refuses a bad `across`, answers an unknown pipeline with not found, and a node alone answers in the same shape', async () => {
    const [node] = members;
    const bad = await httpFigures(node, 'tail', 'everywhere');
    expect([bad.status, bad.body.error?.code]).toEqual([400, 'PLEX_ERR_INVALID_ARGUMENT']);
    const unknown = await httpFigures(node, 'no-such-pipeline');
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'PLEX_ERR_PIPELINE_NOT_FOUND']);
    // A pipeline on a space this node keeps to itself is not the cluster's: its own figures, one node.
    const alone = await member('delta', false);
    const scope = { tenant: 'acme', namespace: 'jobs' };
    const p = await alone.node.pipelines.start({ ...SPEC, name: 'mine', stages: SPEC.stages.map((s) => ({ ...s, input: [...s.input] })) }, { scope, space: 'local' });
    await p.writeAll([['s3', 1, 1, 0]]);
    await p.drain();
    const mine = (await httpFigures(alone, 'mine')).body;
    expect(mine.nodes.map((n) => n.node)).toEqual(['delta']);
    expect(mine.stages.map((s) => [s.stage, s.done, s.nodes])).toEqual([
      ['s3', 1, 1],
      ['s4', 1, 1],
    ]);
    // …and no other node sees it across the cluster.
    expect((await httpFigures(node, 'mine')).status).toBe(404);
  }, 60_000);
});
