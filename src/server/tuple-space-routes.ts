import type { NodeService } from './node-service.js';
import { optionalNumber } from './body-fields.js';
import type { FaasRouteContext as RouteContext } from './faas-routes.js';

/**
 * The tuple-space routes: POST /api/v1/tuplespace/{tenant}/{namespace}/{space}/{operation}
 * (write, write-all, eval, read, take, read-all, take-all, take-with-ack, count) and the
 * deliveries' ack / nack. A client that hangs up cancels its blocking read or take (`signal`),
 * and a tuple taken for a reply that never reached it goes back to the space (`settle`).
 */
export function defineTupleSpaceRoutes(context: RouteContext, s: NodeService): void {
  const { route, object } = context;
  const ts = '/api/v1/tuplespace/{}/{}/{}';
  route('POST', `${ts}/write`, async (request, [tenant, namespace, space], __, principal) => {
    const body = await object(request);
    await s.write(s.scope(principal, tenant, namespace), space, body.tuple, optionalNumber(body.ttlMs, 'ttlMs'));
    return { status: 201, body: { written: 1 } };
  });
  // Linda's eval: the reply is the finished tuple, written once every computation has answered.
  route('POST', `${ts}/eval`, async (request, [tenant, namespace, space], __, principal, signal) => {
    const body = await object(request);
    const scope = s.scope(principal, tenant, namespace);
    return { status: 201, body: { tuple: await s.eval(scope, space, body.tuple, { onError: body.onError, timeoutMs: body.timeoutMs, ttlMs: body.ttlMs, signal }) } };
  });
  route('POST', `${ts}/write-all`, async (request, [tenant, namespace, space], __, principal) => ({
    status: 201,
    body: { written: await s.writeAll(s.scope(principal, tenant, namespace), space, (await object(request)).tuples) },
  }));
  // A client that hangs up cancels its blocking read or take (`signal`), and a tuple taken
  // for a reply that never reached it goes back to the space (`settle`).
  route('POST', `${ts}/read`, async (request, [tenant, namespace, space], __, principal, signal) => {
    const body = await object(request);
    return { body: { tuple: await s.read(s.scope(principal, tenant, namespace), space, body.template, { timeoutMs: body.timeoutMs, signal }) } };
  });
  route('POST', `${ts}/take`, async (request, [tenant, namespace, space], __, principal, signal) => {
    const body = await object(request);
    const taken = await s.takeForReply(s.scope(principal, tenant, namespace), space, body.template, { timeoutMs: body.timeoutMs, signal });
    return taken === null ? { body: { tuple: null } } : { body: { tuple: taken.tuple }, settle: taken.settle };
  });
  for (const [op, take] of [['read', false], ['take', true]] as const) {
    route('POST', `${ts}/${op}-all`, async (request, [tenant, namespace, space], __, principal) => {
      const body = await object(request);
      const scope = s.scope(principal, tenant, namespace);
      const limit = optionalNumber(body.limit, 'limit');
      if (!take) return { body: { tuples: await s.readAll(scope, space, body.template, { limit }) } };
      const taken = await s.takeAllForReply(scope, space, body.template, { limit });
      return { body: { tuples: taken.tuples }, settle: taken.settle };
    });
  }
  // Crash-safe take: the tuple stays held until ack; nack, the lease's end or nobody acking brings it back.
  route('POST', `${ts}/take-with-ack`, async (request, [tenant, namespace, space], __, principal, signal) => {
    const body = await object(request);
    const holder = `http:${principal.subject ?? principal.tenant}`;
    const scope = s.scope(principal, tenant, namespace);
    const taken = await s.takeWithAck(scope, space, body.template, { timeoutMs: body.timeoutMs, leaseMs: optionalNumber(body.leaseMs, 'leaseMs'), holder, signal });
    if (taken === null) return { body: { tuple: null } };
    // A delivery id the client never saw could only come back at lease end: nack it now.
    return { body: taken, settle: (delivered) => (delivered ? Promise.resolve() : s.settle(scope, taken.deliveryId, 'nack').catch(() => undefined)) };
  });
  for (const outcome of ['ack', 'nack'] as const) {
    route('POST', `/api/v1/tuplespace/{}/{}/deliveries/${outcome}`, async (request, [tenant, namespace], __, principal) => {
      await s.settle(s.scope(principal, tenant, namespace), (await object(request)).deliveryId, outcome);
      return { body: { [outcome === 'ack' ? 'acked' : 'nacked']: true } };
    });
  }
  route('POST', `${ts}/count`, async (request, [tenant, namespace, space], __, principal) => ({
    body: { count: await s.count(s.scope(principal, tenant, namespace), space, (await object(request)).template) },
  }));
}
