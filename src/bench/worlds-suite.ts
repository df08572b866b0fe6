import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPython, findPythonToolchain } from '../polyglot/build-python.js';
import { PLATFORM_WORLDS } from '../runtime/capabilities.js';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import { buildActor } from '../sdk/build-actor.js';
import { microseconds, newReport, percentile, round, type BenchReport } from './report.js';
import type { SuiteOptions } from './tuplespace-suite.js';

const ACTOR = fileURLToPath(new URL('../../native-bench/polyglot/bench-actor.ts', import.meta.url));
const PYTHON_ACTOR = fileURLToPath(new URL('../../native-bench/polyglot/bench_actor.py', import.meta.url));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Every world the same messaging-only actor can be built for: the five platform worlds and the printed two. */
const WORLDS = [...Object.keys(PLATFORM_WORLDS), 'actor-world', 'full-actor-world'];

/**
 * `plexspaces bench worlds`: does a narrower world make a smaller, faster
 * actor? The articles say it keeps binaries small. One actor per language
 * (native-bench/polyglot/bench-actor.ts and bench_actor.py, messaging only,
 * so every world covers it) is built by `plexspaces build --world W` for
 * each world; each build is deployed on a one-worker runtime and measured:
 * component size, deploy (validate + transpile + compile), spawn to first
 * reply, and an ask's round trip. Every reply is checked (`{"pong": true}`),
 * and each deployed module must report the world it was built for.
 */
export async function runWorldsSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('worlds', quick);
  const typescript = new Map<string, Uint8Array>();
  for (const world of WORLDS) {
    log(`TypeScript, ${world}: building…`);
    typescript.set(world, (await buildActor(ACTOR, { world })).component);
  }
  const sections = [await measureWorlds('ts', 'TypeScript (componentize-qjs)', typescript, options, report)];
  const python = await buildPythonWorlds(log);
  if (python instanceof Map) sections.push(await measureWorlds('py', 'Python (componentize-py)', python, options, report));
  else report.notes.push(`Python rows left out: ${python}`);
  for (const [i, r] of report.results.entries()) {
    const base = report.results.find((b) => b.id === r.baseline);
    if (base !== undefined && base.value !== 0) report.results[i] = { ...r, ratio: Number((r.value / base.value).toPrecision(3)) };
  }
  report.sections = sections;
  report.notes.push(
    "The actors are the polyglot benchmark's (native-bench/polyglot/bench-actor.ts and bench_actor.py: messaging only, so every world covers them), built by `plexspaces build --world W`. componentize-qjs and componentize-py embed an engine (QuickJS, CPython) that imports every interface of the world it is given, so a wider world adds its imports' glue to the component even when the actor calls none of them.",
    `Components built by toolchains that link only the imports the code calls (wit-component from a core module: Rust with wit-bindgen, TinyGo) import the same interfaces whatever world they name, so for them the world is a ceiling on what the actor may reach, not a size: the Rust SDK binds the widest world and its components import only what they call.`,
    `Spawn is from the spawn call to the first ping answered, a new instance each time; spawns and asks run in rounds across the worlds on one runtime per language, after a warm-up deploy. Back-to-back runs on this 2-core VM moved one world's ask p50 between 41 and 80 µs, so differences in spawn and ask below about 2× are noise, not the world.`,
  );
  return report;
}

/** The Python bench actor built for every world, or why it could not be (no componentize-py here). */
async function buildPythonWorlds(log: (line: string) => void): Promise<Map<string, Uint8Array> | string> {
  try {
    findPythonToolchain();
  } catch (error) {
    return (error as Error).message;
  }
  const dir = mkdtempSync(join(tmpdir(), 'plex-bench-worlds-'));
  try {
    const built = new Map<string, Uint8Array>();
    for (const world of WORLDS) {
      log(`Python, ${world}: building (componentize-py)…`);
      const out = join(dir, `${world}.wasm`);
      const result = await buildPython(PYTHON_ACTOR, out, { world });
      if (result.world !== world) throw new Error(`Python build for ${world} reported world ${result.world}`);
      built.set(world, new Uint8Array(readFileSync(out)));
    }
    return built;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Deploys one build per world on a one-worker runtime and measures size,
 * deploy, spawn to first reply and an ask's round trip; answers the
 * section's table. Every reply is checked, and each module must be held to
 * the world it was built for.
 */
async function measureWorlds(prefix: string, label: string, builds: Map<string, Uint8Array>, options: SuiteOptions, report: BenchReport): Promise<string> {
  const { quick, log } = options;
  const spawns = quick ? 5 : 20;
  const asks = quick ? 300 : 2_000;
  const rows: string[] = [];
  // One runtime for all, and every measurement taken in rounds across the worlds, so drift in the machine's speed
  // (JIT warm-up, a neighbour's load) falls on every world alike instead of on whichever ran first.
  const runtime = new ActorRuntime({ workers: 1 });
  try {
    const deployMs = new Map<string, number>();
    // The first deploy also warms the transpiler and the preparation thread: not any world's cost.
    await runtime.deploy('warm-up', builds.get('simple-actor')!);
    for (const world of WORLDS) {
      const started = performance.now();
      await runtime.deploy(world, builds.get(world)!);
      deployMs.set(world, performance.now() - started);
      const granted = runtime.moduleGrants(world);
      if (granted?.world !== world) throw new Error(`${label} ${world}: deployed as ${granted?.world}`);
    }
    const spawnTimes = new Map<string, number[]>(WORLDS.map((w) => [w, []]));
    const askTimes = new Map<string, number[]>(WORLDS.map((w) => [w, []]));
    log(`${label}: ${spawns} rounds of spawns…`);
    for (let i = 0; i < spawns; i++) {
      for (const world of WORLDS) {
        const started = performance.now();
        const id = await runtime.spawn(world);
        expectPong(await runtime.ask(id, 'ping', encoder.encode('{}')), world);
        spawnTimes.get(world)!.push(performance.now() - started);
        await runtime.stop(id);
      }
    }
    const ids = new Map<string, string>();
    for (const world of WORLDS) {
      const id = await runtime.spawn(world);
      for (let i = 0; i < 50; i++) expectPong(await runtime.ask(id, 'ping', encoder.encode('{}')), world);
      ids.set(world, id);
    }
    log(`${label}: ${asks} asks per world, in rounds of 100…`);
    for (let done = 0; done < asks; done += 100) {
      for (const world of WORLDS) {
        const id = ids.get(world)!;
        for (let i = 0; i < 100; i++) {
          const started = performance.now();
          const reply = await runtime.ask(id, 'ping', encoder.encode('{}'));
          askTimes.get(world)!.push(performance.now() - started);
          expectPong(reply, world);
        }
      }
    }
    for (const world of WORLDS) {
      const component = builds.get(world)!;
      const spawn = spawnTimes.get(world)!.sort((a, b) => a - b);
      const ask = askTimes.get(world)!.sort((a, b) => a - b);
      const imports = world in PLATFORM_WORLDS ? PLATFORM_WORLDS[world as keyof typeof PLATFORM_WORLDS].length : world === 'actor-world' ? 1 : 2;
      const id = (what: string) => `${prefix}.${what}`;
      report.results.push(
        { id: id(`size.${world}`), value: round(component.byteLength / 1024, 1), unit: 'KiB', baseline: id('size.simple-actor'), check: `${label}, built for ${world} (${imports} host interface${imports === 1 ? '' : 's'}), deployed as ${world}` },
        { id: id(`deploy.${world}`), value: round(deployMs.get(world)!, 1), unit: 'ms', baseline: id('deploy.simple-actor'), check: 'validate + transpile + compile on a one-worker runtime' },
        { id: id(`spawn.${world}.p50`), value: round(percentile(spawn, 0.5), 2), unit: 'ms', baseline: id('spawn.simple-actor.p50'), check: `${spawns} spawns, each answered its first ping (p90 ${round(percentile(spawn, 0.9), 2)} ms)` },
        { id: id(`ask.${world}.p50`), value: microseconds(percentile(ask, 0.5)), unit: 'µs', baseline: id('ask.simple-actor.p50'), check: `${ask.length} sequential pings, each replied {"pong": true}` },
      );
      rows.push(`| ${world} | ${imports} | ${(component.byteLength / 1024).toFixed(1)} KiB | ${deployMs.get(world)!.toFixed(0)} ms | ${percentile(spawn, 0.5).toFixed(2)} ms | ${(percentile(ask, 0.5) * 1000).toFixed(1)} µs |`);
    }
  } finally {
    await runtime.close();
  }
  return [`## ${label}: one actor, built for each world`, '', '| world | host interfaces | component | deploy | spawn p50 | ask p50 |', '|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

function expectPong(reply: Uint8Array, world: string): void {
  const text = decoder.decode(reply);
  if ((JSON.parse(text) as { pong?: unknown }).pong !== true) throw new Error(`${world}: ping answered ${text}`);
}
