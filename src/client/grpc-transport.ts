import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { RuntimeClosedError } from '../errors.js';
import { fieldToJson, jsonToField, type ProtoField, type ProtoTemplateField } from '../server/grpc-tuples.js';
import { RemoteError, type Scope, type Transport } from './ws-transport.js';
import { GrpcSessionChannel, type SessionOperation } from './grpc-session-channel.js';
import type { Field } from '../tuple/types.js';
import { encodedSize } from '../tuple/validate-tuple.js';

/** proto/ next to the package (dist/client → ../../proto). */
const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));

type Unary = (request: unknown, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, value: unknown) => void) => grpc.ClientUnaryCall;
type Service = grpc.Client & Record<string, Unary & ((request: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>)>;

/** A JSON-form template (null = any, operator objects) → the protobuf form. */
export function templateFieldToProto(value: unknown): ProtoTemplateField {
  if (value === null) return { any: {} };
  if (Array.isArray(value)) return { nested: { fields: value.map(templateFieldToProto) } };
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === '$type') return { type: String(record.$type) };
    if (keys.length === 1 && keys[0] === '$in') return { in: { fields: (record.$in as unknown[]).map(jsonToField) } };
    if (keys.length === 1 && keys[0] === '$prefix') return { prefix: String(record.$prefix) };
    if (keys.length === 1 && keys[0] === '$eq') return { value: jsonToField(record.$eq) };
    if (keys.length > 0 && keys.every((k) => ['$gt', '$gte', '$lt', '$lte'].includes(k))) {
      const range: Record<string, ProtoField> = {};
      for (const k of keys) range[k.slice(1)] = jsonToField(record[k]);
      return { range };
    }
  }
  return { value: jsonToField(value) };
}

const tupleOf = (value: unknown) => ({ fields: (value as unknown[]).map(jsonToField) });
const templateOf = (value: unknown) => ({ fields: (value as unknown[]).map(templateFieldToProto) });
const fromTuple = (tuple: { fields?: ProtoField[] } | undefined | null) => (tuple ? (tuple.fields ?? []).map((f, i) => fieldToJson(f, `[${i}]`)) : null);

/**
 * The client's transport over gRPC (proto/plexspaces/v1): the same
 * operations as the websocket, mapped to the TupleSpace, Actor, ShardGroup
 * and Node services. Tuple-space operations but eval and watch share one
 * TupleSpace.Session stream; the rest are unary calls. Jobs with progress
 * are websocket-only.
 */
export class GrpcTransport implements Transport {
  private nextId = 1;
  private readonly running = new Map<number, { cancel(): void }>();
  /** The tuple-space operations travel on one TupleSpace.Session stream: a unary call costs grpc-js ≈ 0.5 ms, a stream message far less. */
  private readonly session: GrpcSessionChannel;
  private readonly services: Record<'TupleSpace' | 'Actor' | 'ShardGroup' | 'Node' | 'Pipeline', Service>;
  private closed = false;

  private constructor(
    address: string,
    private readonly token: string | undefined,
  ) {
    const definition = protoLoader.loadSync(['tuplespace.proto', 'actor.proto', 'shardgroup.proto', 'node.proto', 'pipeline.proto'].map((f) => `plexspaces/v1/${f}`), {
      includeDirs: [PROTO_ROOT],
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
    });
    const v1 = (grpc.loadPackageDefinition(definition) as unknown as { plexspaces: { v1: Record<string, new (a: string, c: grpc.ChannelCredentials, o: grpc.ChannelOptions) => Service> } }).plexspaces.v1;
    const credentials = grpc.credentials.createInsecure();
    // The node sends and takes messages of up to 64 MiB (a SessionReplies of 32 tuples of 1 MiB, a large take_all); grpc-js would refuse over 4 MiB.
    const limits = { 'grpc.max_receive_message_length': 64 << 20, 'grpc.max_send_message_length': 64 << 20 };
    const service = (name: string) => new v1[name](address, credentials, limits);
    this.services = { TupleSpace: service('TupleSpace'), Actor: service('Actor'), ShardGroup: service('ShardGroup'), Node: service('Node'), Pipeline: service('Pipeline') };
    const tupleSpace = this.services.TupleSpace as unknown as { Session(metadata: grpc.Metadata): grpc.ClientDuplexStream<object, never> };
    this.session = new GrpcSessionChannel((metadata) => tupleSpace.Session(metadata), () => this.metadata());
  }

  /** `grpc://host:port`; waits until the channel is ready. */
  static async open(url: string, token?: string): Promise<GrpcTransport> {
    const address = new URL(url).host;
    const transport = new GrpcTransport(address, token);
    await new Promise<void>((resolve, reject) =>
      transport.services.Node.waitForReady(Date.now() + 5000, (error) => (error ? reject(new RemoteError('PLEX_ERR_UNAVAILABLE', `cannot reach ${url}: ${error.message}`)) : resolve())),
    );
    return transport;
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  private unary(id: number, service: keyof GrpcTransport['services'], method: string, request: unknown): Promise<any> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new RuntimeClosedError());
      const call = this.services[service][method](request, this.metadata(), (error: grpc.ServiceError | null, value: unknown) => {
        this.running.delete(id);
        if (error === null) return resolve(value);
        const code = error.metadata?.get('plex-error-code')[0];
        if (error.code === grpc.status.CANCELLED) return reject(new RemoteError('PLEX_ERR_ABORTED', 'cancelled'));
        reject(new RemoteError(code === undefined ? `PLEX_ERR_GRPC_${grpc.status[error.code]}` : String(code), error.details.replace(/^PLEX_ERR_\w+: /, '')));
      });
      this.running.set(id, call);
    });
  }

  /** One operation on the session stream, cancellable by the transport's id like any call. */
  private sessionCall(id: number, operation: SessionOperation, body: object, bytes = 0): Promise<any> {
    if (this.closed) return Promise.reject(new RuntimeClosedError());
    const { sessionId, done } = this.session.request(operation, body, bytes);
    this.running.set(id, { cancel: () => this.session.cancel(sessionId) });
    return done.finally(() => this.running.delete(id));
  }

  request(op: string, scope: Scope | undefined, args: Record<string, unknown>, onEvent?: (event: string, data: unknown) => void): { id: number; done: Promise<unknown> } {
    const id = this.nextId++;
    return { id, done: this.dispatch(id, op, scope ?? { tenant: '', namespace: '' }, args, onEvent) };
  }

  call(op: string, scope: Scope | undefined, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.request(op, scope, args).done;
  }

  cancel(id: number): void {
    this.running.get(id)?.cancel();
  }

  close(): void {
    this.closed = true;
    for (const call of this.running.values()) call.cancel();
    this.session.close();
    for (const service of Object.values(this.services)) service.close();
  }

  private async dispatch(id: number, op: string, scope: Scope, a: Record<string, unknown>, onEvent?: (event: string, data: unknown) => void): Promise<unknown> {
    const space = { tenant: scope.tenant, namespace: scope.namespace, space: a.space };
    const actor = { tenant: scope.tenant, namespace: scope.namespace, id: a.actor };
    const group = { tenant: scope.tenant, namespace: scope.namespace, id: a.group };
    const pipeline = { tenant: scope.tenant, namespace: scope.namespace, name: a.name };
    const ms = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
    const gather = (r: { valueJson?: string; shards?: { shard: number; status: string; latencyMs: number; valueJson?: string; errorCode?: string; errorMessage?: string }[]; satisfied?: boolean }) => ({
      value: r.valueJson ? JSON.parse(r.valueJson) : null,
      shards: (r.shards ?? []).map((s) => ({ ...s, value: s.valueJson ? JSON.parse(s.valueJson) : undefined })),
      satisfied: r.satisfied ?? false,
    });
    switch (op) {
      case 'ping':
        return (await this.unary(id, 'Node', 'Health', {})).status === 'ok' ? 'pong' : 'not ok';
      case 'node.info':
        return this.unary(id, 'Node', 'Info', {});
      case 'ts.write':
        await this.sessionCall(id, 'write', { space, tuple: tupleOf(a.tuple), ttlMs: ms(a.ttlMs) }, encodedSize(a.tuple as Field));
        return 1;
      case 'ts.writeAll':
        return (await this.sessionCall(id, 'writeAll', { space, tuples: (a.tuples as unknown[]).map(tupleOf) }, encodedSize(a.tuples as Field))).written;
      case 'ts.eval': {
        // {"$eval": {…}} fields travel as Computation, the others as values (tuplespace.proto EvalField).
        const fields = (a.tuple as unknown[]).map((field) => {
          const spec = field !== null && typeof field === 'object' && !Array.isArray(field) && '$eval' in field ? (field as { $eval: Record<string, unknown> }).$eval : undefined;
          if (spec === undefined) return { value: jsonToField(field) };
          return { compute: { module: spec.module, task: spec.task, actor: spec.actor, message: spec.message, argsJson: JSON.stringify(spec.args ?? {}) } };
        });
        return fromTuple((await this.unary(id, 'TupleSpace', 'Eval', { space, fields, onError: a.onError, timeoutMs: ms(a.timeoutMs), ttlMs: ms(a.ttlMs) })).tuple);
      }
      case 'ts.read':
      case 'ts.take':
        return fromTuple((await this.sessionCall(id, op === 'ts.read' ? 'read' : 'take', { space, template: templateOf(a.template), timeoutMs: ms(a.timeoutMs) })).tuple);
      case 'ts.readAll':
      case 'ts.takeAll':
        return ((await this.sessionCall(id, op === 'ts.readAll' ? 'readAll' : 'takeAll', { space, template: templateOf(a.template), limit: a.limit })).tuples ?? []).map(fromTuple);
      case 'ts.count':
        return Number((await this.sessionCall(id, 'count', { space, template: templateOf(a.template) })).count ?? 0);
      case 'ts.takeWithAck': {
        const r = await this.sessionCall(id, 'takeWithAck', { space, template: templateOf(a.template), timeoutMs: ms(a.timeoutMs), leaseMs: ms(a.leaseMs) });
        return r.tuple ? { tuple: fromTuple(r.tuple), deliveryId: r.deliveryId, deliveries: r.deliveries, leaseExpiresAt: Number(r.leaseExpiresAt) } : null;
      }
      case 'ts.ack':
      case 'ts.nack':
        await this.sessionCall(id, op === 'ts.ack' ? 'ack' : 'nack', { space, deliveryId: a.deliveryId });
        return null;
      case 'ts.watch':
        return new Promise((resolve, reject) => {
          const stream = this.services.TupleSpace.Watch({ space, template: templateOf(a.template) }, this.metadata());
          this.running.set(id, stream);
          let events = 0;
          stream.on('data', (e: { type: string; tuple?: { fields?: ProtoField[] }; dropped?: string }) => {
            events++;
            onEvent?.(e.type, e.type === 'overflow' ? { dropped: Number(e.dropped) } : { tuple: fromTuple(e.tuple) });
          });
          stream.on('end', () => resolve({ events }));
          stream.on('error', (error: grpc.ServiceError) => (error.code === grpc.status.CANCELLED ? resolve({ events }) : reject(new RemoteError('PLEX_ERR_GRPC', error.message))));
        });
      case 'actor.ask':
        return JSON.parse((await this.unary(id, 'Actor', 'Ask', { actor, messageType: a.type, payloadJson: JSON.stringify(a.payload ?? {}), applicationId: a.application, timeoutMs: ms(a.timeoutMs) })).replyJson);
      case 'actor.tell':
        await this.unary(id, 'Actor', 'Tell', { actor, messageType: a.type, payloadJson: JSON.stringify(a.payload ?? {}), applicationId: a.application });
        return null;
      case 'actor.list':
        return (await this.unary(id, 'Actor', 'List', { tenant: scope.tenant, namespace: scope.namespace })).ids ?? [];
      case 'group.create':
        return this.unary(id, 'ShardGroup', 'Create', { group, applicationId: a.application, shards: a.shards, partition: a.partition, config: a.config });
      case 'group.list':
        return (await this.unary(id, 'ShardGroup', 'List', { tenant: scope.tenant, namespace: scope.namespace })).groups ?? [];
      case 'group.delete':
        await this.unary(id, 'ShardGroup', 'Delete', { group });
        return null;
      case 'group.bulkUpdate':
        return this.unary(id, 'ShardGroup', 'BulkUpdate', { group, consistency: a.consistency, entries: (a.entries as [unknown, unknown][]).map(([k, v]) => ({ keyJson: JSON.stringify(k), valueJson: JSON.stringify(v) })) });
      case 'group.scatterGather':
        return gather(await this.unary(id, 'ShardGroup', 'Map', { group, messageType: a.type, payloadJson: JSON.stringify(a.payload ?? {}), deadlineMs: ms(a.deadlineMs), minResponses: a.minResponses }));
      case 'group.reduce':
        return gather(await this.unary(id, 'ShardGroup', 'Reduce', { group, messageType: a.type, payloadJson: JSON.stringify(a.payload ?? {}), op: a.op, path: a.path, deadlineMs: ms(a.deadlineMs) }));
      case 'group.scale':
        return this.unary(id, 'ShardGroup', 'Scale', { group, shards: a.shards });
      case 'pipeline.start': {
        const spec = a.spec as { name: string; stages: Record<string, unknown>[] };
        const stages = spec.stages.map((st) => ({ ...st, input: templateOf(st.input), leaseMs: ms(st.leaseMs), timeoutMs: ms(st.timeoutMs), restartWindowMs: ms(st.restartWindowMs) }));
        return figuresOf(await this.unary(id, 'Pipeline', 'Start', { pipeline: { ...pipeline, name: spec.name }, space: a.space, stages }));
      }
      case 'pipeline.list':
        return { pipelines: ((await this.unary(id, 'Pipeline', 'List', { tenant: scope.tenant, namespace: scope.namespace })).pipelines ?? []).map(figuresOf) };
      case 'pipeline.figures':
        return a.across === 'cluster' ? clusterFiguresOf(await this.unary(id, 'Pipeline', 'GetAcrossCluster', pipeline)) : figuresOf(await this.unary(id, 'Pipeline', 'Get', pipeline));
      case 'pipeline.write':
        return this.unary(id, 'Pipeline', 'Write', { pipeline, tuples: (a.tuples as unknown[]).map(tupleOf) });
      case 'pipeline.scale':
        return figuresOf(await this.unary(id, 'Pipeline', 'Scale', { pipeline, stage: a.stage, instances: a.instances }));
      case 'pipeline.end':
        return figuresOf(await this.unary(id, 'Pipeline', 'End', pipeline));
      case 'pipeline.drain':
        return figuresOf(await this.unary(id, 'Pipeline', 'Drain', { pipeline, timeoutMs: ms(a.timeoutMs) }));
      case 'pipeline.remove':
        return this.unary(id, 'Pipeline', 'Remove', pipeline);
      case 'pipeline.watch':
        return new Promise((resolve, reject) => {
          const across = a.across === 'cluster';
          const stream = (across ? this.services.Pipeline.WatchAcrossCluster : this.services.Pipeline.Watch).call(this.services.Pipeline, { pipeline, intervalMs: ms(a.intervalMs) }, this.metadata());
          this.running.set(id, stream);
          let events = 0;
          stream.on('data', (figures: Record<string, unknown>) => {
            events++;
            onEvent?.('figures', across ? clusterFiguresOf(figures) : figuresOf(figures));
          });
          stream.on('end', () => resolve({ events }));
          stream.on('error', (error: grpc.ServiceError) => (error.code === grpc.status.CANCELLED ? resolve({ events }) : reject(new RemoteError('PLEX_ERR_GRPC', error.message))));
        });
      default:
        throw new RemoteError('PLEX_ERR_USAGE', `${op} is not available over gRPC (use the websocket: ws://…/ws)`);
    }
  }
}

/** A pipeline's figures across the cluster from their proto form. */
function clusterFiguresOf(raw: Record<string, unknown>): unknown {
  const nodes = ((raw.nodes as Record<string, unknown>[] | undefined) ?? []).map((n) => ({ ...n, figures: figuresOf((n.figures as Record<string, unknown>) ?? {}) }));
  return { ...(figuresOf(raw) as object), nodes };
}

/** Pipeline figures from their proto form: uint64 counters arrive as strings. */
function figuresOf(raw: Record<string, unknown>): unknown {
  const stages = ((raw.stages as Record<string, unknown>[] | undefined) ?? []).map((s) =>
    Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === 'string' && k !== 'stage' && k !== 'state' ? Number(v) : v])),
  );
  return { ...raw, stages };
}
