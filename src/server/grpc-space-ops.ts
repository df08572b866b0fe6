/**
 * The TupleSpace service's operations in their protobuf form
 * (proto/plexspaces/v1/tuplespace.proto), shared by the unary methods and
 * the streaming Session: one place turns a request into a NodeService call
 * and its answer into a response message.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Principal } from './auth.js';
import { jsonToTuple, optionalNumber, templateToJson, tupleToJson, type ProtoField, type ProtoTemplateField } from './grpc-tuples.js';
import type { NodeService, Scope } from './node-service.js';

export interface ProtoSpaceRef {
  tenant?: string;
  namespace?: string;
  space?: string;
}

/** The fields of every TupleSpace request message, each optional as proto-loader hands them over. */
export interface SpaceRequest {
  space?: ProtoSpaceRef;
  template?: { fields?: ProtoTemplateField[] };
  tuple?: { fields?: ProtoField[] };
  tuples?: { fields?: ProtoField[] }[];
  ttlMs?: string;
  timeoutMs?: string;
  limit?: number;
  leaseMs?: string;
  holder?: string;
  deliveryId?: string;
}

export type SpaceOperation = 'write' | 'writeAll' | 'read' | 'take' | 'tryRead' | 'tryTake' | 'readAll' | 'takeAll' | 'count' | 'takeWithAck' | 'ack' | 'nack';

/**
 * An operation's answer. `settle`, when present, must be called once the
 * reply has gone out (true) or could not (false): a take's tuples are held
 * until then, so a reply that never reaches its caller gives them back.
 */
export interface SpaceAnswer {
  readonly reply: object;
  readonly settle?: (delivered: boolean) => Promise<void>;
}

export interface SpaceOperationContext {
  readonly service: NodeService;
  readonly principal: Principal;
  /** The surface's check of the request's tenant and namespace. */
  readonly scopeOf: (principal: Principal, ref: ProtoSpaceRef | undefined) => Scope;
  /** Aborts a waiting read or take. */
  readonly signal?: AbortSignal;
  /** Who holds a take_with_ack delivery when the request names no holder. */
  readonly defaultHolder: string;
}

export async function runSpaceOperation(operation: SpaceOperation, r: SpaceRequest, context: SpaceOperationContext): Promise<SpaceAnswer> {
  const { service: s, principal, signal } = context;
  const scope = context.scopeOf(principal, r.space);
  if (operation === 'ack' || operation === 'nack') {
    await s.settle(scope, r.deliveryId, operation);
    return { reply: {} };
  }
  if (!r.space?.space) throw new InvalidArgumentError('space.space (the space name) is required');
  const name = r.space.space;
  switch (operation) {
    case 'write':
      if (r.tuple === undefined || r.tuple === null) throw new InvalidArgumentError('tuple is required');
      await s.write(scope, name, tupleToJson(r.tuple), optionalNumber(r.ttlMs));
      return { reply: { written: 1 } };
    case 'writeAll':
      return { reply: { written: await s.writeAll(scope, name, (r.tuples ?? []).map(tupleToJson)) } };
    case 'read':
    case 'tryRead':
      return { reply: { tuple: jsonToTuple(await s.read(scope, name, templateToJson(r.template), { timeoutMs: operation === 'read' ? optionalNumber(r.timeoutMs) : 0, signal })) } };
    case 'take':
    case 'tryTake': {
      // Held as a delivery until its reply is on its way (SpaceAnswer.settle).
      const taken = await s.takeForReply(scope, name, templateToJson(r.template), { timeoutMs: operation === 'take' ? optionalNumber(r.timeoutMs) : 0, signal });
      return taken === null ? { reply: { tuple: null } } : { reply: { tuple: jsonToTuple(taken.tuple) }, settle: taken.settle };
    }
    case 'readAll':
      return { reply: { tuples: (await s.readAll(scope, name, templateToJson(r.template), { limit: optionalNumber(r.limit) })).map((t) => jsonToTuple(t)) } };
    case 'takeAll': {
      const taken = await s.takeAllForReply(scope, name, templateToJson(r.template), { limit: optionalNumber(r.limit) });
      return { reply: { tuples: taken.tuples.map((t) => jsonToTuple(t)) }, settle: taken.settle };
    }
    case 'count':
      return { reply: { count: String(await s.count(scope, name, templateToJson(r.template))) } };
    case 'takeWithAck': {
      const taken = await s.takeWithAck(scope, name, templateToJson(r.template), {
        timeoutMs: optionalNumber(r.timeoutMs),
        leaseMs: optionalNumber(r.leaseMs),
        holder: r.holder || context.defaultHolder,
        signal,
      });
      return { reply: taken === null ? {} : { tuple: jsonToTuple(taken.tuple), deliveryId: taken.deliveryId, deliveries: taken.deliveries, leaseExpiresAt: String(taken.leaseExpiresAt) } };
    }
  }
}
