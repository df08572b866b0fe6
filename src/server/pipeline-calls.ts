import type { Scope } from '../coord/scope.js';
import { InvalidArgumentError, PipelineNotFoundError, shown } from '../errors.js';
import type { PlexNode } from '../node/plex-node.js';
import { mergeNodeFigures, type ClusterPipelineFigures } from '../pipeline/cluster-figures.js';
import type { Pipeline, PipelineFigures } from '../pipeline/pipeline.js';
import { STAGE_KEYS, type PipelineSpec, type StageSpec } from '../pipeline/pipeline-spec.js';
import { fromJsonValue } from '../tuple/json.js';
import type { Template, Tuple } from '../tuple/types.js';
import { MAX_REMOTE_WAIT_MS } from './space-calls.js';

/**
 * What the remote surfaces (HTTP, the websocket, gRPC) share about
 * pipelines: specs and tuples from their JSON form, drain with a bounded
 * wait, and the live figures stream.
 */

/** A remote stage has every field of the TS API's but `handler` (a function cannot travel). */
const STAGE_FIELDS = STAGE_KEYS.filter((key) => key !== 'handler');

/** A pipeline from a JSON body: module stages only (a remote caller names deployed modules), templates in their JSON form. */
export function pipelineSpecFromJson(body: Record<string, unknown>): PipelineSpec {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError(`a pipeline spec must be a JSON object {name, space?, stages}, got ${shown(body)}`);
  const extra = Object.keys(body).find((k) => !['name', 'space', 'stages'].includes(k));
  if (extra !== undefined) throw new InvalidArgumentError(`unknown field ${shown(extra)} (a pipeline has name, space, stages)`);
  if (!Array.isArray(body.stages)) throw new InvalidArgumentError('stages must be a JSON array');
  const stages = body.stages.map((raw, i): StageSpec => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError(`stages[${i}] must be an object`);
    const stage = Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null));
    const unknown = Object.keys(stage).find((k) => !STAGE_FIELDS.includes(k));
    if (unknown !== undefined) throw new InvalidArgumentError(`stages[${i}]: unknown field ${shown(unknown)} (remote stages name a deployed module)`);
    if (typeof stage.module !== 'string') throw new InvalidArgumentError(`stages[${i}].module must name a deployed module`);
    if (!Array.isArray(stage.input)) throw new InvalidArgumentError(`stages[${i}].input must be a template, a JSON array (null is the wildcard)`);
    return { ...(stage as unknown as StageSpec), input: fromJsonValue(stage.input) as Template };
  });
  return { name: body.name as string, stages };
}

/** Input tuples from their JSON form. */
export function tuplesFromJson(value: unknown): Tuple[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('tuples must be a JSON array of tuples');
  return value.map((t, i) => {
    if (!Array.isArray(t)) throw new InvalidArgumentError(`tuples[${i}] must be a JSON array, got ${shown(t)}`);
    return fromJsonValue(t) as Tuple;
  });
}

/** Ends the input and waits for the pipeline to finish, at most `timeoutMs` (capped at 5 min): true when it did. */
export async function drainWithin(pipeline: Pipeline, timeoutMs: number | undefined, signal?: AbortSignal): Promise<boolean> {
  const wait = Math.min(timeoutMs ?? MAX_REMOTE_WAIT_MS, MAX_REMOTE_WAIT_MS);
  pipeline.end();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      // A failed pipeline has ended too: the figures say how.
      pipeline.finished.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), wait);
        onAbort = () => resolve(false);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

/** Figures of a pipeline, on this node or across the cluster: the watch stops once they say it no longer runs. */
type Watched = { readonly state: string };

/**
 * Sends `read()`'s figures every `intervalMs` (default 1000, at least 100)
 * while they say the pipeline runs (or drains), until `signal` aborts;
 * resolves with how many were sent (the caller replies with the final
 * figures). `ended` wakes the wait early (a local pipeline's end).
 */
export async function watchFigures<F extends Watched>(read: () => F | Promise<F>, intervalMs: unknown, signal: AbortSignal, send: (figures: F) => void, ended?: Promise<unknown>): Promise<number> {
  const every = Math.max(100, typeof intervalMs === 'number' && Number.isFinite(intervalMs) ? intervalMs : 1000);
  let sent = 0;
  const settled = ended?.then(
    () => undefined,
    () => undefined,
  );
  while (!signal.aborted) {
    const figures = await read();
    if (signal.aborted) break;
    if (figures.state !== 'running' && figures.state !== 'draining') break;
    send(figures);
    sent++;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      ...(settled === undefined ? [] : [settled]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, every);
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
  return sent;
}

/** Whether a caller asked for the cluster's figures: `across` is `cluster` or `node` (the default). */
export function acrossCluster(across: unknown): boolean {
  if (across === undefined || across === null || across === 'node') return false;
  if (across === 'cluster') return true;
  throw new InvalidArgumentError(`across must be "node" or "cluster", got ${shown(across)}`);
}

/**
 * A pipeline's figures across the cluster (src/cluster/pipeline-board.ts):
 * every node that runs it on a shared space, merged — from any node, one
 * that runs it or not. A node alone, or a pipeline on this node's own
 * space, answers with this node's figures in the same shape (one node).
 */
export async function clusterFigures(node: PlexNode, scope: Scope, name: string): Promise<ClusterPipelineFigures> {
  let local: PipelineFigures | undefined;
  try {
    local = node.pipelines.get(scope, name).figures();
  } catch (error) {
    if (!(error instanceof PipelineNotFoundError)) throw error;
  }
  const board = node.pipelineBoard;
  if (board === undefined || (local !== undefined && !node.pipelines.isShared(scope, name))) {
    if (local === undefined) throw new PipelineNotFoundError(name);
    return mergeNodeFigures(name, [{ node: node.identity.id, at: new Date().toISOString(), stale: false, figures: local }]);
  }
  const merged = await board.read(scope, name, local);
  if (merged === undefined) throw new PipelineNotFoundError(name);
  return merged;
}
