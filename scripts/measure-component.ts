// Rough costs of one component actor module in a bare runtime (one worker): prepare (jco transpile,
// watchdog instrumentation, compile), deploy, spawn of five instances, and the p50/p99 of 2000 asks
// in a row. For comparing languages by hand (docs/polyglot.md cites its figures); not a benchmark
// with rounds and baselines (src/bench is).
//
//   node --import tsx scripts/measure-component.ts actor.wasm [message-type] [payload-json]
import { readFileSync } from 'node:fs';
import { ActorRuntime } from '../src/runtime/actor-runtime.js';
import { prepareComponent } from '../src/runtime/component-module.js';

const [file, type = 'add', payload = JSON.stringify({ operands: [10, 20, 30] })] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: measure-component.ts actor.wasm [message-type] [payload-json]\n');
  process.exit(2);
}
const wasm = readFileSync(file);
const ms = (since: number) => (performance.now() - since).toFixed(0);
let started = performance.now();
await prepareComponent('measured', wasm);
process.stdout.write(`size ${(wasm.byteLength / 2 ** 20).toFixed(1)} MiB, prepare ${ms(started)} ms\n`);
const runtime = new ActorRuntime({ workers: 1 });
try {
  started = performance.now();
  await runtime.deploy('measured', wasm);
  process.stdout.write(`deploy ${ms(started)} ms\n`);
  const spawns: string[] = [];
  let id = '';
  for (let i = 0; i < 5; i++) {
    started = performance.now();
    id = await runtime.spawn('measured');
    spawns.push(ms(started));
  }
  process.stdout.write(`spawn ms (first to fifth) ${spawns.join(' ')}\n`);
  const asks: number[] = [];
  for (let i = 0; i < 2000; i++) {
    started = performance.now();
    await runtime.ask(id, type, payload);
    asks.push(performance.now() - started);
  }
  asks.sort((a, b) => a - b);
  process.stdout.write(`ask ${type}: p50 ${(asks[1000] * 1000).toFixed(0)} us, p99 ${(asks[1980] * 1000).toFixed(0)} us\n`);
} finally {
  await runtime.close();
}
