import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markdownBlocks, promisedReplies, runShell, withoutWhitespace } from '../support/readme-blocks.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';

/**
 * The README works as written. Its shell blocks run in order, with bash -e,
 * in a scratch copy of the checkout (what a fresh clone is after `npm ci`),
 * against a real node this test starts; its TypeScript blocks type-check
 * and run. Each block is either run here, run by
 * test/package/npm-pack.test.ts, or skipped for a reason listed below: a new
 * block is never silently untested.
 *
 * What the test changes around the blocks, and why:
 * - the node runs on free ports, so http://127.0.0.1:8001 in a block becomes
 *   its URL and PLEXSPACES_NODE points the CLI at it;
 * - npm's global folder (npm_config_prefix) is a scratch directory, first on
 *   PATH, so the README's `npm link` puts this checkout's `plexspaces` there
 *   and not in the machine's global folder;
 * - curl reads a .curlrc with --fail-with-body, so an HTTP error fails the
 *   block instead of printing a body nobody checks.
 * A block's promised replies, trailing `# {…}` comments, must appear in its
 * output.
 */
const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = markdownBlocks(README);

/** Every block the test does not run, by its marker's reason. */
const EXPECTED_SKIPS = [
  'installs, runs a node in the foreground, runs the whole suite: CI runs it as .ci/run',
  "registers the kernel with this machine's Jupyter and opens a server; test/scripts/install-tslab-kernel.test.ts runs the script into a scratch prefix",
];
/** The blocks test/package/npm-pack.test.ts runs, by step. */
const EXPECTED_NPM_PACK_STEPS = ['pack', 'install', 'start', 'use'];

const isShell = (lang: string) => lang === 'sh' || lang === 'bash';
const unmarked = blocks.filter((b) => b.marker === undefined);
const shellBlocks = unmarked.filter((b) => isShell(b.lang));
const tsBlocks = unmarked.filter((b) => b.lang === 'ts');
const synopses = blocks.filter((b) => b.marker?.kind === 'synopsis');

const scratch = mkdtempSync(join(tmpdir(), 'plex-readme-'));
const checkout = join(scratch, 'checkout');
const globalPrefix = join(scratch, 'npm-global');
const children: ChildProcess[] = [];
let node: NodeProcess;
let env: NodeJS.ProcessEnv;

/**
 * A copy of the checkout as a fresh clone after `npm ci` has it: the sources
 * the blocks read and write (examples/, test/fixtures/) copied, so their
 * build outputs land here; everything else (dist/, node_modules/,
 * package.json, …) linked.
 */
function makeCheckout(): void {
  mkdirSync(checkout);
  for (const entry of readdirSync(ROOT)) {
    if (['.git', 'examples', 'test', 'tmp', '.plexspaces', 'data'].includes(entry)) continue;
    symlinkSync(join(ROOT, entry), join(checkout, entry));
  }
  cpSync(join(ROOT, 'examples'), join(checkout, 'examples'), { recursive: true, filter: (source) => !source.endsWith('.wasm') });
  cpSync(join(ROOT, 'test/fixtures'), join(checkout, 'test/fixtures'), { recursive: true });
}

beforeAll(async () => {
  makeCheckout();
  const curlHome = join(scratch, 'curl-home');
  mkdirSync(curlHome);
  writeFileSync(join(curlHome, '.curlrc'), 'fail-with-body\nsilent\nshow-error\n');
  node = await startNodeProcess(join(scratch, 'node-data'), children);
  env = {
    ...process.env,
    PATH: `${join(globalPrefix, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    npm_config_prefix: globalPrefix,
    PLEXSPACES_NODE: node.http,
    CURL_HOME: curlHome,
  };
}, 60_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

describe('the README', () => {
  it('holds only sh and ts blocks, each run here, by npm-pack.test.ts, or skipped for a reason listed here', () => {
    expect(blocks.filter((b) => !isShell(b.lang) && b.lang !== 'ts').map((b) => `line ${b.line}: "${b.lang}"`)).toEqual([]);
    expect(blocks.filter((b) => b.marker?.kind === 'skip').map((b) => b.marker?.note)).toEqual(EXPECTED_SKIPS);
    expect(blocks.filter((b) => b.marker?.kind === 'npm-pack').map((b) => b.marker?.note)).toEqual(EXPECTED_NPM_PACK_STEPS);
    expect(synopses).toHaveLength(1);
    // Whatever is left runs below: the shell blocks and the TypeScript blocks.
    expect(shellBlocks.length + tsBlocks.length).toBe(unmarked.length);
    expect(shellBlocks.length).toBeGreaterThanOrEqual(4);
    expect(tsBlocks.length).toBeGreaterThanOrEqual(2);
  });

  describe('shell blocks, in order, against a running node', () => {
    for (const block of shellBlocks) {
      it(`line ${block.line}: ${block.code.split('\n')[0]}`, async () => {
        const code = block.code.replaceAll('http://127.0.0.1:8001', node.http);
        const result = await runShell(code, { cwd: checkout, env });
        expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
        const output = withoutWhitespace(result.stdout);
        for (const reply of promisedReplies(block.code)) expect(output, result.stdout).toContain(reply);
      }, 180_000);
    }
  });

  describe('TypeScript blocks', () => {
    const files = tsBlocks.map((block) => ({ block, file: join(checkout, `readme-line-${block.line}.ts`) }));

    it('type-check (strict, as an ESM program importing plexspaces)', () => {
      for (const { block, file } of files) writeFileSync(file, block.code);
      const program = ts.createProgram({
        rootNames: files.map((f) => f.file),
        options: {
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
      const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => checkout, getNewLine: () => '\n' });
      expect(text).toBe('');
    }, 60_000);

    for (const { block, file } of files) {
      it(`line ${block.line} runs to completion`, () => {
        writeFileSync(file, block.code);
        const result = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: checkout, env, encoding: 'utf8', timeout: 120_000 });
        expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
        expect(result.stderr).toBe('');
      }, 150_000);
    }
  });

  it('every command the synopsis lists answers --help', () => {
    const commands = synopses[0].code
      .split('\n')
      .filter((line) => line.startsWith('plexspaces '))
      .flatMap((line) => line.split(/\s+/)[1].split('|'))
      .filter((name) => !name.startsWith('<'));
    expect(new Set(commands)).toEqual(new Set(['start', 'deploy', 'ask', 'tell', 'ts', 'shards', 'nodes', 'bench', 'build', 'run', 'sweep']));
    for (const command of new Set(commands)) {
      const result = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), command, '--help'], { encoding: 'utf8' });
      expect(result.status, `${command}: ${result.stderr}`).toBe(0);
    }
  });
});
