import { InvalidArgumentError, shown } from '../errors.js';
import type { PipelineSpec, StageSpec } from '../pipeline/pipeline-spec.js';
import { fromJsonValue } from '../tuple/json.js';
import type { Template, Tuple } from '../tuple/types.js';
import { optionalNumber, optionalString } from './body-fields.js';
import type { FaasRouteContext as RouteContext } from './faas-routes.js';
import type { NodeService } from './node-service.js';
import { MAX_REMOTE_WAIT_MS } from './space-calls.js';

/**
 * Dataflow pipelines over HTTP (docs/pipelines.md): /api/v1/pipelines/{tenant}/{namespace}
 * to start (POST) and list (GET); /{name} for the figures (GET) and to stop and remove
 * (DELETE); /{name}/write, /scale, /end and /drain. Stages name deployed modules of the
 * tenant; templates and tuples are in their JSON form.
 */
export function definePipelineRoutes(context: RouteContext, s: NodeService): void {
  const { route, object } = context;
  const base = '/api/v1/pipelines/{}/{}';
  const pipelines = s.node.pipelines;
  route('POST', base, async (request, [tenant, namespace], __, principal) => {
    const scope = s.scope(principal, tenant, namespace);
    const body = await object(request);
    const pipeline = await pipelines.start(pipelineSpecFromJson(body), { scope, space: optionalString(body.space, 'space') });
    return { status: 201, body: pipeline.figures() };
  });
  route('GET', base, async (_, [tenant, namespace], __, principal) => ({ body: { pipelines: pipelines.list(s.scope(principal, tenant, namespace)) } }));
  route('GET', `${base}/{}`, async (_, [tenant, namespace, name], __, principal) => ({ body: pipelines.get(s.scope(principal, tenant, namespace), name).figures() }));
  route('DELETE', `${base}/{}`, async (_, [tenant, namespace, name], __, principal) => {
    await pipelines.remove(s.scope(principal, tenant, namespace), name);
    return { body: { removed: name } };
  });
  // Waits while the stage each tuple is for is full: a fast producer is held back, not buffered.
  route('POST', `${base}/{}/write`, async (request, [tenant, namespace, name], __, principal) => {
    const pipeline = pipelines.get(s.scope(principal, tenant, namespace), name);
    const body = await object(request);
    if (!Array.isArray(body.tuples)) throw new InvalidArgumentError('tuples must be a JSON array of tuples');
    const tuples = body.tuples.map((t, i) => {
      if (!Array.isArray(t)) throw new InvalidArgumentError(`tuples[${i}] must be a JSON array, got ${shown(t)}`);
      return fromJsonValue(t) as Tuple;
    });
    await pipeline.writeAll(tuples);
    return { status: 201, body: { written: tuples.length } };
  });
  route('POST', `${base}/{}/scale`, async (request, [tenant, namespace, name], __, principal) => {
    const pipeline = pipelines.get(s.scope(principal, tenant, namespace), name);
    const body = await object(request);
    pipeline.scale(optionalString(body.stage, 'stage') ?? '', optionalNumber(body.instances, 'instances') ?? Number.NaN);
    return { body: pipeline.figures() };
  });
  route('POST', `${base}/{}/end`, async (_, [tenant, namespace, name], __, principal) => {
    const pipeline = pipelines.get(s.scope(principal, tenant, namespace), name);
    pipeline.end();
    return { status: 202, body: pipeline.figures() };
  });
  // Ends the input and answers once every stage finished (or timeoutMs passed: 202 with the figures so far).
  route('POST', `${base}/{}/drain`, async (request, [tenant, namespace, name], __, principal, signal) => {
    const pipeline = pipelines.get(s.scope(principal, tenant, namespace), name);
    const body = await object(request);
    const timeoutMs = Math.min(optionalNumber(body.timeoutMs, 'timeoutMs') ?? MAX_REMOTE_WAIT_MS, MAX_REMOTE_WAIT_MS);
    pipeline.end();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      pipeline.finished.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
        signal?.addEventListener('abort', () => resolve(false), { once: true });
      }),
    ]).finally(() => clearTimeout(timer));
    return { status: finished ? 200 : 202, body: pipeline.figures() };
  });
}

const STAGE_FIELDS = ['name', 'module', 'input', 'message', 'instances', 'maxBacklog', 'key', 'leaseMs', 'timeoutMs', 'maxAttempts', 'maxRestarts', 'restartWindowMs'];

/** A pipeline from a JSON body (HTTP, gRPC): module stages only, templates in their JSON form. */
export function pipelineSpecFromJson(body: Record<string, unknown>): PipelineSpec {
  const extra = Object.keys(body).find((k) => !['name', 'space', 'stages'].includes(k));
  if (extra !== undefined) throw new InvalidArgumentError(`unknown field ${shown(extra)} (a pipeline has name, space, stages)`);
  if (!Array.isArray(body.stages)) throw new InvalidArgumentError('stages must be a JSON array');
  const stages = body.stages.map((raw, i): StageSpec => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError(`stages[${i}] must be an object`);
    const stage = raw as Record<string, unknown>;
    const unknown = Object.keys(stage).find((k) => !STAGE_FIELDS.includes(k));
    if (unknown !== undefined) throw new InvalidArgumentError(`stages[${i}]: unknown field ${shown(unknown)} (remote stages name a deployed module)`);
    if (typeof stage.module !== 'string') throw new InvalidArgumentError(`stages[${i}].module must name a deployed module`);
    if (!Array.isArray(stage.input)) throw new InvalidArgumentError(`stages[${i}].input must be a template, a JSON array (null is the wildcard)`);
    return { ...(stage as unknown as StageSpec), input: fromJsonValue(stage.input) as Template };
  });
  return { name: body.name as string, stages };
}
