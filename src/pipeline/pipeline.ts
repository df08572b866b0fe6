import { InvalidArgumentError, PipelineEndedError, PipelineFailedError, shown } from '../errors.js';
import type { Space } from '../space/space.js';
import { acceptTuple } from '../tuple/validate-tuple.js';
import { DEFAULT_TUPLE_LIMITS } from '../tuple/limits.js';
import type { Tuple } from '../tuple/types.js';
import { resolvePipelineSpec, type PipelineSpec, MAX_INSTANCES } from './pipeline-spec.js';
import { instanceFactory, type InstanceFactory } from './stage-instances.js';
import type { StageFigures } from './stage-metrics.js';
import { RECOUNT_MS, StageRunner } from './stage-runner.js';

export type PipelineState = 'running' | 'draining' | 'finished' | 'stopped' | 'failed';

export interface PipelineFigures {
  readonly name: string;
  readonly space: string;
  readonly state: PipelineState;
  /** Why it failed, when it did. */
  readonly error?: { readonly code: string; readonly message: string; readonly stage: string };
  readonly stages: readonly StageFigures[];
}

export interface PipelineOptions {
  /** Runs module stages' instances (a node's actors); without it only function stages run. */
  readonly modules?: InstanceFactory;
  /** Prefix of the holder of every crash-safe take (`pipeline:` + this + name + `/` + stage). */
  readonly holderScope?: string;
}

/**
 * A running dataflow pipeline (docs/pipelines.md): stages in order over one
 * space, each a take → handle → write loop on its instances, exactly once
 * between stages (`delivery.ackWith`), with bounded backlogs, per-key order
 * when asked, end of stream and drain, scaling while it runs, and live
 * figures per stage.
 */
export class Pipeline {
  readonly name: string;
  private readonly stages: StageRunner[];
  private state: PipelineState = 'running';
  private ended = false;
  private failure: PipelineFailedError | undefined;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (error: Error) => void;

  private constructor(
    spec: PipelineSpec,
    readonly space: Space,
    options: PipelineOptions,
  ) {
    const resolved = resolvePipelineSpec(spec);
    this.name = resolved.name;
    const instances = instanceFactory(options.modules);
    this.stages = resolved.stages.map(
      (stage, i) =>
        new StageRunner(stage, {
          space,
          instances,
          holder: `pipeline:${options.holderScope ?? ''}${resolved.name}/${stage.name}`,
          downstream: () => this.stages[i + 1],
          fail: (runner, error) => void this.fail(runner, error),
          routeWritten: (tuples, sign) => this.route(tuples, i + 1, sign),
        }),
    );
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Nobody may be awaiting it yet: a failure is reported by drain()/finished, never as an unhandled rejection.
    this.done.catch(() => undefined);
    this.stages.at(-1)!.onFinished(() => {
      if (this.stages.at(-1)!.state === 'finished') this.settle('finished');
    });
  }

  /** Checks the spec, starts every stage's instances and dispatchers; a stage that cannot start stops the others and rejects. */
  static async start(spec: PipelineSpec, space: Space, options: PipelineOptions = {}): Promise<Pipeline> {
    const pipeline = new Pipeline(spec, space, options);
    try {
      for (const stage of pipeline.stages) await stage.start();
    } catch (error) {
      await pipeline.stop();
      throw error;
    }
    return pipeline;
  }

  get status(): PipelineState {
    return this.state;
  }

  /**
   * Writes an input tuple into the pipeline's space, waiting while the
   * stage it is for is at its `maxBacklog` (so a fast producer cannot fill
   * memory). It must match some stage's input.
   */
  async write(tuple: Tuple): Promise<void> {
    if (this.ended || this.state !== 'running') throw this.failure ?? new PipelineEndedError(this.name);
    acceptTuple(tuple, DEFAULT_TUPLE_LIMITS);
    const stage = this.stages.find((s) => s.stage.template.matches(tuple));
    if (stage === undefined) throw new InvalidArgumentError(`pipeline ${this.name}: ${shown(tuple)} matches no stage's input`);
    // Re-checked after each wake: several writers may wake for one freed place.
    while (!stage.hasRoom()) await this.room(stage);
    if (this.ended || this.state !== 'running') throw this.failure ?? new PipelineEndedError(this.name);
    // Counted before the write resolves: concurrent writers see it, and the bound holds exactly.
    stage.noteWritten(1);
    try {
      await this.space.write(tuple);
    } catch (error) {
      stage.noteWritten(-1);
      throw error;
    }
  }

  /** `write` for each tuple in order (each waits for room as it must). */
  async writeAll(tuples: readonly Tuple[]): Promise<void> {
    if (!Array.isArray(tuples)) throw new InvalidArgumentError('writeAll takes an array of tuples');
    for (const tuple of tuples) await this.write(tuple);
  }

  /** End of stream: no more input. Each stage finishes once its input ended and it has emptied. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.state === 'running') this.state = 'draining';
    this.stages[0].endInput();
  }

  /** Ends the input and resolves with the final figures once every stage has finished (the outputs are in the space). */
  async drain(): Promise<PipelineFigures> {
    this.end();
    await this.done;
    return this.figures();
  }

  /** Resolves when the pipeline has finished; rejects with `PipelineFailedError` if a stage gave up. */
  get finished(): Promise<void> {
    return this.done;
  }

  /** Changes a stage's instances while it runs (1…256). */
  scale(stageName: string, instances: number): void {
    const stage = this.stage(stageName);
    if (!(Number.isSafeInteger(instances) && instances >= 1 && instances <= MAX_INSTANCES)) throw new InvalidArgumentError(`instances must be a whole number in 1…${MAX_INSTANCES}, got ${shown(instances)}`);
    stage.scale(instances);
  }

  /** Stops now: tuples held go back to the space (nothing is lost), instances stop. */
  async stop(): Promise<void> {
    this.ended = true;
    await Promise.all(this.stages.map((s) => s.stop()));
    this.settle(this.failure === undefined ? 'stopped' : 'failed');
  }

  figures(): PipelineFigures {
    return {
      name: this.name,
      space: this.space.name,
      state: this.state,
      ...(this.failure === undefined ? {} : { error: { code: this.failure.code, message: this.failure.message, stage: this.failure.stage } }),
      stages: this.stages.map((s) => s.figures()),
    };
  }

  private stage(name: string): StageRunner {
    const stage = this.stages.find((s) => s.stage.name === name);
    if (stage === undefined) throw new InvalidArgumentError(`pipeline ${this.name} has no stage ${shown(name)} (stages: ${this.stages.map((s) => s.stage.name).join(', ')})`);
    return stage;
  }

  /** Outputs of stage `from - 1` count against the backlog of the next stage they match (normally the next one). */
  private route(tuples: readonly Tuple[], from: number, sign: 1 | -1): void {
    // Once per output tuple: no arrays made, the stages from `from` on first, then the ones before (a loop back).
    const count = this.stages.length;
    for (const tuple of tuples) {
      for (let k = 0; k < count; k++) {
        const stage = this.stages[(from + k) % count];
        if (stage.stage.template.matches(tuple)) {
          stage.noteWritten(sign);
          break;
        }
      }
    }
  }

  /**
   * Resolves when `stage` has room (or the pipeline stopped). Every
   * RECOUNT_MS meanwhile the stage counts its input in the space: on a
   * shared space the same pipeline's instances on other nodes take some of
   * what this node wrote, which this node's tally alone never sees.
   */
  private room(stage: StageRunner): Promise<void> {
    if (stage.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => {
      const recount = setInterval(() => void stage.recount(), RECOUNT_MS);
      const off = stage.onRoom(() => {
        if (!stage.hasRoom() && this.state !== 'stopped' && this.state !== 'failed') return;
        clearInterval(recount);
        off();
        resolve();
      });
    });
  }

  private async fail(stage: StageRunner, error: Error): Promise<void> {
    if (this.failure !== undefined || this.state === 'stopped' || this.state === 'finished') return;
    this.failure = new PipelineFailedError(this.name, stage.stage.name, `pipeline ${this.name}: stage ${stage.stage.name} gave up: ${error.message}`, { cause: error });
    this.state = 'failed';
    // The stage that gave up shows as failed; the others as stopped.
    await stage.stop('failed');
    await this.stop();
  }

  private settle(state: 'finished' | 'stopped' | 'failed'): void {
    if (this.state === 'finished' || this.state === 'stopped' || (this.state === 'failed' && state !== 'failed')) return;
    this.state = state;
    if (state === 'finished') this.resolveDone();
    else this.rejectDone(this.failure ?? new PipelineEndedError(this.name));
  }
}
