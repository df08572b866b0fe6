import { InvalidArgumentError } from '../errors.js';

/**
 * Deepest JSON a remote caller may send (arrays and objects). Tuples need far
 * less (the tuple depth limit is 32; see MAX_JSON_FORM_DEPTH), and actor
 * payloads deeper than this are not data anyone means to send. The limit
 * exists because JSON.stringify, structured clone and every recursive walk
 * in the node overflow the stack somewhere past a few thousand levels, which
 * surfaced as a 500 / PLEX_ERR_INTERNAL instead of a refusal.
 */
export const MAX_JSON_DEPTH = 256;

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Refuses JSON text that nests deeper than `maxDepth`, before it is parsed,
 * in one pass and without recursion. Only brackets outside strings count;
 * the text need not be valid JSON (JSON.parse judges that afterwards).
 */
export function checkJsonTextDepth(text: Uint8Array, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) throw new InvalidArgumentError(`the JSON nests deeper than ${maxDepth} levels (at byte ${i})`);
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
}

/**
 * Checks a parsed value that the node will turn back into JSON (an actor
 * payload, a shard entry): at most `maxDepth` deep, numbers finite (JSON
 * would turn Infinity into null), no bigint (JSON.stringify throws on it).
 * Iterative, so any depth is safe to check. `name` starts the path in the
 * message, e.g. `payload.items[3]`.
 */
export function checkJsonValue(value: unknown, name: string, maxDepth = MAX_JSON_DEPTH): void {
  // Each entry: a value, its depth, and how to name it if it is refused.
  const stack: { value: unknown; depth: number; path: () => string }[] = [{ value, depth: 0, path: () => name }];
  while (stack.length > 0) {
    const { value: v, depth, path } = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new InvalidArgumentError(`${path()}: ${v} is not a finite number (JSON numbers must fit a float64)`);
      continue;
    }
    if (typeof v === 'bigint') throw new InvalidArgumentError(`${path()}: a bigint cannot travel as JSON (send it as a string)`);
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > maxDepth) throw new InvalidArgumentError(`${path()}: the value nests deeper than ${maxDepth} levels`);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: depth + 1, path: () => `${path()}[${i}]` });
    } else if (!ArrayBuffer.isView(v)) {
      for (const key of Object.keys(v)) stack.push({ value: (v as Record<string, unknown>)[key], depth: depth + 1, path: () => `${path()}.${key}` });
    }
  }
}
