import type { PipelineFigures } from '../pipeline/pipeline.js';
import type { Template, Tuple } from '../tuple/types.js';
import { templateToWire, tupleToWire } from './wire-tuples.js';
import type { Scope, Transport } from './ws-transport.js';

/** A stage of a remote pipeline: a deployed module of the tenant (docs/pipelines.md has every option). */
export interface RemoteStageSpec {
  readonly name: string;
  readonly module: string;
  readonly input: Template;
  readonly message?: string;
  readonly instances?: number;
  readonly maxBacklog?: number;
  readonly key?: number;
  readonly leaseMs?: number;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
}

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
    const queue: PipelineFigures[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: Error | undefined;
    const { id, done } = this.transport.request('pipeline.watch', this.scope, { name: this.name, intervalMs: options.intervalMs }, (_event, data) => {
      queue.push(data as PipelineFigures);
      wake?.();
    });
    done.then(
      () => {
        ended = true;
        wake?.();
      },
      (error: Error) => {
        failure = error;
        ended = true;
        wake?.();
      },
    );
    const transport = this.transport;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<PipelineFigures>> {
        for (;;) {
          if (queue.length > 0) return { value: queue.shift()!, done: false };
          if (failure !== undefined) throw failure;
          if (ended) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<PipelineFigures>> {
        if (!ended) transport.cancel(id);
        ended = true;
        return { value: undefined, done: true };
      },
    };
  }
}
