import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolchainMissingError } from '../errors.js';
import { buildNative } from '../polyglot/build-native.js';
import { buildPython } from '../polyglot/build-python.js';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { buildActor } from '../sdk/build-actor.js';
import { formatNumber, linkBaselines, microseconds, newReport, percentile, round, type BenchReport } from './report.js';
import type { SuiteOptions } from './tuplespace-suite.js';

const SOURCES = fileURLToPath(new URL('../../native-bench/polyglot/', import.meta.url));
const BUILD = fileURLToPath(new URL('../../native-bench/build/', import.meta.url));
const SPIN_N = 1_000_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One language's actor: where its source is and how `plexspaces build` makes it. */
interface LanguageActor {
  readonly language: string;
  /** What the build runs (the articles' "Compiler" column). */
  readonly compiler: string;
  readonly kind: 'component' | 'core module';
  readonly build: () => Promise<Uint8Array>;
}

const LANGUAGES: readonly LanguageActor[] = [
  { language: 'rust', compiler: 'cargo, wasm32-unknown-unknown (Debian rustc 1.63), no_std', kind: 'core module', build: async () => (await buildNative(join(SOURCES, 'rust'))).wasm },
  { language: 'rust-component', compiler: 'cargo + wit-bindgen (rustc 1.96, std from source), jco componentNew', kind: 'component', build: async () => (await buildNative(join(SOURCES, 'rust-component'))).wasm },
  { language: 'c', compiler: 'clang 14 + wasi-libc, -O2', kind: 'core module', build: async () => (await buildNative(join(SOURCES, 'bench-actor.c'))).wasm },
  { language: 'go', compiler: 'go (GOOS=wasip1, -buildmode=c-shared)', kind: 'core module', build: async () => (await buildNative(join(SOURCES, 'go'))).wasm },
  { language: 'typescript', compiler: 'componentize-js (SpiderMonkey)', kind: 'component', build: async () => (await buildActor(join(SOURCES, 'bench-actor.ts'))).component },
  {
    language: 'python',
    compiler: 'componentize-py (CPython)',
    kind: 'component',
    build: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'plex-bench-polyglot-'));
      try {
        const out = join(dir, 'bench_actor.wasm');
        await buildPython(join(SOURCES, 'bench_actor.py'), out);
        return new Uint8Array(readFileSync(out));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];

/**
 * `plexspaces bench polyglot`: the articles' "Language Toolchains" table
 * with figures measured here. One actor per language (native-bench/polyglot,
 * the same two handlers in each), built from source by that language's
 * toolchain, then on a one-worker runtime: what the build made (size, build
 * time), deploying it (compile), spawning instances (cold start), an ask's
 * round trip, and the calculator's arithmetic 10⁶ times in one handler,
 * against the same loop in C built natively with gcc -O3 -march=native. Every spin reply
 * must equal the value Node computes; a language whose toolchain is missing
 * is listed in the notes, not measured.
 */
export async function runPolyglotSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('polyglot', quick);
  const spawns = quick ? 5 : 20;
  const asks = quick ? 300 : 3_000;
  const spinRuns = quick ? 1 : 10;
  const expected = spinInNode(SPIN_N).result;

  log('native C baseline (gcc -O3 -march=native)…');
  const native = nativeSpin();
  if ('skipped' in native) report.notes.push(`native C baseline skipped: ${native.skipped}`);
  else {
    if (native.result !== expected) throw new Error(`native spin answered ${native.result}, Node computes ${expected}`);
    report.results.push({ id: 'spin.native-c.1e6', value: round(native.seconds * 1000, 3), unit: 'ms', check: `result ${native.result} = Node's (best of 30, gcc -O3 -march=native)` });
  }
  const node = bestOf(30, () => spinInNode(SPIN_N));
  report.results.push({ id: 'spin.node-v8.1e6', value: round(node.ms, 3), unit: 'ms', baseline: 'spin.native-c.1e6', check: `result ${node.result} (plain JS in the bench process, V8's JIT; best of 30)` });

  const rows: string[] = [];
  for (const actor of LANGUAGES) {
    log(`${actor.language}: building…`);
    let wasm: Uint8Array;
    const buildStarted = performance.now();
    try {
      wasm = await actor.build();
    } catch (error) {
      if (error instanceof ToolchainMissingError) {
        report.notes.push(`${actor.language}: not measured, its toolchain is missing: ${error.message}`);
        continue;
      }
      throw error;
    }
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    const measured = await measure(actor, wasm, { spawns, asks, spinRuns, expected, log });
    const id = actor.language;
    report.results.push(
      { id: `size.${id}`, value: round(wasm.byteLength / 1024, 1), unit: 'KiB', check: `${actor.kind}, as the build wrote it (${actor.compiler})` },
      { id: `build.${id}`, value: round(buildSeconds, 2), unit: 's', check: 'from source, caches as the toolchain keeps them' },
      { id: `deploy.${id}`, value: round(measured.deployMs, 1), unit: 'ms', check: 'validate + compile (+ transpile, for a component) on a one-worker runtime' },
      { id: `spawn.${id}.p50`, value: round(measured.spawnP50, 2), unit: 'ms', check: `${spawns} spawns, each answered its first ping (p90 ${round(measured.spawnP90, 2)} ms)` },
      { id: `ask.${id}.p50`, value: microseconds(measured.askP50), unit: 'µs', check: `${asks} sequential pings, each replied {"pong": true} (p99 ${microseconds(measured.askP99)} µs)` },
      { id: `spin.${id}.1e6`, value: round(measured.spinMs, 2), unit: 'ms', baseline: 'spin.native-c.1e6', check: `result ${measured.spinResult} = Node's; best of ${spinRuns}, ask round trip included` },
    );
    const size = wasm.byteLength >= 2 ** 20 ? `${(wasm.byteLength / 2 ** 20).toFixed(1)} MiB` : `${(wasm.byteLength / 1024).toFixed(1)} KiB`;
    const versusNative = 'skipped' in native ? '' : ` (${formatNumber(measured.spinMs / (native.seconds * 1000))}× native C)`;
    rows.push(`| ${actor.language} | ${actor.compiler} | ${size} | ${formatNumber(measured.spawnP50)} ms | ${formatNumber(measured.askP50 * 1000)} µs | ${formatNumber(measured.spinMs)} ms${versusNative} |`);
  }
  linkBaselines(report);
  report.sections = [
    [
      '## The articles\' "Language Toolchains" table, measured here',
      '',
      '| language | compiler | WASM size | spawn p50 | ask p50 | 10⁶ calculator steps |',
      '|---|---|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  ];
  report.notes.push(
    `spin: the calculator's four operations in float64, ${SPIN_N} times in one handler (native-bench/polyglot/README.md); each language's reply is checked against Node's value ${expected}. Ratios on spin rows are times the native C loop (gcc -O3 -march=native), so lower is better.`,
    'spawn: from the spawn call to its first ping answered, a new instance each time (the module was compiled at deploy). ask: one ping at a time from the main thread, after 50 warm-up pings.',
  );
  return report;
}

interface Measured {
  readonly deployMs: number;
  readonly spawnP50: number;
  readonly spawnP90: number;
  readonly askP50: number;
  readonly askP99: number;
  readonly spinMs: number;
  readonly spinResult: number;
}

async function measure(
  actor: LanguageActor,
  wasm: Uint8Array,
  plan: { spawns: number; asks: number; spinRuns: number; expected: number; log: (line: string) => void },
): Promise<Measured> {
  // A minute per handler: CPython's spin takes seconds, and the watchdog would call that a runaway.
  const runtime = new ActorRuntime({ workers: 1, watchdogMs: 60_000 });
  try {
    const deployStarted = performance.now();
    await runtime.deploy(actor.language, wasm);
    const deployMs = performance.now() - deployStarted;

    plan.log(`${actor.language}: ${plan.spawns} spawns…`);
    const spawnTimes: number[] = [];
    for (let i = 0; i < plan.spawns; i++) {
      const started = performance.now();
      const id = await runtime.spawn(actor.language);
      expectPong(await runtime.ask(id, 'ping', encoder.encode('{}')), actor.language);
      spawnTimes.push(performance.now() - started);
      await runtime.stop(id);
    }
    spawnTimes.sort((a, b) => a - b);

    plan.log(`${actor.language}: ${plan.asks} asks…`);
    const id = await runtime.spawn(actor.language);
    const ping = encoder.encode('{}');
    for (let i = 0; i < 50; i++) expectPong(await runtime.ask(id, 'ping', ping), actor.language);
    const askTimes: number[] = [];
    for (let i = 0; i < plan.asks; i++) {
      const started = performance.now();
      const reply = await runtime.ask(id, 'ping', ping);
      askTimes.push(performance.now() - started);
      expectPong(reply, actor.language);
    }
    askTimes.sort((a, b) => a - b);

    plan.log(`${actor.language}: spin ${SPIN_N}…`);
    let spinMs = Infinity;
    let spinResult = NaN;
    const spin = encoder.encode(JSON.stringify({ n: SPIN_N }));
    for (let r = 0; r < plan.spinRuns; r++) {
      const started = performance.now();
      const reply = JSON.parse(decoder.decode(await runtime.ask(id, 'spin', spin, { timeoutMs: 120_000 }))) as { result?: unknown };
      spinMs = Math.min(spinMs, performance.now() - started);
      spinResult = Number(reply.result);
      if (spinResult !== plan.expected) throw new Error(`${actor.language}: spin answered ${JSON.stringify(reply)}, Node computes ${plan.expected}`);
    }
    return {
      deployMs,
      spawnP50: percentile(spawnTimes, 0.5),
      spawnP90: percentile(spawnTimes, 0.9),
      askP50: percentile(askTimes, 0.5),
      askP99: percentile(askTimes, 0.99),
      spinMs,
      spinResult,
    };
  } finally {
    await runtime.close();
  }
}

function expectPong(reply: Uint8Array, language: string): void {
  const text = decoder.decode(reply);
  if ((JSON.parse(text) as { pong?: unknown }).pong !== true) throw new Error(`${language}: ping answered ${text}`);
}

/** The spin loop of native-bench/polyglot/README.md, in the bench process. */
function spinInNode(n: number): { result: number; ms: number } {
  const started = performance.now();
  let acc = 1;
  for (let i = 0; i < n; i++) {
    const v = (i % 7) + 1;
    switch (i % 4) {
      case 0:
        acc = acc + v;
        break;
      case 1:
        acc = acc - v * 0.5;
        break;
      case 2:
        acc = acc * 1.0000001;
        break;
      default:
        acc = acc / 1.0000002;
    }
  }
  return { result: Math.trunc(acc * 1e6), ms: performance.now() - started };
}

function bestOf(runs: number, run: () => { result: number; ms: number }): { result: number; ms: number } {
  let best = run();
  for (let r = 1; r < runs; r++) {
    const next = run();
    if (next.ms < best.ms) best = next;
  }
  return best;
}

function nativeSpin(): { result: number; seconds: number } | { skipped: string } {
  mkdirSync(BUILD, { recursive: true });
  const binary = join(BUILD, 'spin');
  const gcc = spawnSync('gcc', ['-O3', '-march=native', '-o', binary, join(SOURCES, 'spin.c')], { encoding: 'utf8' });
  if (gcc.error || gcc.status !== 0) return { skipped: `gcc -O3 -march=native: ${gcc.error?.message ?? gcc.stderr.trim().split('\n')[0]}` };
  const run = spawnSync(binary, [String(SPIN_N)], { encoding: 'utf8', timeout: 60_000 });
  if (run.error || run.status !== 0) return { skipped: `${binary}: ${run.error?.message ?? run.stderr}` };
  return JSON.parse(run.stdout) as { result: number; seconds: number };
}

