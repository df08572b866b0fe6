import type { ApplicationInfo } from '../node/application-registry.js';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ErrorCode, InvalidArgumentError, PlexError, RuntimeClosedError } from '../errors.js';
import { evalFieldsToJson, jsonToTuple, optionalNumber, templateToJson, type ProtoEvalField } from './grpc-tuples.js';
import type { Principal } from './auth.js';
import { tupleJson, type NodeService, type Scope } from './node-service.js';
import type { Tuple } from '../tuple/types.js';
import type { TraceCarrier } from '../tracing/node-tracing.js';
import { pipelineService } from './grpc-pipelines.js';
import { runSpaceOperation, type ProtoSpaceRef, type SpaceOperation, type SpaceRequest } from './grpc-space-ops.js';
import { serveSession, type SessionHandle, type SessionRequests } from './grpc-session.js';

/** The proto files' root (proto/), next to the package: what other languages generate clients from. */
export const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));
const PROTO_FILES = ['tuplespace.proto', 'actor.proto', 'shardgroup.proto', 'node.proto', 'pipeline.proto'].map((f) => `plexspaces/v1/${f}`);

/** gRPC status for each error code; the PLEX_ERR_* code itself travels in the `plex-error-code` trailer. */
const STATUS: Partial<Record<string, grpc.status>> = {
  [ErrorCode.InvalidTuple]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.InvalidTemplate]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.InvalidArgument]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.InvalidName]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.InvalidModule]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.Usage]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.TupleTooLarge]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.ModuleNotFound]: grpc.status.NOT_FOUND,
  [ErrorCode.ActorNotFound]: grpc.status.NOT_FOUND,
  [ErrorCode.ShardGroupNotFound]: grpc.status.NOT_FOUND,
  [ErrorCode.ActorExists]: grpc.status.ALREADY_EXISTS,
  [ErrorCode.ShardGroupExists]: grpc.status.ALREADY_EXISTS,
  [ErrorCode.AskTimeout]: grpc.status.DEADLINE_EXCEEDED,
  [ErrorCode.Backpressure]: grpc.status.RESOURCE_EXHAUSTED,
  [ErrorCode.SpaceClosed]: grpc.status.UNAVAILABLE,
  [ErrorCode.RuntimeClosed]: grpc.status.UNAVAILABLE,
  [ErrorCode.Aborted]: grpc.status.CANCELLED,
  [ErrorCode.ActorTrapped]: grpc.status.ABORTED,
  [ErrorCode.KernelFailed]: grpc.status.ABORTED,
  [ErrorCode.HttpRequestFailed]: grpc.status.UNAVAILABLE,
  [ErrorCode.EvalFailed]: grpc.status.ABORTED,
  [ErrorCode.PipelineNotFound]: grpc.status.NOT_FOUND,
  [ErrorCode.PipelineExists]: grpc.status.ALREADY_EXISTS,
  [ErrorCode.PipelineFailed]: grpc.status.ABORTED,
  [ErrorCode.PipelineEnded]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.ActorTimeout]: grpc.status.ABORTED,
  [ErrorCode.ActorMemoryLimit]: grpc.status.ABORTED,
  [ErrorCode.ActorFailed]: grpc.status.ABORTED,
  [ErrorCode.ActorExited]: grpc.status.ABORTED,
  [ErrorCode.Rebalance]: grpc.status.ABORTED,
  [ErrorCode.Unauthenticated]: grpc.status.UNAUTHENTICATED,
  [ErrorCode.Forbidden]: grpc.status.PERMISSION_DENIED,
  [ErrorCode.InvalidManifest]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.NotFound]: grpc.status.NOT_FOUND,
  [ErrorCode.PayloadTooLarge]: grpc.status.RESOURCE_EXHAUSTED,
  [ErrorCode.LockTimeout]: grpc.status.ABORTED,
  [ErrorCode.LockFenced]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.ChannelClosed]: grpc.status.UNAVAILABLE,
  [ErrorCode.LeaseExpired]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.AlreadySettled]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.TransactionConflict]: grpc.status.ABORTED,
  [ErrorCode.BackendUnavailable]: grpc.status.UNAVAILABLE,
  [ErrorCode.NodeDown]: grpc.status.UNAVAILABLE,
  [ErrorCode.ActorMoved]: grpc.status.UNAVAILABLE,
  [ErrorCode.NoMatchingNode]: grpc.status.UNAVAILABLE,
  [ErrorCode.Escalated]: grpc.status.UNAVAILABLE,
  [ErrorCode.FacetRejected]: grpc.status.PERMISSION_DENIED,
  [ErrorCode.QuotaExceeded]: grpc.status.RESOURCE_EXHAUSTED,
  [ErrorCode.AmbiguousActor]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.ActorConflict]: grpc.status.ALREADY_EXISTS,
};

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  const code = error instanceof PlexError ? error.code : 'PLEX_ERR_INTERNAL';
  const metadata = new grpc.Metadata();
  metadata.set('plex-error-code', code);
  return { code: STATUS[code] ?? grpc.status.INTERNAL, details: `${code}: ${(error as Error)?.message ?? String(error)}`, metadata };
}

/**
 * Ends a server stream with the error's status and `plex-error-code`
 * trailer, as a unary call would. Not `call.destroy(error)`: grpc-js then
 * tears the stream down without ever sending a status, and the client waits
 * until its own deadline (or forever). Emitting 'error' makes grpc-js record
 * the status and end the stream after any messages already written.
 */
function failStream(call: grpc.ServerWritableStream<unknown, unknown>, error: unknown): void {
  call.emit('error', toServiceError(error));
}

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

function authorization(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return value === undefined ? undefined : String(value);
}

/** The call's W3C trace context (`traceparent`, `tracestate` metadata), read only when tracing asks for it. */
function metadataCarrier(metadata: grpc.Metadata): TraceCarrier {
  return {
    get traceparent() {
      return metadata.get('traceparent')[0];
    },
    get tracestate() {
      return metadata.get('tracestate')[0];
    },
  };
}

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidArgumentError(`${what} is not valid JSON: ${(cause as Error).message}`);
  }
}

/** Proto3 scalars have no presence: 0 (or unset) means "not given" for the optional settings. */

function shardResult(r: { shard: number; status: string; latencyMs: number; value?: unknown; errorCode?: string; errorMessage?: string; node?: string }) {
  return {
    shard: r.shard,
    status: r.status,
    latencyMs: r.latencyMs,
    valueJson: r.value === undefined ? '' : JSON.stringify(r.value),
    errorCode: r.errorCode ?? '',
    errorMessage: r.errorMessage ?? '',
    node: r.node ?? '',
  };
}


/**
 * The gRPC surface (@grpc/grpc-js, proto/plexspaces/v1): TupleSpace, Actor,
 * Application, ShardGroup and Node services over the same NodeService as
 * HTTP and the websocket.
 */
export class GrpcServer {
  readonly server: grpc.Server;
  /** Open TupleSpace sessions: a client keeps one open for as long as it is connected, so closing the server ends them. */
  private readonly sessions = new Set<SessionHandle>();

  constructor(
    private readonly service: NodeService,
    options: { maxMessageBytes?: number } = {},
  ) {
    const max = options.maxMessageBytes ?? 64 << 20;
    this.server = new grpc.Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max });
    const definition = protoLoader.loadSync(PROTO_FILES, { includeDirs: [PROTO_ROOT], longs: String, enums: String, defaults: false, oneofs: true });
    const root = grpc.loadPackageDefinition(definition) as unknown as { plexspaces: { v1: Record<string, { service: grpc.ServiceDefinition }> } };
    const v1 = root.plexspaces.v1;
    this.server.addService(v1.TupleSpace.service, this.tupleSpace() as unknown as grpc.UntypedServiceImplementation);
    this.server.addService(v1.Actor.service, this.actor() as unknown as grpc.UntypedServiceImplementation);
    this.server.addService(v1.Application.service, this.application() as unknown as grpc.UntypedServiceImplementation);
    this.server.addService(v1.ShardGroup.service, this.shardGroup() as unknown as grpc.UntypedServiceImplementation);
    this.server.addService(v1.Node.service, this.node() as unknown as grpc.UntypedServiceImplementation);
    this.server.addService(
      v1.Pipeline.service,
      pipelineService({
        service: this.service,
        unary: (handler) => this.unary(handler),
        scopeOf: (principal, ref) => this.scopeOf(principal, ref),
        principalOf: (metadata) => this.service.gate.principal(authorization(metadata)),
        failStream,
      }) as unknown as grpc.UntypedServiceImplementation,
    );
  }

  /** Wraps an async handler: the caller's token is verified first; the result or the error (mapped) goes to the callback. */
  private unary<Req, Res>(handler: (request: Req, principal: Principal, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
      this.service
        .observe('grpc', call.getPath(), async () => handler(call.request, await this.service.gate.principal(authorization(call.metadata)), call), metadataCarrier(call.metadata))
        .then(
          (result) => callback(null, result),
          (error) => callback(toServiceError(error)),
        );
    };
  }

  private scopeOf(principal: Principal, ref: { tenant?: string; namespace?: string } | undefined): Scope {
    if (ref === undefined || ref === null) throw new InvalidArgumentError('the request must name its tenant and namespace');
    return this.service.scope(principal, ref.tenant, ref.namespace);
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
  }

  /** Stops accepting calls and waits for running ones, up to `graceMs`, then cancels the rest. */
  close(graceMs = 2000): Promise<void> {
    for (const session of [...this.sessions]) session.stop(new RuntimeClosedError());
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.forceShutdown(), graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private tupleSpace() {
    const s = this.service;
    const scopeOf = (principal: Principal, ref: ProtoSpaceRef | undefined) => this.scopeOf(principal, ref);
    const operation = (op: SpaceOperation) =>
      this.unary<SpaceRequest, object>(async (r, principal, call) => {
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        const answer = await runSpaceOperation(op, r, { service: s, principal, scopeOf, signal: abort.signal, defaultHolder: `grpc:${principal.subject ?? principal.tenant}` });
        if (answer.settle === undefined) return answer.reply;
        // A take is held until its reply is on its way: a client that cancelled meanwhile gets
        // nothing, so what it took goes back instead of vanishing with the reply grpc-js would drop.
        if (call.cancelled) {
          await answer.settle(false);
          throw new PlexError(ErrorCode.Aborted, 'the client cancelled the call; what it took was put back');
        }
        void answer.settle(true);
        return answer.reply;
      });
    const ref = (r: SpaceRequest, principal: Principal) => {
      const scope = this.scopeOf(principal, r.space);
      if (!r.space?.space) throw new InvalidArgumentError('space.space (the space name) is required');
      return { scope, name: r.space.space };
    };
    return {
      Write: operation('write'),
      WriteAll: operation('writeAll'),
      Eval: this.unary<SpaceRequest & { fields?: ProtoEvalField[]; onError?: string; timeoutMs?: string; ttlMs?: string }, object>(async (r, principal, call) => {
        const { scope, name } = ref(r, principal);
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        const ttl = optionalNumber(r.ttlMs);
        const written = await s.eval(scope, name, evalFieldsToJson(r.fields), { onError: r.onError || undefined, timeoutMs: optionalNumber(r.timeoutMs) || undefined, ttlMs: ttl === 0 ? undefined : ttl, signal: abort.signal });
        return { tuple: jsonToTuple(written) };
      }),
      Read: operation('read'),
      Take: operation('take'),
      TryRead: operation('tryRead'),
      TryTake: operation('tryTake'),
      ReadAll: operation('readAll'),
      TakeAll: operation('takeAll'),
      Count: operation('count'),
      TakeWithAck: operation('takeWithAck'),
      Ack: operation('ack'),
      Nack: operation('nack'),
      Session: (call: grpc.ServerDuplexStream<SessionRequests, object>) => {
        const handle: SessionHandle = serveSession(call, {
          service: s,
          scopeOf,
          principalOf: (metadata) => s.gate.principal(authorization(metadata)),
          traceCarrier: metadataCarrier,
          failStream,
          onFinished: () => this.sessions.delete(handle),
        });
        this.sessions.add(handle);
      },
      Watch: (call: grpc.ServerWritableStream<SpaceRequest, object>) => {
        let cancelled = false;
        let events: AsyncIterableIterator<{ type: string; tuple?: readonly unknown[]; dropped?: number }> | undefined;
        call.on('cancelled', () => {
          cancelled = true;
          void events?.return?.();
        });
        void (async () => {
          try {
            const principal = await s.gate.principal(authorization(call.metadata));
            const { scope, name } = ref(call.request, principal);
            events = s.watch(scope, name, templateToJson(call.request.template)) as typeof events & object;
            if (cancelled) void events.return?.();
            for await (const event of events) {
              if (event.type === 'overflow') call.write({ type: 'overflow', dropped: String(event.dropped) });
              else call.write({ type: event.type, tuple: jsonToTuple(tupleJson(event.tuple as Tuple)) });
            }
            call.end();
          } catch (error) {
            failStream(call, error);
          }
        })();
      },
    };
  }

  private actor() {
    const s = this.service;
    type AskRequest = { actor?: { tenant?: string; namespace?: string; id?: string }; messageType?: string; payloadJson?: string; applicationId?: string; timeoutMs?: string };
    return {
      Ask: this.unary<AskRequest, object>(async (r, principal) => {
        const reply = await s.ask(this.scopeOf(principal, r.actor), r.actor?.id ?? '', r.messageType ?? '', parseJson(r.payloadJson, 'payload_json'), {
          application: r.applicationId || undefined,
          timeoutMs: optionalNumber(r.timeoutMs),
        });
        return { replyJson: JSON.stringify(reply) };
      }),
      Tell: this.unary<AskRequest, object>(async (r, principal) => {
        await s.tell(this.scopeOf(principal, r.actor), r.actor?.id ?? '', r.messageType ?? '', parseJson(r.payloadJson, 'payload_json'), { application: r.applicationId || undefined });
        return {};
      }),
      Stop: this.unary<{ actor?: { tenant?: string; namespace?: string; id?: string } }, object>(async (r, principal) => {
        await s.stopActor(this.scopeOf(principal, r.actor), r.actor?.id ?? '');
        return {};
      }),
      List: this.unary<{ tenant?: string; namespace?: string }, object>(async (r, principal) => ({ ids: s.listActors(this.scopeOf(principal, r)) })),
    };
  }

  private application() {
    const s = this.service;
    const info = (a: ApplicationInfo) => ({
      tenant: a.tenant,
      applicationId: a.applicationId,
      name: a.name,
      version: a.version,
      bytes: String(a.bytes),
      deployedAt: a.deployedAt,
      kind: a.kind,
      actors: [...(a.actors ?? [])],
      durable: a.durable,
    });
    return {
      Deploy: this.unary<{ tenant?: string; applicationId?: string; name?: string; version?: string; wasm?: Buffer; manifest?: string; modules?: Record<string, Buffer>; namespace?: string; durable?: boolean }, object>(async (r, principal) => {
        if (r.manifest !== undefined && r.manifest !== '') {
          const files = new Map(Object.entries(r.modules ?? {}).map(([file, bytes]) => [file, new Uint8Array(bytes)] as const));
          return info(await s.deployBundle(s.scope(principal, r.tenant, r.namespace || undefined), r.applicationId ?? '', r.manifest, files, { name: r.name || undefined, version: r.version || undefined }));
        }
        return info(await s.deploy(s.scope(principal, r.tenant, undefined), r.applicationId ?? '', r.name ?? '', r.version ?? '', new Uint8Array(r.wasm ?? []), { durable: r.durable ?? undefined }));
      }),
      List: this.unary<{ tenant?: string }, object>(async (r, principal) => ({ applications: s.listApplications(s.scope(principal, r.tenant, undefined)).map(info) })),
      Undeploy: this.unary<{ tenant?: string; applicationId?: string }, object>(async (r, principal) => ({ removed: await s.undeploy(s.scope(principal, r.tenant, undefined), r.applicationId ?? '') })),
    };
  }

  private shardGroup() {
    const s = this.service;
    type Ref = { group?: { tenant?: string; namespace?: string; id?: string } };
    type Gather = Ref & { messageType?: string; payloadJson?: string; aggregate?: string; minResponses?: number; deadlineMs?: string; op?: string; path?: string; round?: string };
    const gather = (r: Gather) => ({
      deadlineMs: optionalNumber(r.deadlineMs),
      minResponses: optionalNumber(r.minResponses),
    });
    const response = (g: { value: unknown; shards: Parameters<typeof shardResult>[0][]; satisfied: boolean }) => ({
      valueJson: JSON.stringify(g.value ?? null),
      shards: g.shards.map(shardResult),
      satisfied: g.satisfied,
    });
    return {
      Create: this.unary<Ref & { applicationId?: string; shards?: number; partition?: string; config?: string }, object>(async (r, principal) => {
        const created = await s.createGroup(this.scopeOf(principal, r.group), {
          id: r.group?.id ?? '',
          application: r.applicationId ?? '',
          shards: r.shards ?? 0,
          partition: (r.partition || undefined) as 'hash' | 'consistent-hash' | undefined,
          config: r.config || undefined,
        });
        const info = (await s.listGroups(this.scopeOf(principal, r.group))).find((g) => g.id === created.id);
        return info === undefined ? created : { ...info, nodes: info.nodes.map((node) => node ?? '') };
      }),
      Delete: this.unary<Ref, object>(async (r, principal) => {
        await s.deleteGroup(this.scopeOf(principal, r.group), r.group?.id ?? '');
        return {};
      }),
      List: this.unary<{ tenant?: string; namespace?: string }, object>(async (r, principal) => ({
        // Proto3 strings have no null: '' for a shard not running now.
        groups: (await s.listGroups(this.scopeOf(principal, r))).map((g) => ({ ...g, nodes: g.nodes.map((node) => node ?? '') })),
      })),
      BulkUpdate: this.unary<Ref & { entries?: { keyJson?: string; valueJson?: string }[]; consistency?: string }, object>(async (r, principal) => {
        const entries = (r.entries ?? []).map((e, i) => [parseJson(e.keyJson, `entries[${i}].key_json`), parseJson(e.valueJson, `entries[${i}].value_json`)]);
        const result = await s.bulkUpdate(this.scopeOf(principal, r.group), r.group?.id ?? '', entries, (r.consistency || undefined) as 'all' | 'eventual' | undefined);
        return { entries: result.entries, shards: result.shards.map(shardResult) };
      }),
      Map: this.unary<Gather, object>(async (r, principal) =>
        response(await s.scatterGather(this.scopeOf(principal, r.group), r.group?.id ?? '', r.messageType ?? '', parseJson(r.payloadJson, 'payload_json'), { ...gather(r), aggregate: 'concat' })),
      ),
      ScatterGather: (call: grpc.ServerWritableStream<Gather, object>) => {
        const r = call.request;
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        void (async () => {
          try {
            const principal = await s.gate.principal(authorization(call.metadata));
            const group = s.group(this.scopeOf(principal, r.group), r.group?.id ?? '');
            for await (const result of group.scatterGatherStream(r.messageType ?? '', parseJson(r.payloadJson, 'payload_json'), { ...gather(r), signal: abort.signal })) {
              call.write(shardResult(result));
            }
            call.end();
          } catch (error) {
            failStream(call, error);
          }
        })();
      },
      Reduce: this.unary<Gather, object>(async (r, principal) =>
        response(await s.reduce(this.scopeOf(principal, r.group), r.group?.id ?? '', r.messageType ?? '', parseJson(r.payloadJson, 'payload_json'), { ...gather(r), op: r.op as never, path: r.path || undefined })),
      ),
      Barrier: this.unary<Gather, object>(async (r, principal) => response(await s.barrier(this.scopeOf(principal, r.group), r.group?.id ?? '', Number(r.round ?? 0), gather(r)))),
      Scale: this.unary<Ref & { shards?: number }, object>(async (r, principal) => {
        const result = await s.scale(this.scopeOf(principal, r.group), r.group?.id ?? '', r.shards ?? 0);
        return { from: result.from, to: result.to, keys: String(result.keys), moved: String(result.moved), elapsedMs: result.elapsedMs };
      }),
    };
  }

  private node() {
    const s = this.service;
    return {
      // Open even with auth on, like the HTTP health route: load balancers probe it.
      Health: (_call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => callback(null, { status: 'ok' }),
      Info: this.unary<object, object>(async (_, principal) => s.info(principal)),
      Nodes: this.unary<object, object>(async () => {
        const listing = await s.nodes();
        return {
          backend: listing.cluster?.backend ?? '',
          seeds: [...(listing.cluster?.seeds ?? [])],
          self: listing.self,
          stale: listing.stale ?? '',
          nodes: listing.nodes.map((n) => ({
            id: n.id,
            incarnation: n.incarnation,
            grpcAddress: n.addresses.grpc ?? '',
            httpAddress: n.addresses.http ?? '',
            wsAddress: n.addresses.ws ?? '',
            workers: n.workers,
            labels: { ...n.labels },
            version: n.version,
            startedAt: n.startedAt,
            expiresAt: String(n.expiresAt ?? 0),
          })),
        };
      }),
    };
  }
}
