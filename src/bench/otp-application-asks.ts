import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlexNode } from '../node/plex-node.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { ActorCalls } from '../server/actor-calls.js';
import type { BenchResult } from './report.js';

const scope = { tenant: 'default', namespace: 'default' };

/**
 * What the articles' default costs: asks to an application actor activated
 * by id, as every remote surface reaches it (ActorCalls, without the HTTP
 * layer), for an application deployed as the articles do (durable by
 * default) and one deployed with `durable: false`. Each row is checked, and
 * then the node is restarted on the same data directory: the durable
 * counter must read its full count, the ephemeral one 0.
 */
export async function applicationAsks(n: number, log: (line: string) => void): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'plex-bench-app-asks-'));
  const rows: { actor: string; result: Omit<BenchResult, 'check'> }[] = [];
  const counts = new Map<string, number>();
  const results: BenchResult[] = [];
  try {
    let node = new PlexNode({ dataDir: dir, workers: 2 });
    const probe = builtActorWasm('probe');
    await node.applications.deploy('default', 'durable-app', 'durable-app', '1', probe);
    await node.applications.deploy('default', 'ephemeral-app', 'ephemeral-app', '1', probe, { durable: false });
    let calls = new ActorCalls(node, undefined, 30_000);
    for (const app of ['ephemeral-app', 'durable-app']) {
      for (const inFlight of [1, 64]) {
        const id = `${app}-${inFlight}`;
        log(`asks: application ${app}, ${inFlight} in flight…`);
        for (let i = 0; i < 200; i++) await calls.ask(scope, id, 'inc', {}, { application: app });
        const started = performance.now();
        let sent = 0;
        const lane = async () => {
          while (sent < n) {
            sent++;
            await calls.ask(scope, id, 'inc', {}, { application: app });
          }
        };
        await Promise.all(Array.from({ length: inFlight }, lane));
        const seconds = (performance.now() - started) / 1000;
        const count = Number(await calls.ask(scope, id, 'get', {}));
        if (count !== n + 200) throw new Error(`${id}: the counter reads ${count}, expected ${n + 200}`);
        counts.set(id, count);
        rows.push({
          actor: id,
          result: {
            id: `asks.application.${app === 'durable-app' ? 'durable-default' : 'durable-false'}.${inFlight}-in-flight`,
            value: Math.round(n / seconds),
            unit: 'asks/s',
            baseline: app === 'durable-app' ? `asks.application.durable-false.${inFlight}-in-flight` : `asks.plain.${inFlight}-in-flight`,
          },
        });
      }
    }
    log('application actors after a node restart…');
    await node.stop();
    node = new PlexNode({ dataDir: dir, workers: 2 });
    try {
      await node.restoreApplications();
      calls = new ActorCalls(node, undefined, 30_000);
      for (const { actor, result } of rows) {
        const after = Number(await calls.ask(scope, actor, 'get', {}));
        const expected = actor.startsWith('durable') ? counts.get(actor)! : 0;
        if (after !== expected) throw new Error(`${actor}: after a restart the counter reads ${after}, expected ${expected}`);
        results.push({ ...result, check: `counter = ${counts.get(actor)} after ${n} + 200 warm-up asks; ${after} after a node restart` });
      }
    } finally {
      await node.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
