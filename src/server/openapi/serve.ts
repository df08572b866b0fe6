/**
 * The docs routes: the OpenAPI document, Swagger UI (its files from the
 * installed swagger-ui-dist package, never a CDN: a node may have no
 * internet) and a landing page. All are open, like health: they describe
 * the API and reveal no tenant's data; with auth on, Swagger UI's
 * "Authorize" takes the bearer token the other routes need.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Handler } from '../http-gateway.js';
import { NODE_VERSION } from '../node-service.js';
import { openApiJson } from './document.js';

/**
 * The only files served from swagger-ui-dist, with their content types. The
 * asset name comes from one path segment (no `/`) and must be a key here,
 * so no request reaches any other file.
 */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-16x16.png': 'image/png',
  'favicon-32x32.png': 'image/png',
};

/**
 * Ours, not the package's (that one points at the petstore demo). A file, not inline, so a strict CSP
 * can allow it. `validatorUrl: null`: Swagger UI would otherwise send the document to
 * validator.swagger.io for a badge, and the docs must make no request off the node.
 */
const INITIALIZER = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });
});
`;

const SWAGGER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PlexSpaces node API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-initializer.js"></script>
</body>
</html>
`;

const LANDING_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PlexSpaces node</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}</style>
</head>
<body>
<h1>PlexSpaces node ${NODE_VERSION}</h1>
<p>Tuple spaces, WebAssembly actors and shard groups over HTTP, gRPC and a websocket.</p>
<ul>
<li><a href="/docs">API docs (Swagger UI)</a> and the <a href="/api/v1/openapi.json">OpenAPI 3.1 description</a></li>
<li><a href="/api/v1/health">Health</a> and <a href="/api/v1/info">node info</a></li>
<li><a href="/metrics">Prometheus metrics</a></li>
<li><a href="/dashboard">Dashboard</a>: the node, its actors, spaces, shard groups and jobs, live</li>
<li>Websocket: <code>/ws</code> on this port, for <code>PlexClient.connect('ws://…/ws')</code></li>
</ul>
<p>With auth on, everything but this page, the docs and health needs a bearer token (in Swagger UI: <b>Authorize</b>).</p>
</body>
</html>
`;

const HTML = 'text/html; charset=utf-8';

let assetDir: string | undefined;
const cache = new Map<string, Promise<Uint8Array>>();

/** Reads a whitelisted asset once; the package files do not change while the node runs. */
function asset(name: string): Promise<Uint8Array> {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    assetDir ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    bytes = readFile(join(assetDir, name));
    // A failed read (package missing) is not kept: the next request tries again.
    bytes.catch(() => cache.delete(name));
    cache.set(name, bytes);
  }
  return bytes;
}

/** Registers the docs routes through the gateway's `route` (every one open). */
export function defineDocRoutes(route: (method: string, path: string, handler: Handler) => void): void {
  route('GET', '/', async () => ({ text: LANDING_PAGE, contentType: HTML }));
  route('GET', '/api/v1/openapi.json', async () => ({ text: openApiJson(), contentType: 'application/json; charset=utf-8' }));
  route('GET', '/docs', async () => ({ text: SWAGGER_PAGE, contentType: HTML }));
  route('GET', '/docs/{}', async (_, [name]) => {
    if (name === 'swagger-initializer.js') return { text: INITIALIZER, contentType: 'text/javascript; charset=utf-8' };
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (type === undefined) return { status: 404, body: { error: { code: 'PLEX_ERR_NOT_FOUND', message: `no docs asset ${JSON.stringify(name)}` } } };
    return { bytes: await asset(name), contentType: type };
  });
}
