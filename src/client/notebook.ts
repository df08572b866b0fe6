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
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PlexClient, type ConnectOptions } from './plex-client.js';

export { PlexClient, RemoteSpace } from './plex-client.js';
export { any } from '../tuple/types.js';

export interface StartedNode {
  readonly http: string;
  readonly ws: string;
  readonly grpc: string;
  connect(options?: ConnectOptions): Promise<PlexClient>;
  /** Builds a TypeScript SDK actor (`plexspaces build`) and deploys it as `applicationId` (in `tenant`, default `default`). */
  deploy(actorSource: string, applicationId: string, options?: { tenant?: string }): Promise<unknown>;
  /** SIGTERM, and resolves once the node flushed and exited. */
  stop(): Promise<void>;
}

/** Finds the package root (where dist/cli/main.js lives) from the working directory up. */
function packageRoot(start = process.cwd()): string {
  for (let dir = resolve(start); ; dir = resolve(dir, '..')) {
    if (existsSync(join(dir, 'dist', 'cli', 'main.js'))) return dir;
    if (resolve(dir, '..') === dir) throw new Error('cannot find dist/cli/main.js above the working directory: run npm run build (npm ci does it)');
  }
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
    async deploy(actorSource, applicationId, deployOptions = {}) {
      const out = join(mkdtempSync(join(tmpdir(), 'plex-nb-')), `${applicationId}.wasm`);
      await new Promise<void>((done, reject) => {
        const build = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'build', resolve(root, actorSource), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
        let errors = '';
        build.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
        build.once('exit', (code) => (code === 0 ? done() : reject(new Error(`plexspaces build failed: ${errors}`))));
      });
      const form = new FormData();
      form.set('application_id', applicationId);
      if (deployOptions.tenant) form.set('tenant', deployOptions.tenant);
      form.set('name', applicationId);
      form.set('version', '1');
      form.set('wasm_file', new Blob([new Uint8Array(readFileSync(out))]), `${applicationId}.wasm`);
      const response = await fetch(`${endpoints.http}/api/v1/applications/deploy`, { method: 'POST', body: form });
      const body = (await response.json()) as { error?: { code: string; message: string } };
      if (!response.ok) throw new Error(`deploy failed: ${body.error?.code} ${body.error?.message}`);
      return body;
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

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];

function ticks(min: number, max: number): number[] {
  if (min === max) return [min];
  const step = 10 ** Math.floor(Math.log10((max - min) / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (max - min) / s <= 6) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + nice * 1e-9; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

/** An SVG line chart (also fine for scatter data with `dots: true`). */
export function lineChart(options: { title: string; x: string; y: string; series: readonly LineSeries[]; dots?: boolean; width?: number; height?: number; logY?: boolean }): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const [left, right, top, bottom] = [70, 20, 36, 48];
  const all = options.series.flatMap((s) => s.points);
  const fy = (v: number) => (options.logY ? Math.log10(Math.max(v, 1e-300)) : v);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => fy(p[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * (width - left - right);
  const py = (v: number) => height - bottom - ((fy(v) - y0) / (y1 - y0)) * (height - top - bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(options.title)}</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#333"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle">${escape(options.x)}</text>`,
    `<text x="14" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + height - bottom) / 2})">${escape(options.y)}</text>`,
  ];
  for (const t of ticks(x0, x1)) parts.push(`<text x="${px(t)}" y="${height - bottom + 14}" text-anchor="middle">${t}</text>`);
  for (const t of ticks(y0, y1)) {
    const y = height - bottom - ((t - y0) / (y1 - y0)) * (height - top - bottom);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${options.logY ? `1e${t}` : Number(t.toPrecision(4))}</text>`, `<line x1="${left}" y1="${y}" x2="${width - right}" y2="${y}" stroke="#eee"/>`);
  }
  options.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length];
    if (options.dots) for (const [x, y] of series.points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="1.6" fill="${color}"/>`);
    else parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${series.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    parts.push(`<rect x="${width - right - 150}" y="${top + i * 16}" width="10" height="10" fill="${color}"/><text x="${width - right - 135}" y="${top + 9 + i * 16}">${escape(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export { barChartSvg as barChart } from '../bench/svg-chart.js';

/** A one-line text progress bar (`console.log` it from an onProgress callback: the cell shows it live). */
export function progressLine(done: number, total: number, extra = ''): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}${extra ? ` ${extra}` : ''}`;
}
