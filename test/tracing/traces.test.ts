import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildActor } from '../../src/sdk/build-actor.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

// OpenTelemetry traces through a real node process, exported over OTLP/HTTP
// to a real receiver this test runs: the caller's traceparent on HTTP, gRPC
// and the websocket; the actor runtime's spans; host calls across the
// worker boundary (an ask to a second actor, a tuple-space take).

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'plex-traces-'));
const children: ChildProcess[] = [];
const packr = new Packr({ useRecords: false });
let component: Uint8Array;
let receiver: OtlpReceiver;
let node: NodeProcess;

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

beforeAll(async () => {
  component = (await buildActor(join(root, 'test/fixtures/sdk/traced-order.ts'))).component;
  receiver = await OtlpReceiver.start();
  const config = join(dir, 'traced.toml');
  writeFileSync(config, `[tracing]\notlp_endpoint = "${receiver.url}"\nservice_name = "traced-node"\nexport_delay_ms = 50\n`);
  node = await startNodeProcess(join(dir, 'traced'), children, { args: ['--config', config] });
  const form = new FormData();
  for (const [name, value] of Object.entries({ application_id: 'shop', name: 'traced-order', version: '1.0.0' })) form.set(name, value);
  form.set('wasm_file', new Blob([Buffer.from(component)]), 'actor.wasm');
  const deployed = await fetch(`${node.http}/api/v1/applications/deploy`, { method: 'POST', body: form });
  expect(deployed.status, await deployed.clone().text()).toBe(201);
}, 180_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${node.http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

function childrenOf(spans: readonly ReceivedSpan[], parent: ReceivedSpan): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
}

function only(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name), `exactly one ${name} among ${spans.map((s) => s.name).join(', ')}`).toEqual([name]);
  return found[0];
}

describe('traces over OTLP', () => {
  it('one HTTP ask with a traceparent: the edge, both actors, the nested ask and the take form one tree under the caller’s trace', async () => {
    // The pricer runs first (its own trace); then the order actor asks it and takes the job.
    expect((await post('/api/v1/actors/shop-pricer/ask', { message_type: 'price', payload: { item: 'warm-up' } })).status).toBe(200);
    expect((await post('/api/v1/tuplespace/default/default/default/write', { tuple: ['job', 7] })).status).toBe(201);
    const reply = await post('/api/v1/actors/shop-front/ask', { message_type: 'order', payload: { item: 'tea', from: 'shop-pricer' } }, { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'vendor=1' });
    expect(reply).toEqual({ status: 200, body: { price: 42, job: ['job', 7] } });

    const names = ['http POST /api/v1/actors/{actor}/ask', 'actor.ask order', 'host.ask', 'actor.ask price', 'host.ts.take'];
    const spans = (await receiver.waitFor((all) => names.every((n) => all.some((s) => s.traceId === CALLER_TRACE && s.name === n)))).filter((s) => s.traceId === CALLER_TRACE);

    const edge = only(spans, 'http POST /api/v1/actors/{actor}/ask');
    expect(edge).toMatchObject({ parentSpanId: CALLER_SPAN, kind: 2, statusCode: 0 });
    expect(edge.resource).toMatchObject({ 'service.name': 'traced-node' });

    const order = only(childrenOf(spans, edge), 'actor.ask order');
    expect(order.attributes).toMatchObject({ 'plex.actor.id': 'default/default/shop-front', 'plex.message.type': 'order', 'plex.worker': 0 });

    const hostCalls = childrenOf(spans, order);
    expect(hostCalls.map((s) => s.name).sort()).toEqual(['host.ask', 'host.ts.take']);
    for (const call of hostCalls) expect(call.attributes['plex.actor.id']).toBe('default/default/shop-front');

    const price = only(childrenOf(spans, only(hostCalls, 'host.ask')), 'actor.ask price');
    expect(price.attributes).toMatchObject({ 'plex.actor.id': 'default/default/shop-pricer', 'plex.message.type': 'price' });
    // Nothing hangs off the trace elsewhere: every span but the edge has its parent in the trace.
    for (const span of spans) if (span !== edge) expect(spans.map((s) => s.spanId)).toContain(span.parentSpanId);
  });

  it('a malformed traceparent is ignored: the request succeeds and starts a trace of its own', async () => {
    const response = await fetch(`${node.http}/api/v1/nodes`, { headers: { traceparent: '00-not-a-trace-01' } });
    expect(response.status).toBe(200);
    const [span] = (await receiver.waitFor((all) => all.some((s) => s.name === 'http GET /api/v1/nodes'))).filter((s) => s.name === 'http GET /api/v1/nodes');
    expect(span.parentSpanId).toBe('');
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.traceId).not.toBe(CALLER_TRACE);
  });

  it('a websocket frame’s traceparent field and gRPC traceparent metadata continue the caller’s trace', async () => {
    const wsTrace = 'a'.repeat(31) + '1';
    const ws = new WebSocket(/websocket: (\S+)/.exec(node.out())![1]);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answered = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (data: Buffer) => resolve(packr.unpack(data) as Record<string, unknown>)));
    ws.send(packr.pack({ id: 1, op: 'ping', traceparent: `00-${wsTrace}-${CALLER_SPAN}-01` }));
    expect(await answered).toMatchObject({ id: 1, ok: true });
    ws.close();

    const grpcTrace = 'b'.repeat(31) + '2';
    const grpcAddress = /grpc: (\S+)/.exec(node.out())![1].replace(/^grpc:\/\//, '');
    const definition = protoLoader.loadSync(join(root, 'proto/plexspaces/v1/node.proto'), { includeDirs: [join(root, 'proto')] });
    const NodeClient = (grpc.loadPackageDefinition(definition) as unknown as { plexspaces: { v1: { Node: grpc.ServiceClientConstructor } } }).plexspaces.v1.Node;
    const client = new NodeClient(grpcAddress, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', `00-${grpcTrace}-${CALLER_SPAN}-01`);
    await new Promise<void>((resolve, reject) => client.Info({}, metadata, (error: Error | null) => (error === null ? resolve() : reject(error))));
    client.close();

    const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === wsTrace) && all.some((s) => s.traceId === grpcTrace));
    expect(spans.find((s) => s.traceId === wsTrace)).toMatchObject({ name: 'ws ping', parentSpanId: CALLER_SPAN, kind: 2 });
    expect(spans.find((s) => s.traceId === grpcTrace)).toMatchObject({ name: 'grpc /plexspaces.v1.Node/Info', parentSpanId: CALLER_SPAN, kind: 2 });
  });

  it('a websocket frame whose traceparent is not a string is refused with PLEX_ERR_INVALID_ARGUMENT', async () => {
    const ws = new WebSocket(/websocket: (\S+)/.exec(node.out())![1]);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answered = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (data: Buffer) => resolve(packr.unpack(data) as Record<string, unknown>)));
    ws.send(packr.pack({ id: 9, op: 'ping', traceparent: 12 }));
    expect(await answered).toMatchObject({ id: 9, ok: false, error: { code: 'PLEX_ERR_INVALID_ARGUMENT' } });
    ws.close();
  });

  it('with tracing off (the default) a node exports nothing, even with the SDK’s generic OTLP variable set', async () => {
    const quiet = await OtlpReceiver.start();
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: quiet.url.replace('/v1/traces', '') };
      delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
      const plain = await startNodeProcess(join(dir, 'plain'), children, { env });
      expect(plain.out()).not.toContain('tracing:');
      const response = await fetch(`${plain.http}/api/v1/nodes`, { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } });
      expect(response.status).toBe(200);
      // A graceful stop would flush any batched span: after it, the receiver still has none.
      const exited = new Promise((resolve) => plain.child.removeAllListeners('exit').on('exit', resolve));
      plain.child.kill('SIGTERM');
      await exited;
      expect(quiet.posts).toBe(0);
    } finally {
      await quiet.close();
    }
  });
});
