import { optionalNumber, optionalString } from './body-fields.js';
import type { FaasRouteContext as RouteContext } from './faas-routes.js';
import type { NodeService } from './node-service.js';
import { acrossCluster, clusterFigures, drainWithin, pipelineSpecFromJson, tuplesFromJson } from './pipeline-calls.js';

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
  // ?across=cluster: every node's figures of a pipeline on a shared space, merged (docs/pipelines.md, "Across nodes").
  route('GET', `${base}/{}`, async (_, [tenant, namespace, name], url, principal) => {
    const scope = s.scope(principal, tenant, namespace);
    return { body: acrossCluster(url.searchParams.get('across') ?? undefined) ? await clusterFigures(s.node, scope, name) : pipelines.get(scope, name).figures() };
  });
  route('DELETE', `${base}/{}`, async (_, [tenant, namespace, name], __, principal) => {
    await pipelines.remove(s.scope(principal, tenant, namespace), name);
    return { body: { removed: name } };
  });
  // Waits while the stage each tuple is for is full: a fast producer is held back, not buffered.
  route('POST', `${base}/{}/write`, async (request, [tenant, namespace, name], __, principal) => {
    const pipeline = pipelines.get(s.scope(principal, tenant, namespace), name);
    const tuples = tuplesFromJson((await object(request)).tuples);
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
    const finished = await drainWithin(pipeline, optionalNumber(body.timeoutMs, 'timeoutMs'), signal);
    return { status: finished ? 200 : 202, body: pipeline.figures() };
  });
}
