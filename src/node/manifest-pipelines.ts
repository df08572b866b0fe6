import { InvalidManifestError, shown } from '../errors.js';
import { resolvePipelineSpec, type StageSpec } from '../pipeline/pipeline-spec.js';
import { fromJsonValue } from '../tuple/json.js';
import type { Template } from '../tuple/types.js';
import { allowKeys, asArray, asTable, integer, moduleFile } from './app-manifest.js';

/**
 * The `[[pipeline]]` sections of an application manifest: pipelines that
 * start with the application (in its namespace) and stop with it.
 *
 * ```toml
 * [[pipeline]]
 * name = "words"
 * space = "default"                 # the namespace's space it runs on (default "default")
 *
 * [[pipeline.stage]]
 * name = "split"
 * module = "split.wasm"             # a module of the bundle; any language the platform runs
 * input = '["line", null, null]'    # the template, in its JSON form (TOML has no null for wildcards)
 * instances = 2
 * max_backlog = 1024
 * key = 1                           # optional: per-key order on field 1
 * message = "process"               # the message type its instances are asked
 * lease_ms = 60000
 * timeout_ms = 30000
 * max_attempts = 3
 * max_restarts = 10
 * restart_window_seconds = 10
 * ```
 *
 * A single `[pipeline]` table (with its `[[pipeline.stage]]`s) is one pipeline.
 */
export interface ManifestPipeline {
  readonly name: string;
  readonly space?: string;
  /** Stages with `module` naming a file of the bundle (the deploy maps it to the deployed module). */
  readonly stages: readonly StageSpec[];
}

const SPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const STAGE_KEYS = ['name', 'module', 'input', 'instances', 'max_backlog', 'key', 'message', 'lease_ms', 'timeout_ms', 'max_attempts', 'max_restarts', 'restart_window_seconds'];

export function readPipelines(value: unknown, modules: Set<string>): ManifestPipeline[] {
  const entries = Array.isArray(value) ? value : [value];
  const names = new Set<string>();
  return entries.map((entry, i) => {
    const path = Array.isArray(value) ? `pipeline[${i}]` : 'pipeline';
    const table = asTable(entry, path);
    allowKeys(table, path, ['name', 'space', 'stage']);
    if (table.space !== undefined && (typeof table.space !== 'string' || !SPACE.test(table.space))) throw new InvalidManifestError(`${path}.space`, `must be a space name, got ${shown(table.space)}`);
    const stages = asArray(table.stage ?? [], `${path}.stage`).map((raw, j): StageSpec => {
      const at = `${path}.stage[${j}]`;
      const stage = asTable(raw, at);
      allowKeys(stage, at, STAGE_KEYS);
      const optional = (key: string, min: number, scale = 1) => (stage[key] === undefined ? undefined : integer(stage[key], `${at}.${key}`, min) * scale);
      return {
        name: stage.name as string,
        module: moduleFile(stage.module ?? `${String(stage.name)}.wasm`, `${at}.module`, modules),
        input: template(stage.input, `${at}.input`),
        ...(stage.message === undefined ? {} : { message: stage.message as string }),
        instances: optional('instances', 1),
        maxBacklog: optional('max_backlog', 1),
        key: optional('key', 0),
        leaseMs: optional('lease_ms', 1),
        timeoutMs: optional('timeout_ms', 1),
        maxAttempts: optional('max_attempts', 1),
        maxRestarts: optional('max_restarts', 0),
        restartWindowMs: optional('restart_window_seconds', 1, 1000),
      };
    });
    const spec = { name: table.name as string, stages: stages.map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as unknown as StageSpec) };
    // Every rule of the TS API, checked at parse time: a bad pipeline refuses the deploy before anything changes.
    try {
      resolvePipelineSpec(spec);
    } catch (error) {
      throw new InvalidManifestError(path, (error as Error).message);
    }
    if (names.has(spec.name)) throw new InvalidManifestError(`${path}.name`, `${shown(spec.name)} is used twice`);
    names.add(spec.name);
    return { name: spec.name, ...(table.space === undefined ? {} : { space: table.space as string }), stages: spec.stages };
  });
}

function template(value: unknown, path: string): Template {
  if (typeof value !== 'string') throw new InvalidManifestError(path, `must be the template's JSON form as a string, e.g. '["line", null, null]', got ${shown(value)}`);
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) throw new Error('not a JSON array');
    return fromJsonValue(parsed) as Template;
  } catch (error) {
    throw new InvalidManifestError(path, `not a template in JSON form: ${(error as Error).message}`);
  }
}
