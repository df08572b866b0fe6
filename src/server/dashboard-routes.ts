/**
 * The dashboard: a single page at /dashboard (its files under /dashboard/…)
 * and the JSON routes under /api/v1/dashboard/ its pages read. The page and
 * its files are open, like the docs: they hold no data; every figure comes
 * from the JSON routes, which need a token with auth on and show each
 * principal only what the gatekeeper lets it see (dashboard-data.ts).
 *
 * The files ship in the package: our own from src/dashboard (copied to
 * dist/dashboard by the build), uPlot and msgpackr from their installed
 * packages. Nothing is fetched from a CDN: a node may have no internet.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type { Principal } from './auth.js';
import { readBenchmarkResults } from './benchmark-results.js';
import type { DashboardData } from './dashboard-data.js';
import type { Handler } from './http-gateway.js';

const require = createRequire(import.meta.url);
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * The only files served under /dashboard/, each with where it is read from
 * and its type. The name comes from one path segment and must be a key
 * here, so no request reaches any other file.
 */
const ASSETS: Readonly<Record<string, { readonly path: () => string; readonly type: string }>> = {
  'app.js': { path: () => join(ownDir(), 'app.js'), type: JS },
  'pages.js': { path: () => join(ownDir(), 'pages.js'), type: JS },
  'live.js': { path: () => join(ownDir(), 'live.js'), type: JS },
  'actor-pages.js': { path: () => join(ownDir(), 'actor-pages.js'), type: JS },
  'space-pages.js': { path: () => join(ownDir(), 'space-pages.js'), type: JS },
  'coordination-pages.js': { path: () => join(ownDir(), 'coordination-pages.js'), type: JS },
  'pipeline-pages.js': { path: () => join(ownDir(), 'pipeline-pages.js'), type: JS },
  'dashboard.css': { path: () => join(ownDir(), 'dashboard.css'), type: CSS },
  'uplot.js': { path: () => join(packageDir('uplot'), 'dist/uPlot.iife.min.js'), type: JS },
  'uplot.css': { path: () => join(packageDir('uplot'), 'dist/uPlot.min.css'), type: CSS },
  // The build without eval: a page may run under a CSP that forbids it.
  'msgpackr.js': { path: () => join(packageDir('msgpackr'), 'dist/index-no-eval.min.js'), type: JS },
};

/** src/dashboard beside src/server, and dist/dashboard beside dist/server. */
const ownDir = () => join(import.meta.dirname, '../dashboard');
/** A package's root: from its resolved entry point (msgpackr's "exports" does not list package.json). */
function packageDir(name: string): string {
  const entry = require.resolve(name);
  const marker = `${sep}node_modules${sep}${name}${sep}`;
  const at = entry.lastIndexOf(marker);
  return at < 0 ? dirname(entry) : entry.slice(0, at + marker.length - 1);
}

const cache = new Map<string, Promise<Uint8Array>>();

/** Reads a listed file once; the package's files do not change while the node runs. */
function asset(name: string): Promise<Uint8Array> {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    bytes = readFile(ASSETS[name].path());
    // A failed read is not kept: the next request tries again.
    bytes.catch(() => cache.delete(name));
    cache.set(name, bytes);
  }
  return bytes;
}

type Route = (method: string, path: string, handler: Handler, open?: boolean) => void;

/** Registers the page, its files and the JSON routes through the gateway's `route`. */
export function defineDashboardRoutes(route: Route, data: DashboardData): void {
  route('GET', '/dashboard', async () => ({ bytes: await readFile(join(ownDir(), 'index.html')), contentType: 'text/html; charset=utf-8' }), true);
  route(
    'GET',
    '/dashboard/{}',
    async (_, [name]) => {
      if (!Object.hasOwn(ASSETS, name)) return { status: 404, body: { error: { code: 'PLEX_ERR_NOT_FOUND', message: `no dashboard file ${JSON.stringify(name)}` } } };
      return { bytes: await asset(name), contentType: ASSETS[name].type };
    },
    true,
  );
  const api = '/api/v1/dashboard';
  // Open: whether the page must ask for a token before its first call (a failed call would be the page's first error).
  route('GET', `${api}/session`, async () => ({ body: { authRequired: data.authRequired } }), true);
  const get = (path: string, answer: (principal: Principal, params: string[], url: URL, authorization: string | undefined) => Promise<unknown> | unknown) =>
    route('GET', `${api}${path}`, async (request, params, url, principal) => ({ body: await answer(principal, params, url, request.headers.authorization) }));
  get('/overview', (principal, _, url, authorization) => data.overview(principal, { history: url.searchParams.get('history') !== 'false', peers: url.searchParams.get('peers') !== 'false', authorization }));
  get('/actors', async (principal) => ({ actors: await data.actors(principal) }));
  get('/actors/{}/{}/{actor}', (principal, [tenant, namespace, id]) => data.actor(principal, tenant, namespace, id));
  get('/applications', (principal) => ({ applications: data.applications(principal) }));
  get('/spaces', async (principal) => ({ spaces: await data.spaces(principal) }));
  get('/shard-groups', (principal) => ({ groups: data.shardGroups(principal) }));
  get('/jobs', (principal) => ({ jobs: data.jobs(principal) }));
  get('/pipelines', async (principal) => ({ pipelines: await data.pipelines(principal) }));
  route('POST', `${api}/jobs/{}/cancel`, async (_, [id], __, principal) => ({ body: { cancelled: data.cancelJob(principal, id) } }));
  get('/coordination/{}/{}', (principal, [tenant, namespace], url) => data.coordination(principal, tenant, namespace, url.searchParams.get('lock') || undefined));
  // Committed results of the project's own runs: no tenant's data, but behind a token like the rest of the API.
  get('/benchmarks', async () => ({ suites: await readBenchmarkResults() }));
}
