/**
 * Puts a user's actor on a node from its source or its .wasm: builds it
 * with `plexspaces build` (TypeScript, Python, C, Go, Rust — whatever that
 * command takes) unless it is already WebAssembly, then deploys it as an
 * application over the node's HTTP gateway. Notebooks (`node.deploy`) and
 * `plexspaces sweep` (`context.deploy`) both come through here.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Finds the package root (where dist/cli/main.js lives) from `start` up. */
export function packageRoot(start = process.cwd()): string {
  for (let dir = resolve(start); ; dir = resolve(dir, '..')) {
    if (existsSync(join(dir, 'dist', 'cli', 'main.js'))) return dir;
    if (resolve(dir, '..') === dir) throw new Error('cannot find dist/cli/main.js above the working directory: run npm run build (npm ci does it)');
  }
}

/** Runs `plexspaces build SOURCE -o OUT`; rejects with the build's own error text. */
export async function buildActor(source: string, out: string, root = packageRoot()): Promise<void> {
  await new Promise<void>((done, reject) => {
    const build = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'build', source, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    build.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    build.once('error', reject);
    build.once('exit', (code) => (code === 0 ? done() : reject(new Error(`plexspaces build ${source} failed: ${errors.trim()}`))));
  });
}

export interface DeployActorOptions {
  readonly tenant?: string;
  readonly token?: string;
  readonly version?: string;
}

/**
 * Deploys `source` (a .wasm file, or a source `plexspaces build` takes) as
 * `applicationId` on the node at `http` (e.g. http://127.0.0.1:8001).
 */
export async function deployActor(http: string, source: string, applicationId: string, options: DeployActorOptions = {}): Promise<unknown> {
  const path = resolve(source);
  if (!existsSync(path)) throw new Error(`no actor at ${path}`);
  let wasm: Uint8Array<ArrayBuffer>;
  if (path.endsWith('.wasm')) {
    wasm = new Uint8Array(readFileSync(path));
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'plex-deploy-'));
    try {
      const out = join(dir, `${applicationId}.wasm`);
      await buildActor(path, out);
      wasm = new Uint8Array(readFileSync(out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const form = new FormData();
  form.set('application_id', applicationId);
  if (options.tenant) form.set('tenant', options.tenant);
  form.set('name', applicationId);
  form.set('version', options.version ?? '1');
  form.set('wasm_file', new Blob([wasm]), `${applicationId}.wasm`);
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const response = await fetch(`${http.replace(/\/+$/, '')}/api/v1/applications/deploy`, { method: 'POST', body: form, headers });
  const body = (await response.json()) as { error?: { code: string; message: string } };
  if (!response.ok) throw new Error(`deploy of ${applicationId} failed: ${body.error?.code} ${body.error?.message}`);
  return body;
}
