import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { any, PlexClient } from '../../src/client/index.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { NodeServer } from '../../src/server/node-server.js';
import { TupleSpace } from '../../src/space/tuple-space.js';
import type { Template, Tuple } from '../../src/tuple/types.js';

let node: PlexNode;
let server: NodeServer;
let url: string;
let grpcUrl: string;

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  const endpoints = await server.listen();
  url = endpoints.ws;
  grpcUrl = `grpc://${endpoints.grpc}`;
});
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

/** The part of the API both an in-process TupleSpace and a RemoteSpace have. */
interface SpaceLike {
  write(tuple: Tuple): Promise<void>;
  writeAll(tuples: readonly Tuple[]): Promise<void>;
  take(template: Template, options?: { timeoutMs?: number }): Promise<Tuple | null>;
  tryRead(template: Template): Promise<Tuple | null>;
  readAll(template: Template): Promise<Tuple[]>;
  count(template: Template): Promise<number>;
}

/** One bag-of-tasks program, written once, run embedded and remote. */
async function bagOfTasks(space: SpaceLike): Promise<unknown[]> {
  await space.writeAll([1, 2, 3].map((i) => ['task', i, BigInt(i) * 10n ** 15n, new Uint8Array([i])]));
  const results: unknown[] = [];
  for (;;) {
    const task = await space.take(['task', any, any, any], { timeoutMs: 50 });
    if (task === null) break;
    await space.write(['result', task[1], (task[2] as bigint) + 1n, task[3]]);
  }
  results.push(await space.count(['result', any, any, any]));
  results.push((await space.readAll(['result', any, any, any])).map((t) => [t[1], t[2], Array.from(t[3] as Uint8Array)]).sort());
  results.push(await space.tryRead(['result', 2, any, any]));
  return results;
}

describe('plexspaces/client', () => {
  it('the same program gives the same answers embedded and remote (bigint, bytes, wildcards, blocking take)', async () => {
    const embedded = new TupleSpace();
    const local = await bagOfTasks(embedded);
    const client = await PlexClient.connect(url, { tenant: 'acme', namespace: 'lab' });
    const remote = await bagOfTasks(client.space('bag'));
    expect(remote).toEqual(local);
    expect(local[0]).toBe(3);
    expect(local[2]).toEqual(['result', 2, 2n * 10n ** 15n + 1n, new Uint8Array([2])]);
    client.close();
    await embedded.close();
  });

  it('watch is an async iterator; leaving the loop cancels the subscription', async () => {
    const client = await PlexClient.connect(url, { tenant: 'acme' });
    const space = client.space('watched');
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const event of space.watch(['tick', any])) {
        seen.push(event.type === 'overflow' ? 'overflow' : [event.type, event.tuple[1]]);
        if (seen.length === 2) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await space.write(['tick', 1]);
    await space.take(['tick', 1]);
    await loop;
    expect(seen).toEqual([
      ['write', 1],
      ['take', 1],
    ]);
    await space.write(['tick', 2]); // no subscriber left: nothing breaks
    expect(await space.count(['tick', any])).toBe(1);
    client.close();
  });

  it('errors arrive with their PLEX_ERR code; an aborted take stops waiting; close rejects what is pending', async () => {
    const client = await PlexClient.connect(url, { tenant: 'acme' });
    const space = client.space('errors');
    await expect(space.write([])).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE' });
    await expect(client.actors.ask('nobody', 'hello')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_NOT_FOUND' });
    const abort = new AbortController();
    const waiting = space.take(['never'], { timeoutMs: 60_000, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    const pending = space.take(['never'], { timeoutMs: 60_000 });
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'PLEX_ERR_RUNTIME_CLOSED' });
    await expect(PlexClient.connect(url.replace(/:\d+\//, ':1/'))).rejects.toMatchObject({ code: 'PLEX_ERR_UNAVAILABLE' });
  });
});

describe('crash-safe take over the wire', () => {
  it('ack consumes, nack returns, and a client that disconnects gives back what it held at once', async () => {
    const client = await PlexClient.connect(url, { tenant: 'acme' });
    const space = client.space('safe');
    await space.writeAll([['job', 1], ['job', 2], ['job', 3]]);
    const first = (await space.take(['job', any], { ack: true, leaseMs: 60_000 }))!;
    expect(first.deliveries).toBe(1);
    await first.ack();
    const second = (await space.take(['job', any], { ack: true, leaseMs: 60_000 }))!;
    await second.nack();
    expect(await space.count(['job', any])).toBe(2); // nacked one is back
    await expect(first.ack()).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' }); // settled already
    // A worker takes a job and dies (its socket closes): the job is back at once, not after 60 s.
    const worker = await PlexClient.connect(url, { tenant: 'acme' });
    const held = (await worker.space('safe').take(['job', any], { ack: true, leaseMs: 60_000 }))!;
    expect(await space.count(['job', any])).toBe(1);
    worker.close();
    for (let i = 0; i < 50 && (await space.count(['job', any])) < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await space.count(['job', any])).toBe(2);
    const again = (await space.take([held.tuple[0], held.tuple[1]], { ack: true }))!;
    expect(again.deliveries).toBe(2); // a redelivery, counted
    await again.ack();
    client.close();
  });
});

describe('jobs with progress over the websocket', () => {
  it('an n-body run reports every step and the energy as it goes, and can be cancelled', async () => {
    const client = await PlexClient.connect(url, { tenant: 'lab' });
    const progress: { step: number; energy?: number }[] = [];
    const result = await client.nbody({ bodies: 64, steps: 20, workers: 1, dt: 0.001, energyEvery: 5 }, (p) => progress.push(p));
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(progress.filter((p) => p.energy !== undefined).map((p) => p.step)).toEqual([5, 10, 15, 20]);
    expect(Math.abs(progress[4].energy! - (result.energyStart as number)) / Math.abs(result.energyStart as number)).toBeLessThan(1e-3);
    expect(result.relativeEnergyDrift as number).toBeLessThan(1e-4);
    const abort = new AbortController();
    const long = client.nbody({ bodies: 2048, steps: 100_000, workers: 1, signal: abort.signal }, (p) => {
      if (p.step === 3) abort.abort();
    });
    await expect(long).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    client.close();
  });
});

describe('the same client over gRPC', () => {
  it('runs the same program with the same answers; watch, crash-safe take, errors; jobs stay websocket-only', async () => {
    const embedded = new TupleSpace();
    const local = await bagOfTasks(embedded);
    const client = await PlexClient.connect(grpcUrl, { tenant: 'acme', namespace: 'grpc' });
    expect(await bagOfTasks(client.space('bag'))).toEqual(local);
    const space = client.space('more');
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const event of space.watch(['w', any])) {
        seen.push(event.type === 'overflow' ? 'overflow' : [event.type, event.tuple[1]]);
        if (seen.length === 1) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await space.write(['w', 5n]);
    await loop;
    expect(seen).toEqual([['write', 5n]]);
    const held = (await space.take(['w', any], { ack: true, leaseMs: 60_000 }))!;
    expect(held.tuple).toEqual(['w', 5n]);
    await held.nack();
    expect(await space.count(['w', any])).toBe(1);
    await expect(space.write([])).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE' });
    // Operations made together share session messages; each still gets its own answer, a failed one among them too.
    const together = await Promise.allSettled([...Array.from({ length: 70 }, (_, i) => space.write(['many', i])), space.write([]), space.count(['many', any])]);
    expect(together.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((await space.takeAll(['many', any])).map((t) => t[1]).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 70 }, (_, i) => i));
    // An aborted take stops waiting on the node; the session goes on.
    const controller = new AbortController();
    const waiting = space.take(['never', any], { timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    expect(await space.count(['w', any])).toBe(1);
    await expect(client.actors.ask('nobody', 'x')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_NOT_FOUND' });
    await expect(client.nbody({ bodies: 8, steps: 1 })).rejects.toMatchObject({ code: 'PLEX_ERR_USAGE' });
    client.close();
    await embedded.close();
  });
});
