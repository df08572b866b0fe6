import type { ClusterPipelineFigures } from '../pipeline/cluster-figures.js';
import type { PipelineFigures } from '../pipeline/pipeline.js';
import type { StageSpec } from '../pipeline/pipeline-spec.js';
import type { Tuple } from '../tuple/types.js';
import { templateToWire, tupleToWire } from './wire-tuples.js';
import type { Scope, Transport } from './ws-transport.js';
import { eventStream } from './event-stream.js';

/** A stage of a remote pipeline: a deployed module of the tenant, with the TS API's options (docs/pipelines.md). */
export type RemoteStageSpec = Omit<StageSpec, 'module' | 'handler'> & { readonly module: string };

export interface RemotePipelineSpec {
  readonly name: string;
  /** The namespace's space it runs on (default `default`). */
  readonly space?: string;
  readonly stages: readonly RemoteStageSpec[];
}

/** Pipelines of one tenant/namespace on a node, over the websocket or gRPC. */
export class RemotePipelines {
  constructor(
    private readonly transport: Transport,
    private readonly scope: Scope,
  ) {}

  async start(spec: RemotePipelineSpec): Promise<RemotePipeline> {
    const wire = { name: spec.name, stages: spec.stages.map((s) => ({ ...s, input: templateToWire(s.input) })) };
    await this.transport.call('pipeline.start', this.scope, { spec: wire, space: spec.space });
    return this.get(spec.name);
  }

  /** A handle on a running (or ended) pipeline by name; nothing is checked until it is used. */
  get(name: string): RemotePipeline {
    return new RemotePipeline(this.transport, this.scope, name);
  }

  async list(): Promise<PipelineFigures[]> {
    return ((await this.transport.call('pipeline.list', this.scope)) as { pipelines: PipelineFigures[] }).pipelines;
  }
}

export class RemotePipeline {
  constructor(
    private readonly transport: Transport,
    private readonly scope: Scope,
    readonly name: string,
  ) {}

  /** Writes input; resolves once the stages had room for it (a fast producer waits here). */
  async writeAll(tuples: readonly Tuple[]): Promise<void> {
    await this.transport.call('pipeline.write', this.scope, { name: this.name, tuples: tuples.map(tupleToWire) });
  }

  write(tuple: Tuple): Promise<void> {
    return this.writeAll([tuple]);
  }

  async figures(): Promise<PipelineFigures> {
    return (await this.transport.call('pipeline.figures', this.scope, { name: this.name })) as PipelineFigures;
  }

  /**
   * Its figures across the cluster: every node that runs it on a shared
   * space, merged per stage, with each node's own (docs/pipelines.md,
   * "Across nodes"). Any node answers, one that runs it or not; a node
   * alone answers with its own figures in the same shape.
   */
  async clusterFigures(): Promise<ClusterPipelineFigures> {
    return (await this.transport.call('pipeline.figures', this.scope, { name: this.name, across: 'cluster' })) as ClusterPipelineFigures;
  }

  async scale(stage: string, instances: number): Promise<PipelineFigures> {
    return (await this.transport.call('pipeline.scale', this.scope, { name: this.name, stage, instances })) as PipelineFigures;
  }

  /** End of stream: no more input. */
  async end(): Promise<PipelineFigures> {
    return (await this.transport.call('pipeline.end', this.scope, { name: this.name })) as PipelineFigures;
  }

  /** Ends the input and waits (at most `timeoutMs`, ≤ 5 min) until every stage finished; the figures' `state` says whether it did. */
  async drain(options: { timeoutMs?: number } = {}): Promise<PipelineFigures> {
    return (await this.transport.call('pipeline.drain', this.scope, { name: this.name, timeoutMs: options.timeoutMs })) as PipelineFigures;
  }

  async remove(): Promise<void> {
    await this.transport.call('pipeline.remove', this.scope, { name: this.name });
  }

  /** The live figures every `intervalMs` (default 1000) until the pipeline ends or the iterator is returned. */
  watch(options: { intervalMs?: number } = {}): AsyncIterableIterator<PipelineFigures> {
    return eventStream(this.transport, 'pipeline.watch', this.scope, { name: this.name, intervalMs: options.intervalMs }, (_event, data) => data as PipelineFigures);
  }

  /** clusterFigures() every `intervalMs` (default 1000) while any node runs it, or until the iterator is returned. */
  watchCluster(options: { intervalMs?: number } = {}): AsyncIterableIterator<ClusterPipelineFigures> {
    return eventStream(this.transport, 'pipeline.watch', this.scope, { name: this.name, intervalMs: options.intervalMs, across: 'cluster' }, (_event, data) => data as ClusterPipelineFigures);
  }
}
