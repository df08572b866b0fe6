import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { builtActorWasm } from '../../src/runtime/built-actors.js';
import { NodeTracing } from '../../src/tracing/node-tracing.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

// The runtime's spans, in process, exported to a real OTLP receiver: what is
// traced inside a request, what is not (asks outside any request, tells),
// and how a failing host call is marked.

let receiver: OtlpReceiver;
let tracing: NodeTracing;
let runtime: ActorRuntime;

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  tracing = new NodeTracing({ otlpEndpoint: receiver.url, serviceName: 'runtime-test', exportDelayMs: 60_000 });
  runtime = new ActorRuntime({ workers: 1, tracing });
  await runtime.deploy('space-user', builtActorWasm('space-user'));
});

afterAll(async () => {
  await runtime.close();
  await tracing.shutdown();
  await receiver.close();
});

describe('runtime spans', () => {
  it('trace an ask inside a request and its host calls; asks outside requests and tells start nothing; a failing host call is marked', async () => {
    const id = await runtime.spawn('space-user');
    // Outside any request: no span.
    expect(new TextDecoder().decode(await runtime.ask(id, 'get', '["nothing", null]'))).toBe('');
    await tracing.span('test.request', SpanKind.SERVER, {}, async () => {
      // A tell carries no message context, so the handler's host call is untraced.
      runtime.tell(id, 'get', '["nothing", null]');
      // Not JSON: the write host call fails, and the actor answers ERROR.
      expect(new TextDecoder().decode(await runtime.ask(id, 'put', 'not json'))).toBe('ERROR');
    });
    await tracing.flush();

    const names = receiver.spans.map((s) => s.name).sort();
    expect(names).toEqual(['actor.ask put', 'host.ts.write', 'test.request']);
    const request = receiver.spans.find((s) => s.name === 'test.request')!;
    const ask = receiver.spans.find((s) => s.name === 'actor.ask put')!;
    const write = receiver.spans.find((s) => s.name === 'host.ts.write')!;
    expect(ask).toMatchObject({ traceId: request.traceId, parentSpanId: request.spanId, statusCode: 0, attributes: { 'plex.actor.id': id, 'plex.message.type': 'put', 'plex.worker': 0 } });
    expect(write).toMatchObject({ traceId: request.traceId, parentSpanId: ask.spanId, statusCode: 2, attributes: { 'plex.actor.id': id } });
    expect(write.attributes['plex.error.code']).toMatch(/^PLEX_ERR_/);
    expect(request.resource).toMatchObject({ 'service.name': 'runtime-test' });
  });

  it('at sample_ratio 0 a request without a sampled caller records nothing, and a sampled caller is followed', async () => {
    const quiet = await OtlpReceiver.start();
    const sampler = new NodeTracing({ otlpEndpoint: quiet.url, exportDelayMs: 60_000, sampleRatio: 0 });
    const sampledRuntime = new ActorRuntime({ workers: 1, tracing: sampler });
    try {
      await sampledRuntime.deploy('space-user', builtActorWasm('space-user'));
      const id = await sampledRuntime.spawn('space-user');
      await sampler.serve('test', 'unsampled', undefined, () => sampledRuntime.ask(id, 'put', '["left", "out"]'));
      await sampler.flush();
      expect(quiet.posts).toBe(0);
      const traceId = 'c'.repeat(32);
      await sampler.serve('test', 'sampled', { traceparent: `00-${traceId}-${'d'.repeat(16)}-01` }, () => sampledRuntime.ask(id, 'get', '["left", null]'));
      await sampler.flush();
      expect(quiet.spans.map((s) => [s.traceId, s.name]).sort()).toEqual([
        [traceId, 'actor.ask get'],
        [traceId, 'host.ts.read'],
        [traceId, 'test sampled'],
      ]);
    } finally {
      await sampledRuntime.close();
      await sampler.shutdown();
      await quiet.close();
    }
  });
});
