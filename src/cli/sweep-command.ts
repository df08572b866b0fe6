import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { PlexClient } from '../client/plex-client.js';
import { InvalidArgumentError, UsageError, shown } from '../errors.js';
import { loadSweepFile } from '../sweep/load-sweep-file.js';
import { assertSweepPassed, describeParams, type SweepPointResult } from '../sweep/run-sweep.js';
import { sweepOnNode, type SweepContext } from '../sweep/sweep-context.js';
import { saveSweep } from '../sweep/sweep-output.js';
import type { SweepSpec, SweepValue } from '../sweep/sweep-spec.js';
import { parseCommandArgs } from './parse.js';
import { ProgressBar } from './progress.js';

const HELP = `usage: plexspaces sweep <sweep.mjs> [options]

Runs your kernel over a grid of parameters: at every point, setup, warm-up
runs, timed runs, teardown; every run's result goes through your check.
Writes <name>.json, .csv, .svg (median with quartile whiskers) and .md.
The file is an ES module whose default export is the sweep (docs/sweeps.md):

  export default {
    name: 'matmul',
    grid: { n: [128, 256, 512], actors: [1, 2] },
    warmup: 1, repetitions: 5,
    async setup(p, ctx) { await ctx.deploy('matmul.c', 'matmul'); },
    run: (p, ctx) => ctx.client.actors.ask('mm', 'multiply', { n: p.n }, { application: 'matmul' }),
    check: (reply, p) => reply.n === p.n || 'wrong size',
    metric: { unit: 'GFLOP/s', value: (p, seconds) => (2 * p.n ** 3) / seconds / 1e9 },
  };

ctx.client is a websocket client of the node (spaces, actors, shard groups,
jobs); ctx.deploy(source, applicationId) builds your actor (.ts .py .c, a Go
or Rust directory, or a .wasm as it is) and deploys it there.

options:
  --node URL           run against this running node (default: start one here,
                       in memory, on free ports, and stop it after)
  --workers K          worker threads of the node started here (default: cores)
  --tenant T           the client's tenant (default sweep); --namespace NS (default default)
  --token JWT          when the node has auth on (env PLEXSPACES_TOKEN)
  --set P=V1,V2,...    replace grid parameter P's values (numbers where they parse); repeatable
  --warmup N, --repetitions N   replace the file's
  --out DIR            where the report goes (default sweep-results)
  --json               print the report as JSON on stdout (progress stays on stderr)
  --quiet              no progress bar
Exit status: 0 every run passed its check; 1 a point failed (each named on stderr); 2 wrong usage.
`;

function gridValue(text: string): SweepValue {
  if (text === 'true' || text === 'false') return text === 'true';
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}

function nonNegativeInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${shown(text)}`);
  return value;
}

/** The sweep file, its faults as wrong usage (exit 2). */
async function loadSweep(file: string): Promise<SweepSpec<unknown, SweepContext>> {
  try {
    return await loadSweepFile(file);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new UsageError(error.message);
    throw error;
  }
}

function pointLine(point: SweepPointResult, unit: string | undefined): string {
  const params = describeParams(point.params);
  if (point.status === 'failed') return `${params}: FAILED — ${point.failure}\n`;
  const time = point.time!;
  const ms = (s: number) => (s >= 1 ? `${s.toFixed(3)} s` : `${(s * 1000).toPrecision(3)} ms`);
  const metric = point.metric !== undefined && unit !== undefined ? `, ${point.metric.median.toPrecision(4)} ${unit}` : '';
  return `${params}: ${ms(time.median)} median (${ms(time.min)}–${ms(time.max)}, IQR ${(time.relativeSpread * 100).toFixed(1)}% of the median)${metric}, check passed ×${point.seconds.length}\n`;
}

export async function sweepCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      node: { type: 'string' },
      workers: { type: 'string' },
      tenant: { type: 'string' },
      namespace: { type: 'string' },
      token: { type: 'string' },
      set: { type: 'string', multiple: true },
      warmup: { type: 'string' },
      repetitions: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`sweep needs exactly one sweep file\n\n${HELP}`);
  if (values.node !== undefined && values.workers !== undefined) throw new UsageError('--workers sizes the node started here; a --node runs with its own');
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
  if (!Number.isSafeInteger(workers) || workers < 1) throw new UsageError(`--workers must be a positive integer, got ${shown(values.workers)}`);

  const loaded = await loadSweep(positionals[0]);
  const grid: Record<string, readonly SweepValue[]> = { ...(loaded.grid ?? {}) };
  for (const assignment of values.set ?? []) {
    const eq = assignment.indexOf('=');
    if (eq <= 0 || eq === assignment.length - 1) throw new UsageError(`--set takes PARAM=V1,V2,…, got ${shown(assignment)}`);
    const param = assignment.slice(0, eq);
    if (!(param in grid)) throw new UsageError(`--set ${param}: the sweep has no grid parameter ${shown(param)} (it has ${Object.keys(grid).join(', ')})`);
    grid[param] = assignment.slice(eq + 1).split(',').map(gridValue);
  }
  const spec: SweepSpec<unknown, SweepContext> = {
    ...loaded,
    grid,
    ...(values.warmup !== undefined ? { warmup: nonNegativeInt('warmup', values.warmup) } : {}),
    ...(values.repetitions !== undefined ? { repetitions: nonNegativeInt('repetitions', values.repetitions) } : {}),
  };

  // The kernel runs in a node of its own process (started here unless --node), never in this one:
  // the sweep's own bookkeeping must not share an event loop with what it measures.
  let started: Awaited<ReturnType<typeof import('../client/notebook.js').startNode>> | undefined;
  let http = values.node?.replace(/\/+$/, '');
  if (http === undefined) {
    const { startNode } = await import('../client/notebook.js');
    if (!values.quiet) process.stderr.write(`starting a node with ${workers} workers (in memory)…\n`);
    started = await startNode({ workers });
    http = started.http;
  } else {
    try {
      new URL(http);
    } catch {
      throw new UsageError(`--node must be a URL like http://127.0.0.1:8001, got ${shown(http)}`);
    }
  }
  const token = values.token ?? process.env.PLEXSPACES_TOKEN;
  const tenant = values.tenant ?? 'sweep';
  try {
    const client = await PlexClient.connect(`${http.replace(/^http/, 'ws')}/ws`, { token, tenant, namespace: values.namespace ?? 'default' });
    try {
      const bar = new ProgressBar(`sweep ${spec.name}`, !values.quiet);
      const report = await sweepOnNode(spec, client, {
        http,
        token,
        tenant,
        workers: started !== undefined ? workers : undefined,
        where: started !== undefined ? `a node started by plexspaces sweep, ${workers} workers, in memory` : `the node at ${http}`,
        onProgress: (p) => bar.update(p.done, p.total),
        onPoint: (point) => {
          if (!values.json) process.stdout.write(pointLine(point, spec.metric?.unit));
        },
      });
      const files = saveSweep(report, resolve(values.out ?? 'sweep-results'));
      if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`wrote ${files.join(', ')}\n`);
      assertSweepPassed(report);
      return 0;
    } finally {
      client.close();
    }
  } finally {
    await started?.stop();
  }
}
