import { createHash } from 'node:crypto';
import { SPACE_LIBRARY, SPACE_SCRIPTS, type SpaceScriptName } from './space-scripts.js';

/**
 * The space scripts in the two forms Redis runs them.
 *
 * Redis 7: one Functions library, `plexspace`, loaded once per server (FUNCTION
 * LOAD; it persists in the RDB/AOF and reaches replicas) and run by FCALL.
 * The ~40 helper functions of SPACE_LIBRARY are defined when the library
 * loads, not on every call as a script must: that is most of what a short
 * script cost. A function gets KEYS and ARGV as parameters and may not set
 * globals, so each body is wrapped as `function(KEYS, ARGV) … end`, and its
 * first statement binds the library's per-space upvalues (base, T, …) to its
 * key.
 *
 * Older servers: each body is an EVAL script with the library prepended
 * (ioredis sends it once per connection and EVALSHA after).
 *
 * Function names carry a hash of the library's source, so a node never runs
 * a library of another version: a stale one answers "Function not found"
 * and the runner loads its own (space-script-runner.ts).
 */
export const SPACE_LIBRARY_NAME = 'plexspace';

const VERSION = createHash('sha1')
  .update(SPACE_LIBRARY)
  .update(JSON.stringify(SPACE_SCRIPTS))
  .digest('hex')
  .slice(0, 12);

/** The FCALL name of one script in this version of the library. */
export function spaceFunctionName(name: SpaceScriptName): string {
  return `${SPACE_LIBRARY_NAME}_${VERSION}_${name}`;
}

function wrapped(body: string): string {
  return `function(KEYS, ARGV)\nbegin_call(KEYS[1])\n${body}\nend`;
}

/** The source for FUNCTION LOAD REPLACE. */
export const SPACE_FUNCTION_LIBRARY = [
  `#!lua name=${SPACE_LIBRARY_NAME}`,
  SPACE_LIBRARY,
  ...Object.entries(SPACE_SCRIPTS).map(([name, script]) => `redis.register_function('${spaceFunctionName(name as SpaceScriptName)}', ${wrapped(script.body)})`),
].join('\n');

/** The EVAL form of one script (Redis before 7). */
export function spaceEvalScript(name: SpaceScriptName): string {
  const script = SPACE_SCRIPTS[name];
  if (!script.library) return script.body;
  return `${SPACE_LIBRARY}\nbegin_call(KEYS[1])\n${script.body}`;
}
