/**
 * `plexspaces/notebook`: what a Jupyter notebook (tslab kernel) needs to run
 * experiments on a node — start one, connect over the websocket, stream a
 * run's progress into the cell, and render tables and charts as rich output.
 *
 * tslab runs cells as CommonJS, so this entry is also built as a CommonJS
 * bundle (dist/client/notebook.cjs); it reaches the node only through the
 * websocket, never in-process.
 *
 *   import * as tslab from 'tslab';
 *   import { startNode, lineChart } from 'plexspaces/notebook';
 *   const node = await startNode();                  // a node on free ports, stopped with node.stop()
 *   const client = await node.connect({ tenant: 'lab' });
 *   tslab.display.html(lineChart({ … }));
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { deployActor, packageRoot } from './deploy-actor.js';
import { PlexClient, type ConnectOptions } from './plex-client.js';
import type { SweepReport } from '../sweep/run-sweep.js';
import { sweepOnNode, type NodeSweepOptions, type SweepContext } from '../sweep/sweep-context.js';
import type { SweepSpec } from '../sweep/sweep-spec.js';

export { PlexClient, RemoteSpace } from './plex-client.js';
export { any } from '../tuple/types.js';

export interface StartedNode {
  readonly http: string;
  readonly ws: string;
  readonly grpc: string;
  connect(options?: ConnectOptions): Promise<PlexClient>;
  /**
   * Builds an actor with `plexspaces build` (TypeScript, Python, C, a Go or Rust directory; a .wasm
   * file is taken as it is) and deploys it as `applicationId` (in `tenant`, default `default`).
   * A relative path is resolved from the package root.
   */
  deploy(actorSource: string, applicationId: string, options?: { tenant?: string }): Promise<unknown>;
  /**
   * Runs a sweep (docs/sweeps.md) against this node with the context
   * `plexspaces sweep` gives a sweep file (`client`, `deploy`, `node`): the
   * client given, or one of its own (tenant `sweep`) closed after.
   */
  sweep(spec: SweepSpec<unknown, SweepContext>, options?: { client?: PlexClient } & Omit<NodeSweepOptions, 'http'>): Promise<SweepReport>;
  /** SIGTERM, and resolves once the node flushed and exited. */
  stop(): Promise<void>;
}

/**
 * Starts `plexspaces start` as a child process on free ports, in memory
 * unless `dataDir` is given, and resolves once it printed its endpoints.
 */
export async function startNode(options: { workers?: number; dataDir?: string } = {}): Promise<StartedNode> {
  const main = join(packageRoot(), 'dist', 'cli', 'main.js');
  const args = [main, 'start', '--http-port', '0', '--grpc-port', '0', ...(options.dataDir ? ['--data-dir', options.dataDir] : ['--memory'])];
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const endpoints = await new Promise<{ http: string; ws: string; grpc: string }>((resolveEndpoints, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const http = /^http: (\S+)$/m.exec(out)?.[1];
      const ws = /^websocket: (\S+)$/m.exec(out)?.[1];
      const grpc = /^grpc: (\S+)$/m.exec(out)?.[1];
      if (http && ws && grpc) resolveEndpoints({ http, ws, grpc });
    });
    child.once('exit', (code) => reject(new Error(`the node exited with ${code} before it was ready:\n${out}`)));
    child.once('error', reject);
  });
  child.removeAllListeners('exit');
  child.stderr!.resume(); // structured logs; not shown in the notebook
  const root = packageRoot();
  return {
    ...endpoints,
    connect: (connectOptions) => PlexClient.connect(endpoints.ws, connectOptions),
    deploy: (actorSource, applicationId, deployOptions = {}) => deployActor(endpoints.http, resolve(root, actorSource), applicationId, deployOptions),
    async sweep(spec, sweepOptions = {}) {
      const { client: given, ...rest } = sweepOptions;
      const tenant = rest.tenant ?? 'sweep';
      const client = given ?? (await PlexClient.connect(endpoints.ws, { tenant }));
      try {
        return await sweepOnNode(spec, client, { where: `a node started by the notebook${options.workers ? `, ${options.workers} workers` : ''}`, workers: options.workers, ...rest, tenant, http: endpoints.http });
      } finally {
        if (given === undefined) client.close();
      }
    },
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

// ── rich output ────────────────────────────────────────────────────────────

function escape(text: unknown): string {
  return String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** An HTML table of `rows` (objects with the same keys), numbers right-aligned. */
export function table(rows: readonly Record<string, unknown>[], caption?: string): string {
  if (rows.length === 0) return '<p><i>no rows</i></p>';
  const keys = Object.keys(rows[0]);
  const cell = (v: unknown) => (typeof v === 'number' ? `<td style="text-align:right">${escape(Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(4))}</td>` : `<td>${escape(v)}</td>`);
  return `<table>${caption ? `<caption>${escape(caption)}</caption>` : ''}<thead><tr>${keys.map((k) => `<th>${escape(k)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${keys.map((k) => cell(r[k])).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export { barChartSvg as barChart, lineChart, type LineSeries } from '../bench/svg-chart.js';
export { runSweep, assertSweepPassed, type SweepReport, type SweepPointResult } from '../sweep/run-sweep.js';
export { sweepOnNode, type SweepContext } from '../sweep/sweep-context.js';
export { loadSweepFile } from '../sweep/load-sweep-file.js';
export { sweepChart, sweepCsv, sweepRows, sweepMarkdown, saveSweep } from '../sweep/sweep-output.js';
export type { SweepSpec, SweepParams } from '../sweep/sweep-spec.js';

/** A one-line text progress bar (`console.log` it from an onProgress callback: the cell shows it live). */
export function progressLine(done: number, total: number, extra = ''): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}${extra ? ` ${extra}` : ''}`;
}
