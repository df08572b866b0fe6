import { availableParallelism } from 'node:os';
import { ActorExistsError, ActorNotFoundError, InvalidArgumentError, InvalidModuleError, ModuleNotFoundError, RuntimeClosedError, shown } from '../errors.js';
import { TupleSpace } from '../space/tuple-space.js';
import type { Space } from '../space/space.js';
import { checkDuration } from '../util/duration.js';
import { prepareComponent } from './component-module.js';
import { isComponent, prepareCoreModule, type CoreModuleOptions } from './core-module.js';
import type { ActorLogEntry, ActorPlacement, ActorRuntimeOptions, AskOptions, CrashReport, ExitReport, HostCallFilter, MessageRouter, SpawnOptions, SpawnRegistry, WorkerStats } from './actor-runtime-types.js';
import { TASK_PREFIX } from './actor-runtime-types.js';
import { ActorTable, type RunningActor } from './actor-table.js';
import type { ModuleGrants } from './capabilities.js';
import { GuestSpawns } from './guest-spawns.js';
import { TaskInstances } from './task-instances.js';
import { hostServices, type HostCallExtension } from './host-services.js';
import { ModuleTable, snapshotsState, type PreparedModule } from './module-table.js';
import { PendingRequests } from './pending-requests.js';
import { SpawnFlag, ToWorker, toBytes, type ActorFigures } from './protocol.js';
import { RuntimeListeners } from './runtime-listeners.js';
import { workerInbound } from './worker-inbound.js';
import { startWorkerLinks, type WorkerLink } from './worker-link.js';
import { RuntimeTracing } from '../tracing/runtime-tracing.js';

/** Ids of pooled task instances start with this; `spawn` refuses ids that do. */

/**
 * Runs WebAssembly actors on a pool of worker threads.
 *
 * Placement policy: an actor is placed once, at spawn, on the worker that
 * hosts the fewest actors (ties: the lowest index), unless `worker` pins it;
 * it stays there for life, because its state lives in that worker's WASM
 * instance. `placement()` and `workerStats()` show where actors live and
 * how deep each worker's queue is.
 *
 * Messages to one actor are handled one at a time, in the order sent. A
 * crash (trap, watchdog, memory cap) removes only that actor: the worker
 * and its other actors keep running, pending asks to it reject with an
 * `ActorCrashedError`, and `onCrash` listeners hear about it (supervision
 * builds on this).
 */
export class ActorRuntime {
  readonly space: Space;
  private readonly links: WorkerLink[];
  private readonly modules: ModuleTable;
  /** Running actors and their workers (actor-table.ts). */
  private readonly actors: ActorTable;
  private router: MessageRouter | undefined;
  private hostCallFilter: HostCallFilter | undefined;
  private readonly pending = new PendingRequests();
  private readonly listeners = new RuntimeListeners();
  /** Host operations the runtime itself does not serve (the coordination layer registers them). */
  private hostExtension: HostCallExtension | undefined;
  private readonly ownsSpace: boolean;
  private readonly askTimeoutMs: number;
  private readonly tracing: RuntimeTracing | undefined;
  private nextActor = 1;
  /** The `spawn` host call's spawns. */
  private readonly guestSpawns = new GuestSpawns({
    moduleOf: (actorId) => this.actors.get(actorId)?.module,
    hasModule: (name) => this.modules.has(name),
    isRunning: (actorId) => this.actors.has(actorId),
    nextNumber: () => this.nextActor++,
    start: (moduleName, id, config) => this.spawnActor(moduleName, { id, config }),
    reportCrash: (report) => this.listeners.reportCrash(report),
  });
  /** Pooled task instances by id, resolved once spawned. */
  private readonly taskInstances = new TaskInstances();
  private closed = false;

  constructor(options: ActorRuntimeOptions = {}) {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isSafeInteger(workers) || workers < 1) throw new InvalidArgumentError(`workers must be a positive integer, got ${workers}`);
    const watchdogMs = options.watchdogMs ?? 1000;
    if (!(watchdogMs > 0)) throw new InvalidArgumentError(`watchdogMs must be > 0, got ${watchdogMs}`);
    this.askTimeoutMs = checkDuration('askTimeoutMs', options.askTimeoutMs ?? 5000);
    this.ownsSpace = options.space === undefined;
    this.tracing = options.tracing === undefined ? undefined : new RuntimeTracing(options.tracing);
    this.space = options.space ?? new TupleSpace({ name: 'runtime' });
    const services = hostServices({
      space: this.space,
      spaceFor: options.spaceFor,
      evalFor: options.evalFor,
      ask: (to, type, payload, timeoutMs, from) =>
        this.router !== undefined ? this.router.ask(to, type, payload, { timeoutMs, from }) : this.ask(to, type, payload, { timeoutMs, from }),
      spawnDetached: (module, actorId, config, caller) => this.guestSpawns.spawn(module, actorId, config, caller),
      stopDetached: (actorId) => {
        if (!this.actors.has(actorId)) throw new ActorNotFoundError(actorId);
        void this.stop(actorId).catch(() => undefined);
      },
      extension: (op, request, caller, context) => this.hostExtension?.(op, request, caller, context),
      route: (to, type, payload, from) => this.route(to, type, payload, from),
    });
    // What the workers send up (host calls, answers, crashes, routed sends, their own death): worker-inbound.ts.
    const inbound = workerInbound({
      services,
      grantsOf: (actorId) => this.actors.get(actorId)?.grants,
      hostCallFilter: () => this.hostCallFilter,
      tracing: this.tracing,
      pending: this.pending,
      listeners: this.listeners,
      forget: (actorId) => this.forget(actorId),
      route: (to, type, payload, from) => this.route(to, type, payload, from),
      isClosed: () => this.closed,
    });
    this.links = startWorkerLinks(workers, watchdogMs, inbound);
    this.actors = new ActorTable(this.links, options.admission, () => this.closed);
    this.modules = new ModuleTable(this.links);
  }

  get workerCount(): number {
    return this.links.length;
  }

  /**
   * Validates and prepares a module and ships it to every worker: a core
   * module (docs/core-abi.md) is instrumented and compiled; a component for
   * the `plexspaces:simple-actor@0.1.0` world is transpiled with jco.
   * Rejects with `InvalidModuleError` saying what is wrong.
   */
  async deploy(name: string, wasm: Uint8Array, options: CoreModuleOptions = {}): Promise<void> {
    this.assertOpen();
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('a module needs a non-empty name');
    if (this.modules.has(name)) throw new InvalidModuleError(`a module named ${shown(name)} is already deployed`);
    this.install(await this.prepare(name, wasm, options));
  }

  /**
   * Deploys `wasm` under a name that may be in use: the new module is
   * validated and prepared first, and replaces the old one only if that
   * succeeds — a bad redeploy leaves the old module deployed. Running actors
   * keep their instances; new spawns get the new code.
   */
  async redeploy(name: string, wasm: Uint8Array, options: CoreModuleOptions = {}): Promise<void> {
    this.install(await this.prepare(name, wasm, options));
  }

  /**
   * Validates and prepares a module without deploying it (`install` does):
   * a deploy of several modules prepares them all, checks them, and only
   * then installs any, so a bad one changes nothing.
   */
  prepare(name: string, wasm: Uint8Array, options: CoreModuleOptions = {}): Promise<PreparedModule> {
    try {
      this.assertOpen();
      if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('a module needs a non-empty name');
    } catch (error) {
      return Promise.reject(error);
    }
    return isComponent(wasm) ? prepareComponent(name, wasm, options) : prepareCoreModule(name, wasm, options);
  }

  /** Deploys a prepared module under its name, replacing any module of that name (running actors keep their instances). */
  install(prepared: PreparedModule): void {
    this.assertOpen();
    this.modules.install(prepared);
  }

  /** A fresh id for an actor of `moduleName`, as `spawn` would pick. */
  newActorId(moduleName: string): string {
    return `${moduleName}-${this.nextActor++}`;
  }

  /** Whether a deployed module is a core module or a component; undefined when none has the name. */
  moduleKind(name: string): 'core' | 'component' | undefined {
    return this.modules.get(name)?.kind;
  }

  /** A deployed module's world and capabilities (capabilities.ts); undefined when none has the name. */
  moduleGrants(name: string): ModuleGrants | undefined {
    return this.modules.get(name)?.grants;
  }

  /** The module a running actor was spawned from. */
  moduleOfActor(actorId: string): string | undefined {
    return this.actors.get(actorId)?.module;
  }

  hasModule(name: string): boolean {
    return this.modules.has(name);
  }

  /**
   * Whether actors of a module can be checkpointed: a component always can
   * (its world exports get-state / set-state), a core module when it exports
   * both `plex_get_state` and `plex_set_state`. Durability needs it.
   */
  canSnapshot(name: string): boolean {
    const module = this.modules.get(name);
    return module !== undefined && snapshotsState(module);
  }

  /**
   * Forgets a module: new spawns of it fail with `ModuleNotFoundError`;
   * running actors keep their instance. (Workers keep the compiled code
   * until the name is deployed again.)
   */
  undeploy(name: string): boolean {
    return this.modules.delete(name);
  }

  /** Makes a shared `WebAssembly.Memory` available to actors spawned with `{ memory: id }` (zero-copy data). */
  shareMemory(id: string, memory: WebAssembly.Memory): void {
    this.assertOpen();
    this.modules.shareMemory(id, memory);
  }

  /** Starts an actor; resolves with its id once `plex_init` succeeded. */
  async spawn(moduleName: string, options: SpawnOptions = {}): Promise<string> {
    if (options.id?.startsWith(TASK_PREFIX)) throw new InvalidArgumentError(`actor ids starting with ${TASK_PREFIX} are reserved for task instances`);
    return this.spawnActor(moduleName, options);
  }

  /**
   * Checks and reserves synchronously — a refused spawn (unknown module, id
   * taken, quota) throws before this returns, which host-call spawns rely on
   * to answer their caller — then starts the actor; the promise resolves
   * once `plex_init` succeeded.
   */
  private spawnActor(moduleName: string, options: SpawnOptions): Promise<string> {
    this.assertOpen();
    if (!this.modules.has(moduleName)) throw new ModuleNotFoundError(moduleName);
    const id = options.id ?? `${moduleName}-${this.nextActor++}`;
    if (this.actors.has(id)) throw new ActorExistsError(id);
    const slotBase = options.memory === undefined ? -1 : this.modules.reserveSlot(moduleName, options.memory);
    const link = this.actors.place(options.worker);
    // Reserve the id now so a concurrent spawn of the same id fails.
    const intercepted = options.intercepted === true || options.journaled === true;
    this.actors.add(id, { module: moduleName, link, intercepted, grants: this.modules.get(moduleName)!.grants }, this.modules.get(moduleName)!.reservedBytes);
    const requestId = this.pending.newId();
    return this.pending.send(link, requestId, () => link.send([ToWorker.Spawn, requestId, id, moduleName, toBytes(options.config), options.memory ?? null, slotBase, (intercepted ? SpawnFlag.Intercepted : 0) | (options.journaled === true ? SpawnFlag.Journaled : 0)])).then(
      () => {
        // An intercepted actor stays unknown to the workers, so their sends to it come through `route`.
        if (!intercepted) this.actors.announce(id, link.index);
        return id;
      },
      (error: unknown) => {
        this.forget(id);
        throw error;
      },
    );
  }

  /**
   * From now on, actors that actors spawn are the cluster's (guest-spawns.ts):
   * cluster-unique generated ids, each claimed in the directory first.
   */
  registerSpawnsWith(registry: SpawnRegistry): void {
    this.guestSpawns.registerWith(registry);
  }

  /** Fire-and-forget. Throws `ActorNotFoundError` for an actor that is not running. */
  tell(actorId: string, type: string, payload?: Uint8Array | string, from = ''): void {
    this.assertOpen();
    const actor = this.actors.get(actorId);
    if (actor === undefined) throw new ActorNotFoundError(actorId);
    actor.link.send([ToWorker.Message, actorId, type, toBytes(payload), 0, from]);
  }

  /** Request/reply: resolves with the handler's reply bytes. */
  ask(actorId: string, type: string, payload?: Uint8Array | string, options: AskOptions = {}): Promise<Uint8Array> {
    try {
      this.assertOpen();
      const actor = this.actors.get(actorId);
      if (actor === undefined) throw new ActorNotFoundError(actorId);
      const timeoutMs = checkDuration('timeoutMs', options.timeoutMs ?? this.askTimeoutMs);
      const requestId = this.pending.newId();
      const bytes = toBytes(payload);
      options.onContext?.(requestId);
      const send = () =>
        this.pending.send<Uint8Array>(actor.link, requestId, () => actor.link.send([ToWorker.Message, actorId, type, bytes, requestId, options.from ?? '']), {
          actorId,
          timeoutMs,
          signal: options.signal,
        });
      return this.tracing === undefined ? send() : this.tracing.ask(actorId, type, requestId, actor.link.index, send);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stateless work (a parallel map task, Linda `eval`): runs `type` on an
   * instance of `moduleName` on whichever worker has the least work in
   * flight. Each worker keeps one pooled instance per module for tasks, so a
   * task must not rely on state left by an earlier one.
   */
  runTask(moduleName: string, type: string, payload?: Uint8Array | string, options: AskOptions = {}): Promise<Uint8Array> {
    try {
      this.assertOpen();
      if (!this.modules.has(moduleName)) throw new ModuleNotFoundError(moduleName);
      let link = this.links[0];
      for (const candidate of this.links) if (candidate.inFlight + candidate.queueDepth < link.inFlight + link.queueDepth) link = candidate;
      const id = `${TASK_PREFIX}${moduleName}@${link.index}`;
      return this.taskInstances.ready(id, () => this.spawnActor(moduleName, { id, worker: link.index })).then(() => this.ask(id, type, payload, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The actor's `plex_get_state` snapshot. */
  getState(actorId: string): Promise<Uint8Array> {
    try {
      this.assertOpen();
      const actor = this.actors.get(actorId);
      if (actor === undefined) throw new ActorNotFoundError(actorId);
      const requestId = this.pending.newId();
      return this.pending.send<Uint8Array>(actor.link, requestId, () => actor.link.send([ToWorker.GetState, requestId, actorId]), { actorId });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Restores a `getState` snapshot into a running actor (its `set-state` / `plex_set_state`). */
  setState(actorId: string, state: Uint8Array): Promise<void> {
    try {
      this.assertOpen();
      const actor = this.actors.get(actorId);
      if (actor === undefined) throw new ActorNotFoundError(actorId);
      const requestId = this.pending.newId();
      return this.pending.send<void>(actor.link, requestId, () => actor.link.send([ToWorker.SetState, requestId, actorId, state]), { actorId }).then(() => undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Where sends from inside actors to actors the worker cannot reach
   * directly (intercepted ones, those on no known worker) are handed; the
   * actor layer routes them through facets and journals. Default: `tell`.
   */
  setRouter(router: MessageRouter): void {
    this.router = router;
  }

  /** Wraps every main-thread host call (the durable-actor journal records and replays them here). */
  setHostCallFilter(filter: HostCallFilter): void {
    if (this.hostCallFilter !== undefined) throw new InvalidArgumentError('this runtime already has a host-call filter');
    this.hostCallFilter = filter;
  }

  /** Whether messages to the actor go through the router (it was spawned `intercepted` or `journaled`). */
  isIntercepted(actorId: string): boolean {
    return this.actors.get(actorId)?.intercepted ?? false;
  }

  private route(to: string, type: string, payload: Uint8Array, from: string): void {
    if (this.router !== undefined) {
      this.router.send(to, type, payload, from);
      return;
    }
    const target = this.actors.get(to);
    if (target !== undefined) target.link.send([ToWorker.Message, to, type, payload, 0, from]);
  }

  /** Stops an actor after the messages already sent to it. */
  async stop(actorId: string): Promise<void> {
    await this.end(actorId, { normal: true, reason: 'normal' });
  }

  /**
   * Ends an actor abnormally (an exit signal from a linked actor, a
   * supervisor's brutal kill): it handles nothing after the messages
   * already queued to it, and exit listeners hear `killed: <why>`.
   */
  async kill(actorId: string, why: string): Promise<void> {
    await this.end(actorId, { normal: false, reason: `killed: ${why}` });
  }

  private async end(actorId: string, how: { normal: boolean; reason: string }): Promise<void> {
    this.assertOpen();
    const actor = this.actors.get(actorId);
    if (actor === undefined) throw new ActorNotFoundError(actorId);
    this.forget(actorId);
    this.listeners.reportExit({ actorId, module: actor.module, ...how });
    const requestId = this.pending.newId();
    await this.pending.send(actor.link, requestId, () => actor.link.send([ToWorker.Stop, requestId, actorId]));
  }

  has(actorId: string): boolean {
    return this.actors.has(actorId);
  }

  placement(): ActorPlacement[] {
    return this.actors.placement();
  }

  /**
   * Each running actor's figures, asked of every worker: messages handled since
   * it started (every one, with or without facets) and the bytes of its linear
   * memory. A worker busy in a long handler answers when the handler ends.
   */
  async actorStats(): Promise<Map<string, { handled: number; memoryBytes: number }>> {
    this.assertOpen();
    const answers = await Promise.all(
      this.links.map((link) => {
        const requestId = this.pending.newId();
        return this.pending.send<ActorFigures[]>(link, requestId, () => link.send([ToWorker.Stats, requestId]), {});
      }),
    );
    const stats = new Map<string, { handled: number; memoryBytes: number }>();
    for (const figures of answers) for (const [actorId, handled, memoryBytes] of figures) stats.set(actorId, { handled, memoryBytes });
    return stats;
  }

  workerStats(): WorkerStats[] {
    return this.links.map((l) => ({ worker: l.index, actors: l.actors.size, queued: l.queueDepth, inFlight: l.inFlight }));
  }

  /** Calls `listener` whenever an actor dies; returns a function that unsubscribes. */
  onCrash(listener: (report: CrashReport) => void): () => void {
    return this.listeners.onCrash(listener);
  }

  /**
   * Calls `listener` with every log line an actor writes (`plex.log`, a
   * component's log, WASI stdout at level 1 and stderr at level 2); the
   * lines are written to stderr as well. Returns a function that unsubscribes.
   */
  onLog(listener: (entry: ActorLogEntry) => void): () => void {
    return this.listeners.onLog(listener);
  }

  /** Calls `listener` whenever an actor stops running: stopped, killed or crashed. Returns a function that unsubscribes. */
  onExit(listener: (report: ExitReport) => void): () => void {
    return this.listeners.onExit(listener);
  }

  /**
   * Serves host operations the runtime does not know (`plex.call` codes and
   * the component host functions of links, timers, groups, kv, locks,
   * blobs); the handler returns undefined for operations it does not know
   * either. One extension per runtime.
   */
  extendHostCalls(handler: HostCallExtension): void {
    if (this.hostExtension !== undefined) throw new InvalidArgumentError('this runtime already has a host-call extension');
    this.hostExtension = handler;
  }

  /** Stops every worker; pending asks reject with `RuntimeClosedError`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending.rejectAll(() => new RuntimeClosedError());
    await Promise.all(this.links.map((l) => l.close()));
    if (this.ownsSpace) await this.space.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ── internals ────────────────────────────────────────────────────────────

  private assertOpen(): void {
    if (this.closed) throw new RuntimeClosedError();
  }

  /** An actor is gone (stopped, crashed, its worker died): its task-pool slot and its table entry go; returns the entry. */
  private forget(actorId: string): RunningActor | undefined {
    this.taskInstances.forget(actorId);
    return this.actors.remove(actorId);
  }
}
