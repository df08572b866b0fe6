import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem } from '../actors/actor-system.js';
import { Supervisor } from '../actors/supervisor.js';
import { QueueChannel } from '../coord/queue-channel.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { applicationAsks } from './otp-application-asks.js';
import { linkBaselines, microseconds, newReport, percentile, round, type BenchReport, type BenchResult } from './report.js';
import type { SuiteOptions } from './tuplespace-suite.js';

const decoder = new TextDecoder();

/**
 * `plexspaces bench otp`: what the OTP layer costs and how fast it recovers,
 * on 2 workers with the node database in a temporary directory (a real
 * SQLite file, WAL, synchronous=NORMAL):
 * - asks per second to a counter actor (src/wasm/actors/probe.ts) plain,
 *   through the metrics facet, and durable (journal + checkpoints), one at a
 *   time and 64 in flight; each run checks the final count;
 * - the same asks to an application actor activated by id, durable by
 *   default or deployed with durable=false, checked again after a restart;
 * - recovery of a durable actor by replaying its whole journal;
 * - supervisor restart latency (crash → running again, state reset);
 * - queue-channel send/receive/ack pairs per second and lock
 *   acquire/release pairs per second, each checked for exactly-once.
 */
export async function runOtpSuite(options: SuiteOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const report = newReport('otp', quick);
  const dir = mkdtempSync(join(tmpdir(), 'plex-bench-otp-'));
  const system = new ActorSystem({ workers: 2, dataDir: dir });
  try {
    await system.runtime.deploy('probe', builtActorWasm('probe'));
    const n = quick ? 2_000 : 20_000;
    report.notes.push(`Counter actor: src/wasm/actors/probe.ts ("inc"). ${n} asks per row; "durable" journals every message in SQLite before the actor sees it and checkpoints every 100.`);
    for (const [label, facets] of [
      ['plain', []],
      ['metrics', ['metrics']],
      ['durable', [{ name: 'durability', checkpointEvery: 100 }]],
    ] as const) {
      for (const inFlight of [1, 64]) {
        log(`asks: ${label}, ${inFlight} in flight…`);
        const id = await system.spawn('probe', { facets: [...facets] });
        report.results.push(await askRate(system, id, label, inFlight, n));
        await system.stop(id);
      }
    }
    report.results.push(...(await applicationAsks(n, log)));
    report.notes.push('"asks.application.*": asks to an actor of an application deployed as the articles do (src/bench/otp-application-asks.ts), activated by id and reached as every remote surface reaches it (ActorCalls, without HTTP): durable by default, or deployed with durable=false; after the rows the node restarts on the same data directory and each counter is read again.');
    log('durable recovery…');
    report.results.push(await recovery(system, quick ? 2_000 : 20_000));
    log('supervisor restarts…');
    report.results.push(await restartLatency(system, quick ? 20 : 100));
    log('queue channel pairs…');
    report.results.push(await channelPairs(quick ? 20_000 : 200_000));
    log('lock pairs…');
    report.results.push(await lockPairs(system, quick ? 5_000 : 50_000));
  } finally {
    await system.close();
    rmSync(dir, { recursive: true, force: true });
  }
  linkBaselines(report);
  return report;
}

async function askRate(system: ActorSystem, id: string, label: string, inFlight: number, n: number): Promise<BenchResult> {
  for (let i = 0; i < 200; i++) await system.ask(id, 'inc'); // warm-up
  const started = performance.now();
  let sent = 0;
  const lane = async () => {
    while (sent < n) {
      sent++;
      await system.ask(id, 'inc');
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  const count = Number(decoder.decode(await system.ask(id, 'get')));
  if (count !== n + 200) throw new Error(`${label}: the counter reads ${count}, expected ${n + 200}`);
  return {
    id: `asks.${label}.${inFlight}-in-flight`,
    value: Math.round(n / seconds),
    unit: 'asks/s',
    baseline: label === 'plain' ? undefined : `asks.plain.${inFlight}-in-flight`,
    check: `counter = ${count} after ${n} + 200 warm-up asks`,
  };
}

async function recovery(system: ActorSystem, messages: number): Promise<BenchResult> {
  // No checkpoint during the run: recovery replays every message through the actor.
  const facets = [{ name: 'durability', checkpointEvery: 10_000_000 }];
  const id = await system.spawn('probe', { id: 'bench-recovery', facets });
  const asks: Promise<Uint8Array>[] = [];
  for (let i = 0; i < messages; i++) asks.push(system.ask(id, 'inc'));
  await Promise.all(asks);
  await system.kill(id, 'bench');
  const replayed = (await system.journal.entriesAfter(id, (await system.journal.latestCheckpoint(id))?.seq ?? 0)).length;
  const started = performance.now();
  await system.spawn('probe', { id, facets });
  const count = Number(decoder.decode(await system.ask(id, 'get')));
  const ms = performance.now() - started;
  if (count !== messages) throw new Error(`recovery: the counter reads ${count}, expected ${messages}`);
  await system.stop(id);
  return { id: `recovery.durable.${messages}-messages`, value: round(ms, 2), unit: 'ms', check: `counter = ${count} after a kill; ${replayed} journal entries replayed (${Math.round(replayed / (ms / 1000))} messages/s)` };
}

async function restartLatency(system: ActorSystem, rounds: number): Promise<BenchResult> {
  const sup = await Supervisor.start(system, 'bench-sup', { maxRestarts: rounds + 10, maxRestartWindowMs: 60_000, children: [{ id: 'bench-child', module: 'probe' }] });
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await system.ask('bench-child', 'inc');
    const started = performance.now();
    await system.ask('bench-child', 'crash').catch(() => undefined);
    await sup.idle();
    const count = decoder.decode(await system.ask('bench-child', 'get'));
    samples.push(performance.now() - started);
    if (count !== '0') throw new Error(`restart: the restarted child reads ${count}, expected a fresh 0`);
  }
  await sup.stop();
  samples.sort((a, b) => a - b);
  return { id: 'restart.one-for-one.p50', value: microseconds(percentile(samples, 0.5)), unit: 'µs', check: `${rounds} crashes, each child back with a fresh state (p99 ${microseconds(percentile(samples, 0.99))} µs)` };
}

async function channelPairs(n: number): Promise<BenchResult> {
  const queue = new QueueChannel<number>('bench', { capacity: 1000 });
  const seen = new Uint8Array(n);
  const started = performance.now();
  const producer = (async () => {
    for (let i = 0; i < n; i++) await queue.send(i);
  })();
  const consumer = (async () => {
    for (let i = 0; i < n; i++) {
      const d = (await queue.receive())!;
      seen[d.message]++;
      queue.ack(d.id);
    }
  })();
  await Promise.all([producer, consumer]);
  const seconds = (performance.now() - started) / 1000;
  if (!seen.every((c) => c === 1)) throw new Error('channel: a message was lost or delivered twice');
  queue.close();
  return { id: 'channel.queue.pairs', value: Math.round(n / seconds), unit: 'pairs/s', check: `${n} messages through a queue of capacity 1000, each received and acked once` };
}

async function lockPairs(system: ActorSystem, n: number): Promise<BenchResult> {
  const locks = system.coordination.locks;
  const scope = { tenant: 'bench', namespace: 'bench' };
  let last = 0n;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const grant = await locks.acquire(scope, 'l', 'me', { leaseMs: 10_000 });
    const version = BigInt(grant.version);
    if (version <= last) throw new Error('locks: a version did not grow');
    last = version;
    await locks.release(scope, 'l', 'me', grant.version);
  }
  const seconds = (performance.now() - started) / 1000;
  return { id: 'lock.acquire-release.pairs', value: Math.round(n / seconds), unit: 'pairs/s', check: `${n} grants, fencing versions strictly increasing (each persisted in SQLite)` };
}
