import { spawn } from 'node:child_process';

/**
 * The fenced code blocks of a Markdown file (the README), for tests that run
 * them as written. A block may carry a marker on the line before its fence,
 * an HTML comment a reader of the rendered page does not see:
 *
 *   <!-- readme-test: skip (why it cannot run in a test) -->
 *   <!-- readme-test: synopsis -->          a command synopsis: each command's --help is run
 *   <!-- readme-test: npm-pack (step) -->   run by test/package/npm-pack.test.ts
 */
export interface MarkdownBlock {
  /** The fence's info string: `sh`, `ts`, … (empty when the fence has none). */
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
  readonly marker?: BlockMarker;
}

export interface BlockMarker {
  readonly kind: 'skip' | 'synopsis' | 'npm-pack';
  /** The text in parentheses: a skip's reason, an npm-pack step's name. */
  readonly note?: string;
}

const MARKER = /^<!--\s*readme-test:\s*(\S+?)\s*(?:\((.*)\))?\s*-->$/;
const MARKER_KINDS = new Set(['skip', 'synopsis', 'npm-pack']);

export function markdownBlocks(text: string): MarkdownBlock[] {
  const lines = text.split('\n');
  const blocks: MarkdownBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    if (i === lines.length) throw new Error(`the code block at line ${start + 1} is never closed`);
    let previous = start - 1;
    while (previous >= 0 && lines[previous].trim() === '') previous--;
    blocks.push({ lang: open[1], code: `${body.join('\n')}\n`, line: start + 1, marker: parseMarker(lines[previous] ?? '', start + 1) });
  }
  return blocks;
}

function parseMarker(line: string, blockLine: number): BlockMarker | undefined {
  if (!line.includes('readme-test')) return undefined;
  const match = MARKER.exec(line.trim());
  if (match === null || !MARKER_KINDS.has(match[1])) throw new Error(`the readme-test marker before line ${blockLine} is malformed: ${line}`);
  return { kind: match[1] as BlockMarker['kind'], note: match[2] };
}

/**
 * The replies a shell block promises, written as a trailing `# {…}` comment
 * after a command, with all whitespace removed (the CLI pretty-prints, curl
 * does not) — compare against output with `withoutWhitespace`.
 */
export function promisedReplies(code: string): string[] {
  return code
    .split('\n')
    .map((line) => /\s#\s*(\{.*\})\s*$/.exec(line)?.[1])
    .filter((reply): reply is string => reply !== undefined)
    .map(withoutWhitespace);
}

export function withoutWhitespace(text: string): string {
  return text.replace(/\s+/g, '');
}

export interface ShellResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a shell block with bash, stopping at the first failing command
 * (`-e`, `-o pipefail`), as a reader pasting it would notice a failure.
 */
export function runShell(code: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', code], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
