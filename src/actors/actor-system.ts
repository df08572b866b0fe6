import { ActorExistsError, ActorNotFoundError } from '../errors.js';
import { Coordination, type CoordinationOptions } from '../coord/coordination.js';
import { ActorRuntime } from '../runtime/actor-runtime.js';
import type { AskOptions, ExitReport, SpawnOptions } from '../runtime/actor-runtime-types.js';
import { toBytes, utf8 } from '../runtime/protocol.js';
import { coordinationHostCalls } from './coordination-host-calls.js';
import { platformHostCalls } from './platform-host-calls.js';
import { CronService } from './cron-service.js';
import { ServiceRegistry } from '../coord/service-registry.js';
import { HttpClientService, type HttpClientQuotas } from '../coord/http-client.js';
import { DurableJournal } from './durable-journal.js';
import type { DurableStorage } from './durable-storage.js';
import { sqliteDurableStorage } from './sqlite-durable-storage.js';
import { redisDurableStorage } from '../cluster/redis-coordination/redis-durable-storage.js';
import { FacetRegistry, type Envelope, type FacetFactory, type FacetSpec } from './facet.js';
import { loggingFacet, metricsFacet, timerFacet, type ActorMessageStats } from './facets/builtin-facets.js';
import { durabilityFacet } from './facets/durability-facet.js';
import { virtualFacet } from './facets/virtual-facet.js';
import { SqliteVirtualStateStore, type VirtualStateStore } from './virtual-state.js';
import { RedisVirtualStateStore } from '../cluster/redis-coordination/redis-virtual-state.js';
import { LinkTable } from './link-table.js';
import { ExitSignals } from './exit-signals.js';
import { VirtualKinds, type VirtualKind } from './virtual-kinds.js';
import { enterPipeline, type Pipeline } from './pipeline.js';
import type { RemoteActors, RemoteExitWatch } from './remote-actors.js';

export type { RemoteActors, RemoteExitWatch } from './remote-actors.js';
export type { DownMessage, ExitSignal } from './exit-signals.js';
export type { VirtualKind } from './virtual-kinds.js';
import { TimerService } from './timer-service.js';

export interface ActorSystemOptions {
  /** The runtime to build on; default: a new one with `workers` threads (closed with the system). */
  runtime?: ActorRuntime;
  workers?: number;
  /** Where the node database and blobs live; null (default) keeps them in memory. */
  dataDir?: string | null;
  kv?: CoordinationOptions['kv'];
  blobs?: CoordinationOptions['blobs'];
  /** The cluster's Redis: KV and locks are shared there (CoordinationOptions.cluster), and durable actors' journals, checkpoints and reminders. */
  cluster?: CoordinationOptions['cluster'];
  /** This node's id and incarnation in the cluster (CoordinationOptions.node). */
  node?: CoordinationOptions['node'];
  /** Per-tenant limits of actors' outbound HTTP. */
  httpClient?: HttpClientQuotas;
}

export interface ActorSpawnOptions extends Omit<SpawnOptions, 'intercepted' | 'journaled'> {
  /** Exit signals from linked actors arrive as `exit` messages instead of killing this actor. */
  trapExits?: boolean;
  /** Link the new actor to this one as it starts (spawn_link). */
  linkTo?: string;
  /** Facets around every message, by name or `{ name, …options }` (`durability`, `metrics`, `logging`, `timer`, `virtual`, or registered ones). */
  facets?: readonly FacetSpec[];
}

/**
 * The actor layer over the runtime: links and monitors, exit trapping,
 * timers and reminders, and the coordination services (groups, channels,
 * KV, locks, blobs) — reachable from TypeScript here and from actors as host
 * calls.
 *
 * Exit semantics follow Erlang. When an actor exits, every monitor on it
 * gets a `down` message; every linked actor that traps exits gets an `exit`
 * message; a linked actor that does not trap exits is killed too if the
 * exit was abnormal (a crash or a kill) and left alone if it was normal (a
 * stop). The dead actor also leaves its process groups, its queue
 * deliveries are redelivered, and its timers are cancelled.
 */
export class ActorSystem {
  readonly runtime: ActorRuntime;
  readonly coordination: Coordination;
  readonly timers: TimerService;
  /** Service discovery for actors (wit/platform/registry.wit). */
  readonly registry: ServiceRegistry;
  /** Outbound HTTP for actors, by their application's policy (wit/platform/http-client.wit). */
  readonly httpClient: HttpClientService;
  /** Durable cron schedules (wit/platform/cron.wit). */
  readonly cron: CronService;
  readonly links = new LinkTable();
  /** Exit trapping, and the `down` and exit signals an exit sends (exit-signals.ts). */
  private readonly exits: ExitSignals;
  readonly facets = new FacetRegistry();
  readonly journal: DurableJournal;
  private readonly metrics = metricsFacet();
  private readonly pipelines = new Map<string, Pipeline>();
  /** Set on a node of a cluster with a secret: actors that run on the other nodes. */
  private remote: RemoteActors | undefined;
  /** Set on a node of a cluster with a secret: links and monitors on the other nodes' actors. */
  private remoteExits: RemoteExitWatch | undefined;
  private readonly virtualKinds = new VirtualKinds(this.facets, (id, kind, facets) => this.spawn(kind.module, { id, config: kind.config, facets }));
  private readonly exitListeners = new Set<(report: ExitReport) => void>();
  private readonly restartListeners = new Set<(restart: { supervisor: string; child: string; attempt: number }) => void>();
  private readonly ownsRuntime: boolean;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(options: ActorSystemOptions = {}) {
    this.ownsRuntime = options.runtime === undefined;
    this.runtime = options.runtime ?? new ActorRuntime({ workers: options.workers });
    this.exits = new ExitSignals(this.runtime, this.links);
    const deliver = (to: string, type: string, payload: Uint8Array, from = '') => this.runtime.tell(to, type, payload, from);
    this.coordination = new Coordination({
      dataDir: options.dataDir ?? null,
      deliver: (member, type, payload, from) => {
        try {
          deliver(member, type, payload, from);
        } catch {
          // a member that died between the lookup and the send; it leaves its groups on exit
        }
      },
      kv: options.kv,
      blobs: options.blobs,
      cluster: options.cluster,
      node: options.node,
    });
    // Journals, checkpoints and reminders on Redis when in a cluster, so another node can recover the actor.
    const durable: DurableStorage = options.cluster !== undefined ? redisDurableStorage(options.cluster) : sqliteDurableStorage(this.coordination.db);
    this.timers = new TimerService((actorId, type, payload) => deliver(actorId, type, payload, 'timer'), durable.reminders, Date.now, (actorId) => this.runtime.has(actorId));
    this.timers.start().catch((error: unknown) => process.stderr.write(`plexspaces: cannot arm the stored reminders: ${(error as Error).message}\n`));
    this.unsubscribe = this.runtime.onExit((report) => this.handleExit(report));
    const coordinationCalls = coordinationHostCalls(this);
    const platformCalls = platformHostCalls(this);
    this.runtime.extendHostCalls((op, request, caller, context) => coordinationCalls(op, request, caller, context) ?? platformCalls(op, request, caller, context));
    this.registry = new ServiceRegistry(this.coordination.kv);
    this.httpClient = new HttpClientService(options.httpClient);
    this.cron = new CronService(this.coordination.kv, this.coordination.locks, (actor, type, payload) => this.deliverFromCron(actor, type, payload), { holder: options.node?.id });
    this.journal = new DurableJournal(durable.journal, durable.checkpoints);
    this.runtime.setHostCallFilter(this.journal.hostCallFilter);
    // Sends from inside actors to intercepted (faceted) actors come here, so they pass the facets too.
    this.runtime.setRouter({
      send: (to, type, payload, from) => {
        if (this.runtime.has(to) || this.virtualKinds.kindOf(to) !== undefined) this.tell(to, type, payload, from);
        // Not here: on another node of the cluster, if one runs it (else dropped, as a send to a dead process).
        else void this.remote?.send(to, type, payload, from);
      },
      ask: (to, type, payload, options) => this.ask(to, type, payload, options),
    });
    // In a cluster a virtual actor's saved state is the cluster's: deactivated on one node, it comes back with it on any.
    const virtualState: VirtualStateStore = options.cluster !== undefined ? new RedisVirtualStateStore(options.cluster) : new SqliteVirtualStateStore(this.coordination.db);
    for (const factory of [this.metrics, loggingFacet(), timerFacet(), durabilityFacet(this.journal), virtualFacet(virtualState)]) {
      this.facets.register(factory);
    }
  }

  /** Adds a custom facet kind, attachable by name from then on. */
  registerFacet(factory: FacetFactory): void {
    this.facets.register(factory);
  }

  /** The `metrics` facet's figures for an actor that has it. */
  actorMetrics(actorId: string): ActorMessageStats | undefined {
    return this.metrics.stats(actorId);
  }

  /** Declares a virtual actor kind: `kind:key` ids are activated on their first message and deactivated when idle. */
  defineVirtual(kind: string, spec: VirtualKind): void {
    this.virtualKinds.define(kind, spec);
  }

  /** Whether `actorId` names a virtual actor of a defined kind (running or not). */
  isVirtual(actorId: string): boolean {
    return this.virtualKinds.kindOf(actorId) !== undefined;
  }

  /** Removes a virtual kind (an application was undeployed); running activations keep running until idle. */
  undefineVirtual(kind: string): boolean {
    return this.virtualKinds.undefine(kind);
  }

  /**
   * Stops an actor the way a supervisor does at shutdown: its facets first
   * keep what they keep (a durable actor checkpoints, so its next start
   * replays nothing; a virtual one saves its state), then a normal stop.
   */
  stopGracefully(actorId: string): Promise<void> {
    return this.pipelines.has(actorId) ? this.deactivate(actorId) : this.stop(actorId);
  }

  /** Saves a virtual actor's state (its facets' `beforeDeactivate`) and stops it; its next message reactivates it. */
  async deactivate(actorId: string): Promise<void> {
    const pipeline = this.pipelines.get(actorId);
    if (pipeline === undefined || !this.runtime.has(actorId)) return;
    // Wait for messages already on their way, then hold the gate so none slips in while saving.
    const { previous, release } = enterPipeline(pipeline);
    if (previous !== undefined) await previous;
    try {
      for (const facet of pipeline.facets) await facet.beforeDeactivate?.();
      await this.runtime.stop(actorId);
    } finally {
      release();
    }
  }

  async spawn(moduleName: string, options: ActorSpawnOptions = {}): Promise<string> {
    const { trapExits, linkTo, facets: facetSpecs = [], ...spawnOptions } = options;
    if (linkTo !== undefined && !this.runtime.has(linkTo)) throw new ActorNotFoundError(linkTo);
    const resolved = this.facets.resolve(facetSpecs);
    const names = resolved.map((r) => r.factory.name);
    if (resolved.length === 0) {
      const plain = await this.runtime.spawn(moduleName, spawnOptions);
      return this.started(plain, trapExits, linkTo);
    }
    // The pipeline exists, gate closed, before the actor does: a message arriving while it starts waits for its facets.
    const id = spawnOptions.id ?? this.runtime.newActorId(moduleName);
    if (this.pipelines.has(id)) throw new ActorExistsError(id);
    const pipeline: Pipeline = { facets: [], handlers: [], gate: Promise.resolve(), open: true };
    const { release: open } = enterPipeline(pipeline);
    this.pipelines.set(id, pipeline);
    try {
      await this.runtime.spawn(moduleName, { ...spawnOptions, id, intercepted: true, journaled: names.includes('durability') });
    } catch (error) {
      if (this.pipelines.get(id) === pipeline) this.pipelines.delete(id);
      open();
      throw error;
    }
    try {
      const host = { actorId: id, module: moduleName, system: this, facetNames: names };
      pipeline.facets.push(...resolved.map(({ factory, options: facetOptions }) => factory.create(host, facetOptions)));
      pipeline.handlers.push(...pipeline.facets.filter((f) => f.handle !== undefined));
      for (const facet of pipeline.facets) await facet.start?.();
    } catch (error) {
      if (this.pipelines.get(id) === pipeline) this.pipelines.delete(id);
      open();
      await this.runtime.stop(id).catch(() => undefined);
      throw error;
    }
    open();
    return this.started(id, trapExits, linkTo);
  }

  private started(id: string, trapExits: boolean | undefined, linkTo: string | undefined): string {
    if (trapExits === true) this.exits.trap(id, true);
    if (linkTo !== undefined) this.link(id, linkTo);
    this.timers.actorStarted(id).catch((error: unknown) => process.stderr.write(`plexspaces: cannot arm the reminders of ${id}: ${(error as Error).message}\n`));
    return id;
  }

  /** Fire-and-forget. An actor with facets gets it through them; a virtual actor is activated first. */
  tell(actorId: string, type: string, payload?: Uint8Array | string, from = ''): void {
    const pipeline = this.pipelines.get(actorId);
    if (pipeline === undefined && this.runtime.has(actorId)) {
      this.runtime.tell(actorId, type, payload, from);
      return;
    }
    if (pipeline === undefined && this.virtualKinds.kindOf(actorId) === undefined) throw new ActorNotFoundError(actorId);
    this.deliver(actorId, type, toBytes(payload), from, false).catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'PLEX_ERR_ACTOR_NOT_FOUND') {
        process.stderr.write(`plexspaces: a tell to ${actorId} (${type}) failed: ${(error as Error).message}\n`);
      }
    });
  }

  /** Request/reply, through the actor's facets; a virtual actor is activated first. */
  ask(actorId: string, type: string, payload?: Uint8Array | string, options: AskOptions = {}): Promise<Uint8Array> {
    if (!this.pipelines.has(actorId) && this.runtime.has(actorId)) return this.runtime.ask(actorId, type, payload, options);
    const remote = this.remote;
    if (remote !== undefined && !this.pipelines.has(actorId) && this.virtualKinds.kindOf(actorId) === undefined) {
      // Another node may run it (the cluster's directory); if none does, the local rules answer.
      const bytes = toBytes(payload);
      return remote.ask(actorId, type, bytes, options).then((reply) => reply ?? this.deliver(actorId, type, bytes, options.from ?? '', true, options));
    }
    return this.deliver(actorId, type, toBytes(payload), options.from ?? '', true, options);
  }

  /** Where asks and sends for actors that do not run here go: the cluster's other nodes (src/cluster/remote-actor-calls.ts). */
  reachRemoteActorsThrough(remote: RemoteActors): void {
    this.remote = remote;
  }

  /** Where links and monitors on actors that do not run here go: the cluster's other nodes (src/cluster/remote-exits.ts). */
  watchRemoteExitsThrough(remoteExits: RemoteExitWatch): void {
    this.remoteExits = remoteExits;
  }

  /**
   * An actor of another node exited (its node reported it, or left the
   * cluster: reason `noconnection`): this node's monitors on it get their
   * `down`, and its links here their exit signal, as for a local exit.
   */
  remoteExited(actorId: string, reason: string, normal: boolean): void {
    if (this.runtime.has(actorId)) return;
    this.exits.signalExit(actorId, reason, normal);
  }

  /** Normal exit: linked actors that do not trap exits live on. */
  stop(actorId: string): Promise<void> {
    return this.runtime.stop(actorId);
  }

  /** Abnormal exit: linked actors that do not trap exits are killed too. */
  kill(actorId: string, why = 'kill'): Promise<void> {
    return this.runtime.kill(actorId, why);
  }

  /** Links two running actors; an exit of either signals the other. */
  link(a: string, b: string): void {
    for (const id of [a, b]) if (!this.runtime.has(id)) throw new ActorNotFoundError(id);
    this.links.link(a, b);
  }

  /**
   * `link` for an actor's own host call: `b` may also run on another node of
   * the cluster, where the link is then made too (each node signals its
   * actor's exit to the other). Fails as `link` does when no node runs `b`
   * (PLEX_ERR_ACTOR_NOT_FOUND), and with PLEX_ERR_NODE_DOWN when its node is
   * gone — the caller learns it, as on one node, rather than being killed.
   */
  async linkAnywhere(a: string, b: string): Promise<void> {
    const remote = this.remoteExits;
    if (remote === undefined || this.runtime.has(b) || !this.runtime.has(a)) return this.link(a, b);
    // Linked here first: an exit the other node reports while the link is being made already counts.
    this.links.link(a, b);
    const outcome = await remote.watch(b, a).catch((error: unknown) => {
      this.links.unlink(a, b);
      throw error;
    });
    if (outcome === 'noproc') {
      this.links.unlink(a, b);
      throw new ActorNotFoundError(b);
    }
  }

  unlink(a: string, b: string): boolean {
    return this.links.unlink(a, b);
  }

  /**
   * `watcher` gets one `down` message when `target` exits; returns the
   * monitor's ref. Monitoring an actor that is not running sends `down`
   * with reason `noproc` at once, as Erlang does.
   */
  monitor(watcher: string, target: string): string {
    if (!this.runtime.has(watcher)) throw new ActorNotFoundError(watcher);
    const entry = this.links.monitor(watcher, target);
    if (this.runtime.has(target)) return entry.ref;
    const remote = this.remoteExits;
    const notWatched = (reason: string) => this.links.demonitor(entry.ref) && this.exits.sendDown(watcher, { ref: entry.ref, actor: target, reason, normal: false });
    // In a cluster the target may run on another node, which then reports its exit here.
    if (remote === undefined) notWatched('noproc');
    else remote.watch(target).then((outcome) => outcome === 'noproc' && notWatched('noproc'), () => notWatched('noconnection'));
    return entry.ref;
  }

  /** Drops a monitor; with `watcher`, only if that actor made it (false otherwise). */
  demonitor(ref: string, watcher?: string): boolean {
    if (watcher !== undefined && this.links.watcherOf(ref) !== watcher) return false;
    return this.links.demonitor(ref);
  }

  trapExits(actorId: string, on: boolean): void {
    if (!this.runtime.has(actorId)) throw new ActorNotFoundError(actorId);
    this.exits.trap(actorId, on);
  }

  isTrappingExits(actorId: string): boolean {
    return this.exits.isTrapping(actorId);
  }

  /** Hears every restart any supervisor of this system makes (metrics, logs). */
  onRestart(listener: (restart: { supervisor: string; child: string; attempt: number }) => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  /** Supervisors report their restarts here. */
  reportRestart(supervisor: string, child: string, attempt: number): void {
    for (const listener of this.restartListeners) listener({ supervisor, child, attempt });
  }

  /** Hears every exit after the system has dealt with it (links, monitors, groups). */
  onExit(listener: (report: ExitReport) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Actors with facets keep what they keep first: virtual actors save their state, durable ones checkpoint.
    await Promise.all([...this.pipelines.keys()].map((id) => this.deactivate(id).catch(() => undefined)));
    this.closed = true;
    this.unsubscribe();
    this.timers.close();
    this.cron.close();
    if (this.ownsRuntime) await this.runtime.close();
    this.coordination.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** A cron firing: to the actor here (a virtual one activates), or on another node of the cluster; throws when none runs it. */
  private deliverFromCron(actorId: string, type: string, payload: string): void {
    const bytes = utf8.encode(payload);
    if (this.runtime.has(actorId) || this.virtualKinds.kindOf(actorId) !== undefined) this.tell(actorId, type, bytes, 'cron');
    else if (this.remote !== undefined) void this.remote.send(actorId, type, bytes, 'cron');
    else throw new ActorNotFoundError(actorId);
  }

  private async deliver(actorId: string, type: string, payload: Uint8Array, from: string, wantsReply: boolean, options: AskOptions = {}): Promise<Uint8Array> {
    let pipeline = this.pipelines.get(actorId);
    if (pipeline === undefined || !this.runtime.has(actorId)) {
      await this.virtualKinds.activate(actorId);
      pipeline = this.pipelines.get(actorId);
      if (pipeline === undefined) return this.runtime.ask(actorId, type, payload, options);
    }
    const { previous, release } = enterPipeline(pipeline);
    if (previous !== undefined) await previous;
    const listeners: ((context: number) => void)[] = [];
    const envelope: Envelope = { actorId, type, payload, from, wantsReply, onContext: (listener) => void listeners.push(listener) };
    const handlers = pipeline.handlers;
    let index = 0;
    const next = (): Promise<Uint8Array> => {
      const facet = handlers[index++];
      if (facet !== undefined) return facet.handle!(envelope, next);
      const reply = this.runtime.ask(actorId, type, payload, {
        ...options,
        from,
        onContext: (context) => {
          for (const listener of listeners) listener(context);
          options.onContext?.(context);
        },
      });
      release(); // queued on the actor's worker: the next message may go
      return reply;
    };
    try {
      return await next();
    } finally {
      release();
    }
  }

  private handleExit(report: ExitReport): void {
    const { actorId, reason, normal } = report;
    const pipeline = this.pipelines.get(actorId);
    if (pipeline !== undefined) {
      this.pipelines.delete(actorId);
      for (const facet of pipeline.facets) facet.stop?.(report);
    }
    this.exits.trap(actorId, false);
    this.timers.cancelActor(actorId);
    this.coordination.actorExited(actorId);
    this.registry.actorExited(actorId);
    this.exits.signalExit(actorId, reason, normal);
    // Watchers and linked actors on other nodes hear of it from their node.
    this.remoteExits?.exited(actorId, reason, normal);
    for (const listener of this.exitListeners) listener(report);
  }
}
