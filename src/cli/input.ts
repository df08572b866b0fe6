import { readFileSync, readSync } from 'node:fs';
import { ActorReplyError, FileUnreadableError, GatherUnsatisfiedError, UsageError, shown } from '../errors.js';

/**
 * Where the remote commands take JSON: inline, `@path/to/file.json`, or `-`
 * for stdin. The file forms exist because a large input (10,000 bulk-update
 * entries) does not fit in an argument list.
 */
export function jsonInputText(name: string, text: string): string {
  if (text === '-') {
    try {
      return readStdinSync();
    } catch (cause) {
      throw new FileUnreadableError(`cannot read ${name} from stdin: ${(cause as Error).message}`, { cause });
    }
  }
  if (text.startsWith('@')) return readInputFile(text.slice(1), name);
  return text;
}

/** Reads a file a command names; a missing or unreadable one is a failure (exit 1), not wrong usage. */
export function readInputFile(path: string, what: string): string;
export function readInputFile(path: string, what: string, binary: true): Buffer;
export function readInputFile(path: string, what: string, binary?: true): string | Buffer {
  try {
    return binary ? readFileSync(path) : readFileSync(path, 'utf8');
  } catch (cause) {
    throw new FileUnreadableError(`cannot read ${what} from ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** JSON from inline text, `@file` or `-`; `fallback` when the argument is absent. */
export function jsonInput(name: string, text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  const source = jsonInputText(name, text);
  try {
    return JSON.parse(source);
  } catch (cause) {
    throw new UsageError(`${name} must be JSON${text === source ? '' : ` (read from ${text === '-' ? 'stdin' : text.slice(1)})`}: ${(cause as Error).message}`);
  }
}

/**
 * Whether an actor's reply reports an error. Actors answer failures in two
 * conventional shapes (the articles' actors do both): an object with an
 * `error` key (`{"error": "insufficient_funds"}`) or a string starting with
 * `ERROR`. A script running `plexspaces ask` needs a non-zero exit for them.
 */
export function checkReply(reply: unknown): void {
  if (typeof reply === 'string' && reply.startsWith('ERROR')) throw new ActorReplyError(`the actor replied with an error: ${reply}`);
  if (reply !== null && typeof reply === 'object' && !Array.isArray(reply) && Object.hasOwn(reply, 'error')) {
    const error = (reply as { error: unknown }).error;
    if (error !== null && error !== false && error !== undefined) throw new ActorReplyError(`the actor replied with an error: ${shown(error)}`);
  }
}

/** A gather result that did not get the answers it required, or a bulk update a shard did not take. */
export function checkGather(result: unknown): void {
  const r = result as { satisfied?: unknown; shards?: { shard: number; status: string }[] } | null;
  if (r?.satisfied === false) {
    const bad = (r.shards ?? []).filter((s) => s.status !== 'ok').map((s) => `${s.shard}: ${s.status}`);
    throw new GatherUnsatisfiedError(`not satisfied: fewer good shard answers than required${bad.length > 0 ? ` (${bad.join(', ')})` : ''}`);
  }
  if (r?.satisfied === undefined && Array.isArray(r?.shards)) {
    const bad = r.shards.filter((s) => s.status !== 'ok').map((s) => `${s.shard}: ${s.status}`);
    if (bad.length > 0) throw new GatherUnsatisfiedError(`shards that did not take the update: ${bad.join(', ')}`);
  }
}

/** An actor id as one path segment: `account:alice` keeps its `:` (percent-encoded it named no actor). */
export function actorSegment(id: string): string {
  // RFC 3986 allows `:` and `@` in a path segment; the gateway matches the raw segment.
  return encodeURIComponent(id).replace(/%3A/gi, ':').replace(/%40/gi, '@');
}

/**
 * All of stdin, synchronously. `readFileSync(0)` fails with EAGAIN when
 * stdin is a non-blocking pipe (a parent process that writes to it later, as
 * test runners and some shells do), so read in chunks and, when nothing is
 * there yet, sleep a moment and try again until end of file.
 */
function readStdinSync(): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(1 << 16);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 5);
      continue;
    }
    if (n === 0) return Buffer.concat(chunks).toString('utf8');
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
}
