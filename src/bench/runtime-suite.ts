import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ActorInstance } from '../runtime/actor-instance.js';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { prepareCoreModule } from '../runtime/core-module.js';
import { HostOp } from '../runtime/core-abi.js';
import { createChannelBuffer, HostCallServer } from '../runtime/host-call-channel.js';
import { hostServices } from '../runtime/host-services.js';
import { buildActor } from '../sdk/build-actor.js';
import { TupleSpace } from '../space/tuple-space.js';
import { linkBaselines, microseconds, newReport, percentile, round, type BenchReport, type BenchResult } from './report.js';
import { piscinaBaseline } from './piscina-baseline.js';
import { tracingCost } from './tracing-cost.js';
import type { SuiteOptions } from './tuplespace-suite.js';

const decoder = new TextDecoder();
const actorWasm = builtActorWasm;

/**
 * `plexspaces bench runtime`: the actor runtime against piscina running the
 * same trivial work, in one run.
 */
export async function runRuntimeSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('runtime', quick);
  const workers = 2;
  report.notes.push(`${workers} worker threads for the runtime and for piscina.`);

  log('piscina baseline…');
  report.results.push(...(await piscinaBaseline(workers, quick)));

  const runtime = new ActorRuntime({ workers });
  try {
    await runtime.deploy('counter', actorWasm('counter'));
    await runtime.deploy('pinger', actorWasm('pinger'));
    log('ask round trips…');
    report.results.push(...(await askLatency(runtime, quick)));
    log('tells across workers…');
    report.results.push(await tellThroughput(runtime, quick));
    log('actor-to-actor sends across workers…');
    report.results.push(await actorToActor(runtime, quick));
    log('host calls from WASM…');
    report.results.push(await hostCallsFromWasm(runtime, quick));
    log('spawn time…');
    report.results.push(await instantiateTime(quick), ...(await spawnTime(runtime, quick)));
  } finally {
    await runtime.close();
  }
  log('component actors (building one with the SDK)…');
  report.results.push(...(await componentTimes(workers, quick)));
  log('host-call channel latency…');
  report.results.push(...(await channelLatency(quick)));
  log('asks/s with tracing off and on…');
  report.results.push(...(await tracingCost(workers, quick)));
  report.notes.push(
    'Actor-to-actor sends go straight from worker to worker in transferred binary batches; tells from the main thread go in msgpackr batches.',
    'Component actors are QuickJS components of examples/actors/calculator.ts, built with `plexspaces build` (componentize-qjs) during the run.',
  );
  linkBaselines(report);
  return report;
}

async function askLatency(runtime: ActorRuntime, quick: boolean): Promise<BenchResult[]> {
  const id = await runtime.spawn('counter');
  const samples: number[] = [];
  let expected = 0;
  let wrong = 0;
  for (let i = 0; i < (quick ? 2000 : 10_000); i++) {
    const t0 = performance.now();
    const reply = await runtime.ask(id, 'inc', '1');
    samples.push(performance.now() - t0);
    if (decoder.decode(reply) !== String(++expected)) wrong++;
  }
  await runtime.stop(id);
  samples.sort((a, b) => a - b);
  const check = `${wrong} wrong counts over ${samples.length} asks`;
  return [
    { id: 'ask-roundtrip.core-actor.p50', value: microseconds(percentile(samples, 0.5)), unit: 'µs', baseline: 'roundtrip.piscina.p50', check },
    { id: 'ask-roundtrip.core-actor.p99', value: microseconds(percentile(samples, 0.99)), unit: 'µs', baseline: 'roundtrip.piscina.p99', check },
  ];
}

/** Tells from the main thread to two actors on two workers, batched per turn. */
async function tellThroughput(runtime: ActorRuntime, quick: boolean): Promise<BenchResult> {
  const a = await runtime.spawn('counter', { worker: 0 });
  const b = await runtime.spawn('counter', { worker: 1 });
  const total = quick ? 200_000 : 1_000_000;
  const wave = 10_000;
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += wave) {
    for (let i = 0; i < wave; i += 2) {
      runtime.tell(a, 'add1');
      runtime.tell(b, 'add1');
    }
    // Let the batch go and keep at most one wave in flight.
    await runtime.ask(a, 'get');
  }
  const [ca, cb] = await Promise.all([runtime.ask(a, 'get'), runtime.ask(b, 'get')]);
  const elapsed = performance.now() - t0;
  const counted = Number(decoder.decode(ca)) + Number(decoder.decode(cb));
  await Promise.all([runtime.stop(a), runtime.stop(b)]);
  return {
    id: 'tells.main-to-2-workers',
    value: Math.round((total * 1000) / elapsed),
    unit: 'msgs/s',
    baseline: 'tasks.piscina.2-threads',
    check: `actors counted ${counted}/${total}`,
  };
}

/** An actor on worker 0 sends to an actor on worker 1 through the host `send` call. */
async function actorToActor(runtime: ActorRuntime, quick: boolean): Promise<BenchResult> {
  const sender = await runtime.spawn('pinger', { worker: 0 });
  const receiver = await runtime.spawn('counter', { worker: 1, id: 'a2a-receiver' });
  const total = quick ? 200_000 : 1_000_000;
  const burst = 10_000;
  // Warm up both workers' paths, then count from the receiver's current total.
  for (let i = 0; i < 5; i++) await runtime.ask(sender, 'fire', `${receiver}\n${burst}`);
  let counted = 0;
  while (counted < 5 * burst) counted = Number(decoder.decode(await runtime.ask(receiver, 'get')));
  const start = counted;
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += burst) await runtime.ask(sender, 'fire', `${receiver}\n${burst}`);
  while (counted < start + total) counted = Number(decoder.decode(await runtime.ask(receiver, 'get')));
  counted -= start;
  const elapsed = performance.now() - t0;
  await Promise.all([runtime.stop(sender), runtime.stop(receiver)]);
  return {
    id: 'actor-to-actor.2-workers',
    value: Math.round((total * 1000) / elapsed),
    unit: 'msgs/s',
    baseline: 'tasks.piscina.2-threads',
    check: `receiver counted ${counted}/${total}`,
    target: '≥ 1000000',
  };
}

async function hostCallsFromWasm(runtime: ActorRuntime, quick: boolean): Promise<BenchResult> {
  await runtime.space.write(['config', 'threshold', 42]);
  const id = await runtime.spawn('pinger');
  const count = quick ? 20_000 : 100_000;
  await runtime.ask(id, 'hostcalls', `1000\n["config", "threshold", null]`);
  const t0 = performance.now();
  const found = Number(decoder.decode(await runtime.ask(id, 'hostcalls', `${count}\n["config", "threshold", null]`, { timeoutMs: 60_000 })));
  const elapsed = performance.now() - t0;
  await runtime.stop(id);
  return {
    id: 'host-call.ts-read.from-wasm.mean',
    value: round((elapsed * 1000) / count, 3),
    unit: 'µs',
    check: `${found}/${count} reads found the tuple`,
    target: '≤ 10 (p50)',
  };
}

/**
 * Creating an actor from a compiled module, timed on one thread: the same
 * `ActorInstance` construction and `plex_init` a worker runs at spawn,
 * without the message round trip.
 */
async function instantiateTime(quick: boolean): Promise<BenchResult> {
  const spec = await prepareCoreModule('counter', actorWasm('counter'));
  const setup = { setup: 'module' as const, name: spec.name, module: spec.module, watchdog: spec.watchdog, maxMemoryPages: spec.maxMemoryPages, importedMemory: spec.importedMemory, has: spec.has };
  const host = { hostCall: () => -1, log: () => undefined, nowMs: () => Date.now() };
  const samples: number[] = [];
  let wrong = 0;
  for (let i = 0; i < (quick ? 500 : 2000); i++) {
    const t0 = performance.now();
    const actor = new ActorInstance(`a${i}`, setup, host, 1000, undefined);
    actor.init(new TextEncoder().encode('7'));
    samples.push(performance.now() - t0);
    if (decoder.decode(actor.handle('get', new Uint8Array(0))!) !== '7') wrong++;
  }
  samples.sort((a, b) => a - b);
  return { id: 'spawn.core-module.instantiate.p50', value: microseconds(percentile(samples, 0.5)), unit: 'µs', check: `${wrong} actors with a wrong initial state`, target: '≤ 100' };
}

async function spawnTime(runtime: ActorRuntime, quick: boolean): Promise<BenchResult[]> {
  const n = quick ? 200 : 1000;
  const t0 = performance.now();
  const ids = await Promise.all(Array.from({ length: n }, () => runtime.spawn('counter')));
  const batched = (performance.now() - t0) / n;
  const sequential: number[] = [];
  for (let i = 0; i < (quick ? 100 : 300); i++) {
    const s0 = performance.now();
    ids.push(await runtime.spawn('counter'));
    sequential.push(performance.now() - s0);
  }
  const alive = runtime.placement().length;
  await Promise.all(ids.map((id) => runtime.stop(id)));
  sequential.sort((a, b) => a - b);
  const check = `${alive} actors alive after spawning`;
  return [
    { id: 'spawn.core-module.concurrent-mean', value: round(batched * 1000, 2), unit: 'µs', check },
    { id: 'spawn.core-module.sequential.p50', value: microseconds(percentile(sequential, 0.5)), unit: 'µs', check },
  ];
}

/** Deploy (jco transpile + compile), spawn and ask for a component actor built with the SDK. */
async function componentTimes(workers: number, quick: boolean): Promise<BenchResult[]> {
  const { component } = await buildActor(fileURLToPath(new URL('../../examples/actors/calculator.ts', import.meta.url)));
  const runtime = new ActorRuntime({ workers });
  try {
    const d0 = performance.now();
    await runtime.deploy('calculator', component);
    const deployMs = performance.now() - d0;
    // The first spawn on each worker evaluates the transpiled JS and compiles lazily.
    const f0 = performance.now();
    const first = await Promise.all(Array.from({ length: workers }, (_, w) => runtime.spawn('calculator', { worker: w })));
    const firstMs = performance.now() - f0;
    const spawns: number[] = [];
    for (let i = 0; i < (quick ? 20 : 100); i++) {
      const s0 = performance.now();
      await runtime.spawn('calculator');
      spawns.push(performance.now() - s0);
    }
    spawns.sort((a, b) => a - b);
    const asks: number[] = [];
    let wrong = 0;
    for (let i = 0; i < (quick ? 500 : 5000); i++) {
      const s0 = performance.now();
      const reply = JSON.parse(decoder.decode(await runtime.ask(first[0], 'add', `{"operands":[${i},1]}`)));
      asks.push(performance.now() - s0);
      if (reply.result !== i + 1) wrong++;
    }
    asks.sort((a, b) => a - b);
    const check = `${wrong} wrong sums; ${runtime.placement().length} component actors alive`;
    return [
      { id: 'component.deploy', value: round(deployMs, 1), unit: 'ms', check: `${(component.byteLength / 2 ** 20).toFixed(1)} MiB component` },
      { id: 'spawn.component.first-per-worker', value: round(firstMs, 1), unit: 'ms', check },
      { id: 'spawn.component.p50', value: round(percentile(spawns, 0.5), 2), unit: 'ms', check, target: '≤ 5' },
      { id: 'ask-roundtrip.component.p50', value: microseconds(percentile(asks, 0.5)), unit: 'µs', baseline: 'ask-roundtrip.core-actor.p50', check },
    ];
  } finally {
    await runtime.close();
  }
}

/** Round trip of one `ts-read` through the SAB channel, timed per call inside a worker. */
async function channelLatency(quick: boolean): Promise<BenchResult[]> {
  const space = new TupleSpace();
  await space.write(['config', 'threshold', 42]);
  const channel = createChannelBuffer();
  const noActors = () => {
    throw new Error('no actors here');
  };
  const server = new HostCallServer(channel, hostServices({ space, ask: () => Promise.reject(new Error('no actors here')), spawnDetached: noActors, stopDetached: noActors }));
  const count = quick ? 20_000 : 100_000;
  const worker = new Worker(new URL('./host-call-probe.js', import.meta.url), {
    workerData: { channel, op: HostOp.TsRead, request: new TextEncoder().encode('["config", "threshold", null]'), count },
  });
  const { samples, failures } = await new Promise<{ samples: Float64Array; failures: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  server.stop();
  await space.close();
  const sorted = Array.from(samples.subarray(Math.floor(count / 10))).sort((a, b) => a - b);
  const check = `${failures} calls failed; first 10% dropped as warm-up`;
  return [
    { id: 'host-call.ts-read.channel.p50', value: microseconds(percentile(sorted, 0.5)), unit: 'µs', check, target: '≤ 10' },
    { id: 'host-call.ts-read.channel.p99', value: microseconds(percentile(sorted, 0.99)), unit: 'µs', check },
  ];
}


