import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, wsClient, type NodeProcess } from './ws-support.js';

// Metric labels come from fixed or bounded sets, never straight from client input: thousands of
// made-up op names, routes, gRPC methods or spaces add no series (or a bounded number).

let node: NodeProcess;
let grpcPort: number;
beforeAll(async () => {
  node = await startNode();
  grpcPort = Number(/grpc: \S+:(\d+)/.exec(node.output())![1]);
});
afterAll(async () => {
  await node?.stop();
});

const metrics = async () => (await fetch(`${node.http}/metrics`)).text();
const lines = (text: string, prefix: string) => text.split('\n').filter((line) => line.startsWith(prefix));
/** The node's own series (name and labels, without the value); Node's process metrics come and go with the GC. */
const seriesOf = (text: string) => new Set(lines(text, 'plexspaces_').filter((line) => !line.startsWith('plexspaces_process_')).map((line) => line.slice(0, line.lastIndexOf(' '))));

describe('label values from client input', () => {
  it('5 000 unknown websocket ops: one `unknown` series, /metrics does not grow', async () => {
    const c = await wsClient(node.ws);
    // One first, so the unknown series exists before the baseline.
    expect((await c.call('no.such.op')).error?.code).toBe('PLEX_ERR_INVALID_ARGUMENT');
    await metrics(); // the first scrape adds its own route's series
    const before = seriesOf(await metrics());
    const replies = await Promise.all(Array.from({ length: 5000 }, (_, i) => c.call(`bogus.op.${i}.${'x'.repeat(40)}`)));
    expect(replies.every((r) => r.ok === false && r.error?.code === 'PLEX_ERR_INVALID_ARGUMENT')).toBe(true);
    const after = await metrics();
    expect(after).not.toContain('bogus.op');
    expect(lines(after, 'plexspaces_requests_total{surface="ws",operation="unknown"')).toEqual(['plexspaces_requests_total{surface="ws",operation="unknown",code="PLEX_ERR_INVALID_ARGUMENT"} 5001']);
    // Only values changed: not one series was added.
    expect([...seriesOf(after)].filter((series) => !before.has(series))).toEqual([]);
    expect(after.length).toBeLessThan(100_000);
    // Known ops keep their own label.
    await c.call('ping');
    expect(await metrics()).toContain('plexspaces_requests_total{surface="ws",operation="ping",code="ok"} 1');
    c.close();
  });

  it('unknown HTTP routes and gRPC methods add no series', async () => {
    await Promise.all(Array.from({ length: 300 }, (_, i) => fetch(`${node.http}/nope-route-${i}`).then((r) => r.arrayBuffer())));
    const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const codes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        new Promise<number>((resolve) =>
          client.makeUnaryRequest(`/plexspaces.v1.Bogus/Method${i}`, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (error) => resolve(error?.code ?? 0)),
        ),
      ),
    );
    client.close();
    expect(new Set(codes)).toEqual(new Set([grpc.status.UNIMPLEMENTED]));
    const text = await metrics();
    expect(text).not.toContain('nope-route');
    expect(text).not.toContain('Bogus');
  });

  it('space series are bounded: 150 spaces give the 100 largest their own series and one `(other)` sum', async () => {
    const c = await wsClient(node.ws);
    // Three tenants, 50 spaces each (a tenant may open 100).
    const replies = await Promise.all(
      Array.from({ length: 150 }, (_, i) => c.call('ts.writeAll', { space: `many-${i}`, tuples: Array.from({ length: 1 + (i % 3) }, () => ['t']) }, { tenant: `t${i % 3}`, namespace: 'm' })),
    );
    expect(replies.every((r) => r.ok)).toBe(true);
    c.close();
    const series = lines(await metrics(), 'plexspaces_space_tuples{');
    expect(series.length).toBe(101);
    const value = (line: string) => Number(line.slice(line.lastIndexOf(' ') + 1));
    const other = series.filter((line) => line.includes('space="(other)"'));
    expect(other).toHaveLength(1);
    // Nothing is lost: the named series and the sum add up to every tuple written (1..3 per space).
    const total = Array.from({ length: 150 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
    expect(series.reduce((sum, line) => sum + value(line), 0)).toBe(total);
    // The named ones are the largest.
    const named = series.filter((line) => !line.includes('(other)')).map(value);
    expect(Math.min(...named)).toBeGreaterThanOrEqual(2);
  });
});
