import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { NodeTracing } from '../tracing/node-tracing.js';
import type { BenchResult } from './report.js';

const decoder = new TextDecoder();
/** Asks kept in flight, as a busy node's surfaces keep many. */
const IN_FLIGHT = 64;
/** The sample ratio of the third runtime: one request in ten recorded. */
const SAMPLED = 0.1;

/**
 * Asks/s of one runtime without tracing and of one with it, exporting to an
 * OTLP/HTTP sink on loopback in this process (so the export's own CPU is
 * counted, as on a node). Each traced ask is a request of its own, as
 * from a surface: a server span, the context lookup, the `actor.ask` span
 * and the export of both. A third runtime records one request in ten
 * (`sample_ratio` 0.1). The rounds alternate between them and the
 * best round of each counts, which keeps a slow moment of the machine from
 * landing on one side only.
 */
export async function tracingCost(workers: number, quick: boolean): Promise<BenchResult[]> {
  let exported = 0;
  const sink = createServer((request, response) => {
    request.on('data', () => undefined);
    request.on('end', () => {
      exported++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const otlpEndpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/traces`;
  const tracing = new NodeTracing({ otlpEndpoint, exportDelayMs: 200 });
  const sampledTracing = new NodeTracing({ otlpEndpoint, exportDelayMs: 200, sampleRatio: SAMPLED });
  const off = new ActorRuntime({ workers });
  const on = new ActorRuntime({ workers, tracing });
  const sampled = new ActorRuntime({ workers, tracing: sampledTracing });
  try {
    const asks = quick ? 20_000 : 100_000;
    const best = { off: 0, on: 0, sampled: 0 };
    let wrong = 0;
    for (const runtime of [off, on, sampled]) await runtime.deploy('counter', builtActorWasm('counter'));
    const ids = await Promise.all([off.spawn('counter'), on.spawn('counter'), sampled.spawn('counter')]);
    for (let round = 0; round < (quick ? 2 : 4); round++) {
      for (const [side, runtime, id, t] of [['off', off, ids[0], undefined], ['on', on, ids[1], tracing], ['sampled', sampled, ids[2], sampledTracing]] as const) {
        // Traced, each ask is one request of its own: a server span (as a surface starts) and the runtime's actor.ask span.
        const ask = t !== undefined ? () => t.serve('bench', 'ask', undefined, () => runtime.ask(id, 'inc', '1')) : () => runtime.ask(id, 'inc', '1');
        const result = await askMany(ask, asks);
        wrong += result.wrong;
        best[side] = Math.max(best[side], result.perSecond);
      }
    }
    await Promise.all([tracing.flush(), sampledTracing.flush()]);
    const check = `${wrong} wrong replies; ${exported} OTLP exports received; ${IN_FLIGHT} asks in flight`;
    return [
      { id: 'asks.tracing-off', value: best.off, unit: 'asks/s', check },
      { id: 'asks.tracing-on', value: best.on, unit: 'asks/s', baseline: 'asks.tracing-off', check, target: '≥ 0.9x of tracing off' },
      { id: `asks.tracing-on.sampled-${SAMPLED}`, value: best.sampled, unit: 'asks/s', baseline: 'asks.tracing-off', check: `${check}; sample_ratio ${SAMPLED}`, target: '≥ 0.9x of tracing off' },
    ];
  } finally {
    await Promise.all([off.close(), on.close(), sampled.close()]);
    await Promise.all([tracing.shutdown(), sampledTracing.shutdown()]);
    await new Promise((resolve) => sink.close(resolve));
  }
}

/** `count` asks with IN_FLIGHT outstanding; each reply must be a number (the counter's value). */
async function askMany(ask: () => Promise<Uint8Array>, count: number): Promise<{ perSecond: number; wrong: number }> {
  let sent = 0;
  let wrong = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (sent < count) {
      sent++;
      const reply = decoder.decode(await ask());
      if (!/^\d+$/.test(reply)) wrong++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return { perSecond: Math.round((count * 1000) / (performance.now() - t0)), wrong };
}
