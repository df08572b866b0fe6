import type * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '../errors.js';
import type { PipelineFigures } from '../pipeline/pipeline.js';
import type { Principal } from './auth.js';
import { optionalNumber, templateToJson, tupleToJson, type ProtoField, type ProtoTemplateField } from './grpc-tuples.js';
import type { NodeService, Scope } from './node-service.js';
import type { ClusterPipelineFigures } from '../pipeline/cluster-figures.js';
import { clusterFigures, drainWithin, pipelineSpecFromJson, tuplesFromJson, watchFigures } from './pipeline-calls.js';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;
type Ref = { tenant?: string; namespace?: string; name?: string };
type ProtoStage = {
  name?: string;
  module?: string;
  input?: { fields?: ProtoTemplateField[] };
  message?: string;
  instances?: number;
  maxBacklog?: number;
  key?: number;
  leaseMs?: string;
  timeoutMs?: string;
  maxAttempts?: number;
  maxRestarts?: number;
  restartWindowMs?: string;
};

/** What the gRPC server lends the service: its authenticated unary wrapper, scope checks and stream plumbing. */
export interface GrpcPipelineContext {
  readonly service: NodeService;
  unary<Req, Res>(handler: (request: Req, principal: Principal, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): Unary<Req, Res>;
  scopeOf(principal: Principal, ref: { tenant?: string; namespace?: string } | undefined): Scope;
  principalOf(metadata: grpc.Metadata): Promise<Principal>;
  failStream(call: grpc.ServerWritableStream<unknown, unknown>, error: unknown): void;
}

// proto3 zero is "not given" for the numeric options (every default is ≥ 1; key and max_restarts, which may be 0, are `optional`).
const given = optionalNumber;

/** The Pipeline service of proto/plexspaces/v1/pipeline.proto, over the same registry as HTTP and the websocket. */
export function pipelineService(ctx: GrpcPipelineContext) {
  const pipelines = ctx.service.node.pipelines;
  const named = (principal: Principal, ref: Ref | undefined) => {
    const scope = ctx.scopeOf(principal, ref);
    return { scope, pipeline: pipelines.get(scope, requiredName(ref)) };
  };
  return {
    Start: ctx.unary<{ pipeline?: Ref; space?: string; stages?: ProtoStage[] }, object>(async (r, principal) => {
      const scope = ctx.scopeOf(principal, r.pipeline);
      const stages = (r.stages ?? []).map((s) => ({
        name: s.name,
        module: s.module,
        input: templateToJson(s.input),
        message: s.message || undefined,
        instances: given(s.instances),
        maxBacklog: given(s.maxBacklog),
        key: s.key === undefined || s.key === null ? undefined : Number(s.key),
        leaseMs: given(s.leaseMs),
        timeoutMs: given(s.timeoutMs),
        maxAttempts: given(s.maxAttempts),
        maxRestarts: s.maxRestarts === undefined || s.maxRestarts === null ? undefined : Number(s.maxRestarts),
        restartWindowMs: given(s.restartWindowMs),
      }));
      const pipeline = await pipelines.start(pipelineSpecFromJson({ name: r.pipeline?.name, stages }), { scope, space: r.space || undefined });
      return figuresToProto(pipeline.figures());
    }),
    Get: ctx.unary<Ref, object>(async (r, principal) => figuresToProto(named(principal, r).pipeline.figures())),
    List: ctx.unary<{ tenant?: string; namespace?: string }, object>(async (r, principal) => ({ pipelines: pipelines.list(ctx.scopeOf(principal, r)).map(figuresToProto) })),
    Write: ctx.unary<{ pipeline?: Ref; tuples?: { fields?: ProtoField[] }[] }, object>(async (r, principal) => {
      const { pipeline } = named(principal, r.pipeline);
      const tuples = tuplesFromJson((r.tuples ?? []).map((t) => tupleToJson(t)));
      await pipeline.writeAll(tuples);
      return { written: tuples.length };
    }),
    Scale: ctx.unary<{ pipeline?: Ref; stage?: string; instances?: number }, object>(async (r, principal) => {
      const { pipeline } = named(principal, r.pipeline);
      pipeline.scale(r.stage ?? '', Number(r.instances ?? 0));
      return figuresToProto(pipeline.figures());
    }),
    End: ctx.unary<Ref, object>(async (r, principal) => {
      const { pipeline } = named(principal, r);
      pipeline.end();
      return figuresToProto(pipeline.figures());
    }),
    Drain: ctx.unary<{ pipeline?: Ref; timeoutMs?: string }, object>(async (r, principal, call) => {
      const { pipeline } = named(principal, r.pipeline);
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      await drainWithin(pipeline, given(r.timeoutMs), abort.signal);
      return figuresToProto(pipeline.figures());
    }),
    Remove: ctx.unary<Ref, object>(async (r, principal) => {
      const { scope } = named(principal, r);
      await pipelines.remove(scope, r.name!);
      return { removed: r.name };
    }),
    GetAcrossCluster: ctx.unary<Ref, object>(async (r, principal) => clusterFiguresToProto(await clusterFigures(ctx.service.node, ctx.scopeOf(principal, r), requiredName(r)))),
    WatchAcrossCluster: (call: grpc.ServerWritableStream<{ pipeline?: Ref; intervalMs?: string }, object>) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      void (async () => {
        try {
          const scope = ctx.scopeOf(await ctx.principalOf(call.metadata), call.request.pipeline);
          const read = () => clusterFigures(ctx.service.node, scope, requiredName(call.request.pipeline));
          await watchFigures(read, given(call.request.intervalMs), abort.signal, (figures) => call.write(clusterFiguresToProto(figures)));
          if (!abort.signal.aborted) call.write(clusterFiguresToProto(await read()));
          call.end();
        } catch (error) {
          ctx.failStream(call as grpc.ServerWritableStream<unknown, unknown>, error);
        }
      })();
    },
    Watch: (call: grpc.ServerWritableStream<{ pipeline?: Ref; intervalMs?: string }, object>) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      void (async () => {
        try {
          const { pipeline } = named(await ctx.principalOf(call.metadata), call.request.pipeline);
          await watchFigures(() => pipeline.figures(), given(call.request.intervalMs), abort.signal, (figures) => call.write(figuresToProto(figures)), pipeline.finished);
          if (!abort.signal.aborted) call.write(figuresToProto(pipeline.figures()));
          call.end();
        } catch (error) {
          ctx.failStream(call as grpc.ServerWritableStream<unknown, unknown>, error);
        }
      })();
    },
  };
}

function requiredName(ref: Ref | undefined): string {
  if (!ref?.name) throw new InvalidArgumentError('pipeline.name is required');
  return ref.name;
}

/** The cluster's figures in proto form: the merged stages, and each node's own figures. */
function clusterFiguresToProto(f: ClusterPipelineFigures): object {
  return { ...figuresToProto(f), nodes: f.nodes.map((n) => ({ node: n.node, at: n.at, stale: n.stale, figures: figuresToProto(n.figures) })) };
}

/** Figures in proto form (uint64 as strings, as the loader is configured). */
function figuresToProto(f: PipelineFigures | ClusterPipelineFigures): object {
  return {
    name: f.name,
    space: f.space,
    state: f.state,
    ...(f.error === undefined ? {} : { error: f.error }),
    stages: (f.stages as readonly (PipelineFigures['stages'][number] | ClusterPipelineFigures['stages'][number])[]).map((s) => ({
      ...s,
      taken: String(s.taken),
      done: String(s.done),
      written: String(s.written),
      failures: String(s.failures),
      returned: String(s.returned),
      restarts: String(s.restarts),
      backlog: String(s.backlog),
      maxBacklog: String(s.maxBacklog),
      inFlight: String(s.inFlight),
    })),
  };
}
