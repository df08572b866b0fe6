import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNodeCommand } from '../support/node-process.js';
import { markdownBlocks, promisedReplies, runShell, withoutWhitespace } from '../support/readme-blocks.js';

/**
 * The package works outside the checkout: the README's "Use it in your own
 * project" steps, run as written. `npm pack`, `npm install -g` of the
 * tarball (its dependencies come from the npm registry; better-sqlite3
 * compiles), then, from an empty folder outside the checkout with only the
 * installed `plexspaces` on PATH: start a node, build an SDK actor that
 * imports `@plexspaces/sdk`, deploy it, ask it, stop the node.
 *
 * What the test changes around the README's commands, and why:
 * - `npm pack` writes into a scratch directory (npm_config_pack_destination),
 *   not into the checkout, and with npm_config_ignore_scripts: its `prepare`
 *   would rebuild dist/, which the suite has built and other tests are
 *   loading; the tarball is what `npm pack` packs either way;
 * - npm's global folder (npm_config_prefix) is a scratch directory, so the
 *   machine's global packages are left alone; npm_config_nodedir is this
 *   node's own headers, so compiling better-sqlite3 downloads nothing more;
 * - the node starts on free ports (`--http-port 0 --grpc-port 0`) and
 *   PLEXSPACES_NODE points the CLI at it.
 */
const ROOT = join(import.meta.dirname, '../..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const steps = new Map(
  markdownBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
    .filter((b) => b.marker?.kind === 'npm-pack')
    .map((b) => [b.marker!.note!, b.code]),
);

const scratch = mkdtempSync(join(tmpdir(), 'plex-npm-pack-'));
const packDir = join(scratch, 'pack');
const globalPrefix = join(scratch, 'npm-global');
const project = join(scratch, 'empty-folder');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${join(globalPrefix, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
  npm_config_prefix: globalPrefix,
  npm_config_nodedir: dirname(dirname(process.execPath)),
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

function step(name: string): string {
  const code = steps.get(name);
  if (code === undefined) throw new Error(`the README has no <!-- readme-test: npm-pack (${name}) --> block`);
  return code;
}

describe('the packed package, installed, works from an empty folder', () => {
  const tarball = `${PACKAGE.name}-${PACKAGE.version}.tgz`;

  it('the README names the steps and the tarball npm pack writes', () => {
    expect([...steps.keys()]).toEqual(['pack', 'install', 'start', 'use']);
    expect(step('install')).toContain(`./${tarball}`);
  });

  it('npm pack: the tarball holds what the CLI needs at run time, and no sources or tests', async () => {
    mkdirSync(packDir);
    const result = await runShell(step('pack'), { cwd: ROOT, env: { ...env, npm_config_pack_destination: packDir, npm_config_ignore_scripts: 'true' } });
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(packDir)).toEqual([tarball]);
    const listing = spawnSync('tar', ['-tzf', join(packDir, tarball)], { encoding: 'utf8' });
    expect(listing.status).toBe(0);
    const files = listing.stdout.split('\n').filter(Boolean);
    for (const needed of [
      'package/package.json',
      'package/dist/cli/main.js',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/sdk/index.js',
      'package/dist/sdk/index.d.ts',
      'package/dist/sdk/coordination.d.ts',
      'package/dist/client/notebook.cjs',
      'package/dist/runtime/actor-worker.js',
      'package/dist/wasm/counter.wasm',
      // The dashboard's own files (the build copies src/dashboard; uPlot and msgpackr come from dependencies).
      'package/dist/dashboard/index.html',
      'package/dist/dashboard/app.js',
      'package/wit/simple-actor.wit',
      'package/wit/coordination.wit',
      'package/proto/plexspaces/v1/tuplespace.proto',
      // plexspaces build of a .c file includes the C SDK; Go actors point their go.mod at the Go SDK.
      'package/sdks/c/plex.h',
      'package/sdks/go/plexspaces/abi.go',
      // Rust actors point their Cargo.toml at the Rust SDK (its sources, not a build's target/).
      'package/sdks/rust/src/host.rs',
      'package/sdks/rust/components/src/lib.rs',
      'package/sdks/rust/components/macros/src/lib.rs',
      // plexspaces build of a .py file puts the Python SDK's sources on PYTHONPATH.
      'package/sdks/python/src/plexspaces/__init__.py',
      'package/sdks/python/src/plexspaces/wit/simple-actor.wit',
    ]) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => /^package\/(src|test|scripts|notebooks|native-bench)\//.test(f))).toEqual([]);
  }, 120_000);

  it('npm install -g of the tarball gives a plexspaces command, a copy and not a link to the checkout', async () => {
    const result = await runShell(step('install'), { cwd: packDir, env });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const installed = join(globalPrefix, 'lib/node_modules', PACKAGE.name);
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(realpathSync(join(globalPrefix, 'bin/plexspaces'))).toBe(join(realpathSync(installed), 'dist/cli/main.js'));
  }, 900_000);

  it('from an empty folder: start a node, build an SDK actor, deploy it, ask it, stop the node', async () => {
    mkdirSync(project);
    const start = step('start').trim();
    expect(start).toMatch(/^plexspaces start\b/);
    const node = await startNodeCommand('bash', ['-c', `exec ${start} --http-port 0 --grpc-port 0 --workers 1`], children, { cwd: project, env });
    // The installed command, not the checkout's: the node runs from the global folder.
    expect(spawnSync('bash', ['-c', 'command -v plexspaces'], { env, encoding: 'utf8' }).stdout.trim()).toBe(join(globalPrefix, 'bin/plexspaces'));

    const use = step('use');
    const result = await runShell(use, { cwd: project, env: { ...env, PLEXSPACES_NODE: node.http } });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const replies = promisedReplies(use);
    expect(replies.length).toBeGreaterThanOrEqual(1);
    for (const reply of replies) expect(withoutWhitespace(result.stdout), result.stdout).toContain(reply);
    expect(readdirSync(project).sort()).toEqual(['data', 'greeter.ts', 'greeter.wasm']);

    // The rest the package brings at run time: the OpenAPI document and Swagger UI's assets
    // (swagger-ui-dist), the dashboard with uPlot and msgpackr, its version, the kernels' wasm in dist/wasm.
    for (const path of ['/api/v1/openapi.json', '/docs', '/docs/swagger-ui.css', '/dashboard', '/dashboard/app.js', '/dashboard/uplot.js', '/dashboard/msgpackr.js', '/api/v1/dashboard/benchmarks']) {
      expect((await fetch(`${node.http}${path}`)).status, path).toBe(200);
    }
    expect(spawnSync('plexspaces', ['--version'], { cwd: project, env, encoding: 'utf8' }).stdout).toBe(`${PACKAGE.version}\n`);
    const nbody = spawnSync('plexspaces', ['run', 'nbody', '--bodies', '256', '--steps', '2', '--workers', '1', '--no-scaling', '--json'], { cwd: project, env, encoding: 'utf8' });
    expect(nbody.status, nbody.stderr).toBe(0);
    expect((JSON.parse(nbody.stdout) as { runs: { bodies: number; steps: number }[] }).runs).toMatchObject([{ bodies: 256, steps: 2 }]);

    const exited = new Promise<number | null>((resolve) => node.child.removeAllListeners('exit').on('exit', resolve));
    node.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 300_000);
});
