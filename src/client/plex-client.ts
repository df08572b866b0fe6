import { Computation, type ActiveTuple } from '../space/linda-eval.js';
import type { Template, Tuple } from '../tuple/types.js';
import { templateToWire, tupleFromWire, tupleToWire } from './wire-tuples.js';
import { WsTransport, type Scope, type Transport } from './ws-transport.js';
import { RemotePipelines } from './remote-pipelines.js';
import { eventStream } from './event-stream.js';

export interface ConnectOptions {
  /** A JWT when the node has auth on. */
  readonly token?: string;
  /** Default tenant and namespace of this client's spaces, actors and groups (with auth on: the token's tenant). */
  readonly tenant?: string;
  readonly namespace?: string;
}

/** A crash-safe take's result: the tuple is held until `ack`; `nack` (or the lease's end) returns it. */
export interface RemoteDelivery {
  readonly tuple: Tuple;
  readonly deliveries: number;
  readonly leaseExpiresAt: number;
  ack(): Promise<void>;
  nack(): Promise<void>;
}

export type RemoteWatchEvent = { readonly type: 'write' | 'take' | 'expire'; readonly tuple: Tuple } | { readonly type: 'overflow'; readonly dropped: number };

/**
 * A tuple space on a node, with the method names and types of the
 * in-process TupleSpace: code moves between embedded and remote use
 * unchanged (blocking calls need a `timeoutMs` remotely; without one a read
 * or take does not wait).
 */
export class RemoteSpace {
  constructor(
    private readonly transport: Transport,
    private readonly scope: Scope,
    readonly name: string,
  ) {}

  async write(tuple: Tuple, options: { ttlMs?: number } = {}): Promise<void> {
    await this.transport.call('ts.write', this.scope, { space: this.name, tuple: tupleToWire(tuple), ttlMs: options.ttlMs });
  }

  async writeAll(tuples: readonly Tuple[]): Promise<void> {
    await this.transport.call('ts.writeAll', this.scope, { space: this.name, tuples: tuples.map(tupleToWire) });
  }

  /**
   * Linda's eval on the node: each `compute.task(…)` / `compute.ask(…)`
   * field runs in parallel on the node's worker pool and is replaced by its
   * reply; the finished tuple is written once all have answered, and
   * returned (src/space/linda-eval.ts).
   */
  async eval(tuple: ActiveTuple, options: { onError?: 'value' | 'reject'; timeoutMs?: number; ttlMs?: number } = {}): Promise<Tuple> {
    const wire = tuple.map((field) =>
      field instanceof Computation
        ? { $eval: field.kind === 'task' ? { module: field.target, task: field.message, args: field.args } : { actor: field.target, message: field.message, args: field.args } }
        : tupleToWire([field])[0],
    );
    const written = await this.transport.call('ts.eval', this.scope, { space: this.name, tuple: wire, onError: options.onError, timeoutMs: options.timeoutMs, ttlMs: options.ttlMs });
    return tupleFromWire(written)!;
  }

  read(template: Template, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Tuple | null> {
    return this.blocking('ts.read', template, options);
  }

  take(template: Template, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Tuple | null>;
  take(template: Template, options: { ack: true; leaseMs?: number; timeoutMs?: number; signal?: AbortSignal }): Promise<RemoteDelivery | null>;
  take(template: Template, options: { ack?: boolean; leaseMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Tuple | RemoteDelivery | null> {
    return options.ack ? this.takeWithAck(template, options) : this.blocking('ts.take', template, options);
  }

  private async takeWithAck(template: Template, options: { leaseMs?: number; timeoutMs?: number; signal?: AbortSignal }): Promise<RemoteDelivery | null> {
    const { id, done } = this.transport.request('ts.takeWithAck', this.scope, { space: this.name, template: templateToWire(template), timeoutMs: options.timeoutMs, leaseMs: options.leaseMs });
    const onAbort = () => this.transport.cancel(id);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let taken: { tuple: unknown; deliveryId: string; deliveries: number; leaseExpiresAt: number } | null;
    try {
      taken = (await done) as typeof taken;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (taken === null) return null;
    const settle = async (op: string) => {
      await this.transport.call(op, this.scope, { deliveryId: taken!.deliveryId });
    };
    return { tuple: tupleFromWire(taken.tuple)!, deliveries: taken.deliveries, leaseExpiresAt: taken.leaseExpiresAt, ack: () => settle('ts.ack'), nack: () => settle('ts.nack') };
  }

  tryRead(template: Template): Promise<Tuple | null> {
    return this.blocking('ts.read', template, {});
  }

  tryTake(template: Template): Promise<Tuple | null> {
    return this.blocking('ts.take', template, {});
  }

  async readAll(template: Template, options: { limit?: number } = {}): Promise<Tuple[]> {
    return ((await this.transport.call('ts.readAll', this.scope, { space: this.name, template: templateToWire(template), limit: options.limit })) as unknown[]).map((t) => tupleFromWire(t)!);
  }

  async takeAll(template: Template, options: { limit?: number } = {}): Promise<Tuple[]> {
    return ((await this.transport.call('ts.takeAll', this.scope, { space: this.name, template: templateToWire(template), limit: options.limit })) as unknown[]).map((t) => tupleFromWire(t)!);
  }

  async count(template: Template): Promise<number> {
    return (await this.transport.call('ts.count', this.scope, { space: this.name, template: templateToWire(template) })) as number;
  }

  /** Events for `template` until the iterator is returned (a `for await` that breaks) or the client closes. */
  watch(template: Template): AsyncIterableIterator<RemoteWatchEvent> {
    return eventStream(this.transport, 'ts.watch', this.scope, { space: this.name, template: templateToWire(template) }, (event, data) => {
      const d = data as { tuple?: unknown; dropped?: number };
      return event === 'overflow' ? { type: 'overflow', dropped: d.dropped ?? 0 } : { type: event as 'write', tuple: tupleFromWire(d.tuple)! };
    });
  }

  private async blocking(op: string, template: Template, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<Tuple | null> {
    const { id, done } = this.transport.request(op, this.scope, { space: this.name, template: templateToWire(template), timeoutMs: options.timeoutMs });
    const onAbort = () => this.transport.cancel(id);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return tupleFromWire(await done);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Actors of one tenant/namespace on a node; payloads and replies are JSON values. */
export class RemoteActors {
  constructor(
    private readonly transport: Transport,
    private readonly scope: Scope,
  ) {}

  ask(actor: string, type: string, payload: unknown = {}, options: { application?: string; timeoutMs?: number } = {}): Promise<unknown> {
    return this.transport.call('actor.ask', this.scope, { actor, type, payload, application: options.application, timeoutMs: options.timeoutMs });
  }

  async tell(actor: string, type: string, payload: unknown = {}, options: { application?: string } = {}): Promise<void> {
    await this.transport.call('actor.tell', this.scope, { actor, type, payload, application: options.application });
  }

  async list(): Promise<string[]> {
    return (await this.transport.call('actor.list', this.scope)) as string[];
  }
}

/** Shard groups of one tenant/namespace on a node (keys, payloads and answers are JSON values). */
export class RemoteShardGroups {
  constructor(
    private readonly transport: Transport,
    private readonly scope: Scope,
  ) {}

  create(group: string, spec: { application: string; shards: number; partition?: 'hash' | 'consistent-hash'; config?: unknown }): Promise<unknown> {
    const config = spec.config === undefined ? undefined : typeof spec.config === 'string' ? spec.config : JSON.stringify(spec.config);
    return this.transport.call('group.create', this.scope, { group, application: spec.application, shards: spec.shards, partition: spec.partition, config });
  }

  list(): Promise<unknown> {
    return this.transport.call('group.list', this.scope);
  }

  async delete(group: string): Promise<void> {
    await this.transport.call('group.delete', this.scope, { group });
  }

  bulkUpdate(group: string, entries: readonly (readonly [string | number, unknown])[], options: { consistency?: 'all' | 'eventual' } = {}): Promise<unknown> {
    return this.transport.call('group.bulkUpdate', this.scope, { group, entries, consistency: options.consistency });
  }

  scatterGather(group: string, type: string, payload: unknown = {}, options: { aggregate?: 'concat' | 'merge' | 'first' | 'majority'; deadlineMs?: number; minResponses?: number } = {}): Promise<{ value: unknown; shards: unknown[]; satisfied: boolean }> {
    return this.transport.call('group.scatterGather', this.scope, { group, type, payload, ...options }) as Promise<{ value: unknown; shards: unknown[]; satisfied: boolean }>;
  }

  reduce(group: string, type: string, payload: unknown, options: { op: string; path?: string; deadlineMs?: number }): Promise<{ value: unknown; shards: unknown[] }> {
    return this.transport.call('group.reduce', this.scope, { group, type, payload, ...options }) as Promise<{ value: unknown; shards: unknown[] }>;
  }

  scale(group: string, shards: number): Promise<unknown> {
    return this.transport.call('group.scale', this.scope, { group, shards });
  }
}

/** A client of a PlexSpaces node over its websocket (`ws://host:8001/ws`). */
export class PlexClient {
  readonly actors: RemoteActors;
  readonly shardGroups: RemoteShardGroups;
  /** Dataflow pipelines of the client's tenant and namespace (docs/pipelines.md). */
  readonly pipelines: RemotePipelines;
  private readonly scope: Scope;

  private constructor(
    private readonly transport: Transport,
    options: ConnectOptions,
  ) {
    this.scope = { tenant: options.tenant ?? '', namespace: options.namespace ?? 'default' };
    this.actors = new RemoteActors(transport, this.scope);
    this.shardGroups = new RemoteShardGroups(transport, this.scope);
    this.pipelines = new RemotePipelines(transport, this.scope);
  }

  /**
   * `ws://host:8001/ws` (everything, including jobs with progress) or
   * `grpc://host:8000` (the same operations over gRPC, without jobs).
   */
  static async connect(url: string, options: ConnectOptions = {}): Promise<PlexClient> {
    if (url.startsWith('grpc://')) {
      // Loaded only when asked for: websocket users (and notebooks) need no gRPC.
      const { GrpcTransport } = await import('./grpc-transport.js');
      return new PlexClient(await GrpcTransport.open(url, options.token), options);
    }
    return new PlexClient(await WsTransport.open(url, options.token), options);
  }

  /** The named space in this client's tenant and namespace (or the ones given). */
  space(name: string, where: { tenant?: string; namespace?: string } = {}): RemoteSpace {
    return new RemoteSpace(this.transport, { tenant: where.tenant ?? this.scope.tenant, namespace: where.namespace ?? this.scope.namespace }, name);
  }

  /**
   * Runs a parallel n-body job on the node, reporting each step (and the
   * energy every `energyEvery` steps) to `onProgress`; aborting the signal
   * stops it between steps.
   */
  async nbody(
    options: { bodies: number; steps: number; workers?: number; dt?: number; softening?: number; energyEvery?: number; samplePositions?: number; signal?: AbortSignal },
    onProgress?: (progress: { step: number; steps: number; energy?: number }) => void,
  ): Promise<Record<string, unknown>> {
    const { signal, ...args } = options;
    const { id, done } = this.transport.request('job.nbody', this.scope, args, (event, data) => {
      if (event === 'progress') onProgress?.(data as { step: number; steps: number; energy?: number });
    });
    const onAbort = () => this.transport.cancel(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return (await done) as Record<string, unknown>;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async info(): Promise<Record<string, unknown>> {
    return (await this.transport.call('node.info', undefined)) as Record<string, unknown>;
  }

  close(): void {
    this.transport.close();
  }
}
