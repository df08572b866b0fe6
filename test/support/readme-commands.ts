import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNative, nativeLanguageOf } from '../../src/polyglot/build-native.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { startNodeProcess, type NodeProcess } from './node-process.js';
import { buildPythonComponent } from './python-components.js';

/**
 * Runs the shell commands a README prints, so that the README and its test
 * cannot drift apart. A README writes each command in a ```sh block and the
 * reply it prints right below it:
 *
 * ```sh
 * curl -X POST http://localhost:8001/api/v1/actors/calculator-app/ask \
 *     -H "Content-Type: application/json" \
 *     -d '{"message_type": "add", "payload": {"operands": [10, 20, 30]}}'
 * # => {"result": 60, "operation": "add"}
 * ```
 *
 * - A command is a line plus the lines its trailing `\` continues; other `#`
 *   lines are comments.
 * - Each `# => …` line is one line the command prints. A JSON line is compared
 *   as JSON (key order and spacing do not matter); an object, at any depth,
 *   that ends in `, ...}` lists some of the reply's fields (the others, like
 *   a deploy's timestamp, are not compared). Anything else is compared as
 *   text.
 * - `localhost:8001` (the node's default address) is replaced by the started
 *   node's address, so `http://…` and `ws://…/ws` both reach it.
 * - `plexspaces build SRC -o OUT` builds SRC (from the repository root) into
 *   OUT (in the scratch directory) with the toolchain the CLI would pick: a
 *   `.ts` with buildActor, a `.py` (with an optional `--actor NAME`) with the
 *   Python SDK's build, cached by source (python-components.ts), a `.c`, Go
 *   module or Cargo package with the machine's compilers
 *   (src/polyglot/build-native.ts); commands the test does
 *   itself (starting or killing a node) are given as `handlers`, by prefix.
 * - Every other command runs with bash in the scratch directory, which links
 *   `examples`, `src` and `node_modules` of the repository, so the README's
 *   repository-relative paths work. `curl` runs with `--fail-with-body`: a
 *   command without `# =>` lines must succeed (HTTP 2xx), and one with them
 *   may show an error reply, which is then compared like any other.
 */

const ROOT = resolve(import.meta.dirname, '../..');
/** The node address the READMEs use (the node's default HTTP port). */
const README_NODE = 'localhost:8001';
/** Longest one README command may run (under vitest's 60 s test timeout, so the failure says which). */
const COMMAND_TIMEOUT_MS = 45_000;
const EXPECT = /^#\s*=>\s?(.*)$/;
/** `, ...}` closing an object: the reply has these fields and maybe more. */
const ELLIPSIS = /,\s*\.\.\.\s*}/g;
const BUILD = /^plexspaces build (\S+) -o (\S+)(?: --actor (\S+))?$/;

export interface ReadmeStep {
  /** The command as the README writes it (continuations joined). */
  readonly command: string;
  /** The lines it prints, one per `# =>` line; empty when the README shows none. */
  readonly expected: readonly string[];
  /** `README.md:12`, for failure messages. */
  readonly where: string;
}

export interface ReadmeSection {
  /** The heading above the section's blocks (`## Deposit and withdraw`). */
  readonly heading: string;
  readonly steps: readonly ReadmeStep[];
}

export interface RunOptions {
  /** The node's HTTP base URL now (a restarted node has another port). */
  readonly node: () => string;
  /** The scratch directory the commands run in (built modules are written here). */
  readonly cwd: string;
  /** Commands the test performs itself, by the prefix they start with. */
  readonly handlers?: Readonly<Record<string, (step: ReadmeStep) => Promise<void>>>;
}

/** The ```sh blocks of a README, grouped by the heading above them; sections without commands are left out. */
export function readmeSections(file: string): ReadmeSection[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const name = file.slice(ROOT.length + 1);
  const sections: { heading: string; steps: ReadmeStep[] }[] = [];
  let heading = '(top)';
  let inShell = false;
  let inOther = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!inShell && !inOther) {
      if (/^#{1,6} /.test(line)) heading = line.trim();
      else if (line.trim() === '```sh') inShell = true;
      else if (line.trim().startsWith('```')) inOther = true;
      continue;
    }
    if (line.trim() === '```') {
      inShell = inOther = false;
      continue;
    }
    if (inOther) continue;
    const steps = currentSteps(sections, heading);
    const expected = EXPECT.exec(line.trim());
    if (expected !== null) {
      const last = steps.at(-1);
      if (last === undefined) throw new Error(`${name}:${i + 1}: a "# =>" line with no command above it`);
      (last.expected as string[]).push(expected[1].trim());
      continue;
    }
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const start = i;
    let command = line.replace(/\s+#\s.*$/, '');
    while (command.endsWith('\\') && i + 1 < lines.length) command = `${command.slice(0, -1).trimEnd()} ${lines[++i].trim()}`;
    steps.push({ command: command.trim(), expected: [], where: `${name}:${start + 1}` });
  }
  if (inShell || inOther) throw new Error(`${name}: a code block is not closed`);
  return sections.filter((s) => s.steps.length > 0);
}

function currentSteps(sections: { heading: string; steps: ReadmeStep[] }[], heading: string): ReadmeStep[] {
  if (sections.at(-1)?.heading !== heading) sections.push({ heading, steps: [] });
  return sections.at(-1)!.steps;
}

/** Links the repository's folders into `cwd`, so that the README's relative paths resolve there. */
export function prepareScratch(cwd: string): void {
  for (const dir of ['examples', 'src', 'node_modules']) {
    const link = join(cwd, dir);
    if (!existsSync(link)) symlinkSync(join(ROOT, dir), link);
  }
}

/** Runs the steps in order and checks what each printed against the README. */
export async function runSteps(steps: readonly ReadmeStep[], options: RunOptions): Promise<void> {
  prepareScratch(options.cwd);
  for (const step of steps) {
    const handler = Object.entries(options.handlers ?? {}).find(([prefix]) => step.command.startsWith(prefix));
    if (handler !== undefined) {
      await handler[1](step);
      continue;
    }
    const build = BUILD.exec(step.command);
    if (build !== null) {
      writeFileSync(join(options.cwd, build[2]), await buildFromSource(join(ROOT, build[1]), build[3]));
      continue;
    }
    if (step.command.startsWith('plexspaces ')) throw new Error(`${step.where}: the test must say how to run ${JSON.stringify(step.command)} (a handler)`);
    const { code, stdout, stderr } = await shell(step.command.replaceAll(README_NODE, new URL(options.node()).host), options.cwd);
    const context = `${step.where}: ${step.command}\nstderr: ${stderr}`;
    // 22 is curl's --fail-with-body exit for an HTTP error: fine when the README shows that reply.
    expect(code === 0 || (code === 22 && step.expected.length > 0), `exit ${code} — ${context}\nstdout: ${stdout}`).toBe(true);
    if (step.expected.length > 0) compareOutput(stdout, step.expected, context);
  }
}

/** What `plexspaces build` makes of `source`, by its kind (src/cli/build-command.ts chooses the same way). */
async function buildFromSource(source: string, actor: string | undefined): Promise<Uint8Array> {
  if (source.endsWith('.py')) return buildPythonComponent(source, actor);
  if (nativeLanguageOf(source) !== undefined) return (await buildNative(source)).wasm;
  return (await buildActor(source)).component;
}

function compareOutput(stdout: string, expected: readonly string[], context: string): void {
  const actual = stdout.replace(/\n$/, '').split('\n');
  expect(actual.length, `${context}\nprinted:\n${stdout}`).toBe(expected.length);
  expected.forEach((want, i) => {
    const listed = want.replace(ELLIPSIS, '}');
    const partial = listed !== want;
    const wanted = parseJson(listed);
    if (wanted === undefined) {
      expect(actual[i], context).toBe(want);
      return;
    }
    const got = parseJson(actual[i]);
    expect(got, `${context}\nprinted: ${actual[i]}`).not.toBeUndefined();
    if (partial) expect(got, context).toMatchObject(wanted as object);
    else expect(got, context).toEqual(wanted);
  });
}

function parseJson(text: string): unknown {
  if (!/^[[{"]/.test(text.trim())) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function shell(command: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // A function named curl wins over the binary inside the script, loops and pipes included.
  const script = `set -o pipefail\ncurl() { command curl --no-progress-meter --fail-with-body "$@"; }\n${command}\n`;
  // Its own process group, so that a command that runs too long (an `until` loop whose condition
  // never comes) is killed with everything it started instead of outliving the test.
  const child = spawn('bash', ['-c', script], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}` },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => {
    stderr += `\n(killed: still running after ${COMMAND_TIMEOUT_MS} ms)`;
    process.kill(-child.pid!, 'SIGKILL');
  }, COMMAND_TIMEOUT_MS);
  return new Promise((resolvePromise, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface ReadmeSuite {
  /** The node the README runs against (set once beforeAll ran). */
  readonly node: NodeProcess;
  /** The scratch directory the commands ran in (the built modules are here). */
  readonly work: string;
}

/**
 * The usual test of an example: one node for the file, then one test per
 * README section, in order, each running that section's commands. Returns
 * the node and scratch directory for tests of its own that follow.
 */
export function testReadme(
  example: string,
  options: { workers?: number; handlers?: RunOptions['handlers']; /** Where the example's folder is (default examples/seed). */ examplesDir?: string; /** Per section (default: vitest's). */ timeoutMs?: number } = {},
): ReadmeSuite {
  const examplesDir = options.examplesDir ?? 'examples/seed';
  const readme = join(ROOT, examplesDir, example, 'README.md');
  const work = mkdtempSync(join(tmpdir(), `plex-seed-${example}-`));
  const children: ChildProcess[] = [];
  let node: NodeProcess | undefined;
  beforeAll(async () => {
    node = await startNodeProcess(join(work, 'data'), children, { workers: options.workers });
  });
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });
  describe(`${examplesDir}/${example}: the README’s commands print the replies it shows`, () => {
    for (const section of readmeSections(readme)) {
      it(section.heading, () => runSteps(section.steps, { node: () => node!.http, cwd: work, handlers: options.handlers }), options.timeoutMs);
    }
  });
  return {
    get node() {
      if (node === undefined) throw new Error('the node is not started yet (use it inside a test)');
      return node;
    },
    work,
  };
}
