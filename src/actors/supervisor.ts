import { EscalatedError, InvalidArgumentError, type PlexError, shown } from '../errors.js';
import { setLongTimeout } from '../util/long-timer.js';
import type { ExitReport } from '../runtime/actor-runtime-types.js';
import type { ActorSystem } from './actor-system.js';
import type { FacetSpec } from './facet.js';

export type SupervisionStrategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
/** `permanent`: always restarted; `transient`: restarted after an abnormal exit only; `temporary`: never. */
export type RestartPolicy = 'permanent' | 'transient' | 'temporary';

export interface WorkerChildSpec {
  /** Unique within the tree; the actor's id is `idPrefix + id`. */
  readonly id: string;
  /** A deployed module. */
  readonly module: string;
  readonly config?: Uint8Array | string;
  /** Default `permanent`. */
  readonly restart?: RestartPolicy;
  /** How long a stop may take to drain the child's queued messages. Default 5000 ms. */
  readonly shutdownTimeoutMs?: number;
  readonly trapExits?: boolean;
  readonly worker?: number;
  /** Facets around every message (`durability` makes a restart recover the state from the journal). */
  readonly facets?: readonly FacetSpec[];
}

export interface SupervisorChildSpec {
  readonly id: string;
  readonly supervisor: SupervisorSpec;
  /** Default `permanent`. */
  readonly restart?: RestartPolicy;
}

export type ChildSpec = WorkerChildSpec | SupervisorChildSpec;

export interface BackoffSpec {
  /** Delay before the first restart in a window. */
  readonly initialMs: number;
  readonly maxMs: number;
  /** Growth per further restart within the window. Default 2. */
  readonly factor?: number;
}

export interface SupervisorSpec {
  /** Default `one_for_one`. */
  readonly strategy?: SupervisionStrategy;
  /** More than this many restarts within the window and the supervisor gives up and escalates. Default 3. */
  readonly maxRestarts?: number;
  /** Default 5000 ms. */
  readonly maxRestartWindowMs?: number;
  /** Wait before restarting, growing with each restart in the window. Default: restart at once. */
  readonly backoff?: BackoffSpec;
  readonly children: readonly ChildSpec[];
}

export interface SupervisorOptions {
  /** Prepended to every worker child's id (a node uses `tenant/namespace/`). */
  readonly idPrefix?: string;
  /** How a worker child is started; default `system.spawn`. The durable layer passes its own. */
  readonly startWorker?: (spec: WorkerChildSpec, actorId: string) => Promise<void>;
}

export type SupervisorEvent =
  | { readonly type: 'exit'; readonly child: string; readonly normal: boolean; readonly reason: string }
  | { readonly type: 'restart'; readonly child: string; readonly attempt: number }
  | { readonly type: 'escalate'; readonly error: EscalatedError };

export interface ChildInfo {
  readonly id: string;
  readonly kind: 'worker' | 'supervisor';
  /** The actor id (workers) or the supervisor's name. */
  readonly ref: string;
  readonly running: boolean;
  readonly restarts: number;
}

interface ChildState {
  readonly spec: ChildSpec;
  readonly ref: string;
  running: boolean;
  restarts: number;
  sub?: Supervisor;
}

const STRATEGIES: readonly SupervisionStrategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
const POLICIES: readonly RestartPolicy[] = ['permanent', 'transient', 'temporary'];

/**
 * An Erlang/OTP supervisor over actors of an `ActorSystem`.
 *
 * Children start in order and stop in reverse order. When a child exits,
 * its restart policy says whether it is restarted, and the strategy which
 * siblings go with it: `one_for_one` restarts just the child, `one_for_all`
 * stops and restarts every child, `rest_for_one` the child and those
 * started after it. A restart that fails (the new instance's init fails)
 * counts as another exit. More than `maxRestarts` restarts within
 * `maxRestartWindowMs` and the supervisor stops all its children and
 * escalates: to its parent supervisor, which treats it as a crashed child,
 * or — at the root — to `onEvent` listeners with an `EscalatedError`.
 *
 * Exits are handled one at a time in arrival order, so a burst of crashes
 * (a `one_for_all` restart itself produces exits) never interleaves two
 * restarts.
 */
export class Supervisor {
  private readonly children: ChildState[] = [];
  private readonly restartTimes: number[] = [];
  private readonly listeners = new Set<(event: SupervisorEvent) => void>();
  private readonly strategy: SupervisionStrategy;
  private readonly maxRestarts: number;
  private readonly windowMs: number;
  private work: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private state: 'starting' | 'running' | 'stopping' | 'stopped' | 'escalated' = 'starting';

  private constructor(
    readonly system: ActorSystem,
    readonly name: string,
    private readonly spec: SupervisorSpec,
    private readonly options: SupervisorOptions,
    private readonly parent: Supervisor | undefined,
  ) {
    this.strategy = spec.strategy ?? 'one_for_one';
    this.maxRestarts = spec.maxRestarts ?? 3;
    this.windowMs = spec.maxRestartWindowMs ?? 5000;
  }

  /** Validates the whole tree, then starts it from the root down; a child that fails to start stops the ones before it and rejects. */
  static async start(system: ActorSystem, name: string, spec: SupervisorSpec, options: SupervisorOptions = {}): Promise<Supervisor> {
    validateTree(spec, 'supervisor', new Set());
    return Supervisor.startTree(system, name, spec, options, undefined);
  }

  private static async startTree(system: ActorSystem, name: string, spec: SupervisorSpec, options: SupervisorOptions, parent: Supervisor | undefined): Promise<Supervisor> {
    const supervisor = new Supervisor(system, name, spec, options, parent);
    supervisor.unsubscribe = system.onExit((report) => supervisor.onActorExit(report));
    try {
      for (const child of spec.children) {
        const state: ChildState = { spec: child, ref: 'supervisor' in child ? `${name}/${child.id}` : `${options.idPrefix ?? ''}${child.id}`, running: false, restarts: 0 };
        supervisor.children.push(state);
        await supervisor.startChild(state);
      }
    } catch (error) {
      await supervisor.shutdown();
      throw error;
    }
    supervisor.state = 'running';
    return supervisor;
  }

  get status(): 'starting' | 'running' | 'stopping' | 'stopped' | 'escalated' {
    return this.state;
  }

  childInfo(): ChildInfo[] {
    return this.children.map((c) => ({ id: c.spec.id, kind: 'supervisor' in c.spec ? 'supervisor' : 'worker', ref: c.ref, running: c.running, restarts: c.restarts }));
  }

  /** The nested supervisor of a supervisor child. */
  childSupervisor(id: string): Supervisor | undefined {
    return this.children.find((c) => c.spec.id === id)?.sub;
  }

  onEvent(listener: (event: SupervisorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every exit received so far has been dealt with. */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.work;
      await seen;
    } while (seen !== this.work);
  }

  /** Stops the children in reverse start order (each within its shutdown timeout) and the supervisor. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    await this.idle();
    await this.shutdown();
  }

  // ── internals ────────────────────────────────────────────────────────────

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    await this.stopChildren(this.children);
    this.unsubscribe?.();
    this.state = 'stopped';
  }

  private onActorExit(report: ExitReport): void {
    if (this.state !== 'running') return;
    const child = this.children.find((c) => c.running && c.sub === undefined && c.ref === report.actorId);
    if (child === undefined) return;
    child.running = false;
    this.enqueue(() => this.childExited(child, report.normal, report.reason));
  }

  /** A nested supervisor escalated: to this one it is a child that crashed. */
  private subEscalated(sub: Supervisor, error: EscalatedError): void {
    const child = this.children.find((c) => c.sub === sub);
    if (child === undefined || !child.running || this.state !== 'running') return;
    child.running = false;
    child.sub = undefined;
    this.enqueue(() => this.childExited(child, false, error.message));
  }

  private enqueue(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((error: unknown) => {
      process.stderr.write(`plexspaces: supervisor ${this.name} failed handling an exit: ${(error as Error).stack ?? String(error)}\n`);
    });
  }

  private async childExited(child: ChildState, normal: boolean, reason: string): Promise<void> {
    this.emit({ type: 'exit', child: child.spec.id, normal, reason });
    if (this.state !== 'running') return;
    const policy = child.spec.restart ?? 'permanent';
    const restart = policy === 'permanent' || (policy === 'transient' && !normal);
    if (!restart) {
      if (policy === 'temporary') this.children.splice(this.children.indexOf(child), 1);
      return;
    }
    let failing: ChildState | undefined = child;
    while (failing !== undefined && this.state === 'running') {
      if (!this.noteRestart()) {
        await this.escalate(`supervisor ${this.name} reached its restart intensity (more than ${this.maxRestarts} restarts in ${this.windowMs} ms); last exit of ${failing.spec.id}: ${reason}`);
        return;
      }
      await this.backoff();
      failing = await this.restartFor(failing);
    }
  }

  /** Applies the strategy for `child`; returns a child that failed to start again, if any. */
  private async restartFor(child: ChildState): Promise<ChildState | undefined> {
    const index = this.children.indexOf(child);
    const candidates = this.strategy === 'one_for_one' ? [child] : this.strategy === 'one_for_all' ? [...this.children] : this.children.slice(index);
    // Siblings that are down already have their own exit queued (or were not meant to run); only running ones go with this restart.
    const group = candidates.filter((c) => c === child || c.running);
    await this.stopChildren(group.filter((c) => c !== child));
    for (const c of group) {
      if ((c.spec.restart ?? 'permanent') === 'temporary' && c !== child) {
        this.children.splice(this.children.indexOf(c), 1); // temporary children are never restarted
        continue;
      }
      c.restarts++;
      this.emit({ type: 'restart', child: c.spec.id, attempt: c.restarts });
      this.system.reportRestart(this.name, c.spec.id, c.restarts);
      try {
        await this.startChild(c);
      } catch (error) {
        this.emit({ type: 'exit', child: c.spec.id, normal: false, reason: `restart failed: ${(error as PlexError).code ?? ''} ${(error as Error).message}` });
        return c;
      }
    }
    return undefined;
  }

  private async startChild(child: ChildState): Promise<void> {
    const spec = child.spec;
    if ('supervisor' in spec) {
      child.sub = await Supervisor.startTree(this.system, child.ref, spec.supervisor, this.options, this);
    } else if (this.options.startWorker !== undefined) {
      await this.options.startWorker(spec, child.ref);
    } else {
      await this.system.spawn(spec.module, { id: child.ref, config: spec.config, trapExits: spec.trapExits, worker: spec.worker, facets: spec.facets });
      // Killed (or crashed) between its start and now: its exit came while the child was not yet running, so
      // onActorExit ignored it. Handled here as the exit it was, or the child would stay "running" with no actor.
      if (!this.system.runtime.has(child.ref)) {
        child.running = false;
        if (this.state === 'running') this.enqueue(() => this.childExited(child, false, 'exited while it was being started'));
        return;
      }
    }
    child.running = true;
  }

  private async stopChildren(children: readonly ChildState[]): Promise<void> {
    for (const child of [...children].reverse()) {
      if (!child.running) continue;
      child.running = false;
      if (child.sub !== undefined) {
        const sub = child.sub;
        child.sub = undefined;
        await sub.stop();
        continue;
      }
      const spec = child.spec as WorkerChildSpec;
      if (!this.system.runtime.has(child.ref)) continue;
      // The actor stops receiving at once; the timeout bounds how long its already-queued messages may take.
      const stopped = this.system.stopGracefully(child.ref).catch(() => undefined);
      await Promise.race([stopped, delay(spec.shutdownTimeoutMs ?? 5000)]);
    }
  }

  /** Records a restart; false when it exceeds the intensity. */
  private noteRestart(): boolean {
    const now = Date.now();
    this.restartTimes.push(now);
    while (this.restartTimes.length > 0 && this.restartTimes[0] <= now - this.windowMs) this.restartTimes.shift();
    return this.restartTimes.length <= this.maxRestarts;
  }

  private async backoff(): Promise<void> {
    const b = this.spec.backoff;
    if (b === undefined) return;
    const n = this.restartTimes.length - 1;
    await delay(Math.min(b.maxMs, b.initialMs * (b.factor ?? 2) ** n));
  }

  private async escalate(message: string): Promise<void> {
    const error = new EscalatedError(this.name, message);
    this.state = 'stopping';
    await this.stopChildren(this.children);
    this.unsubscribe?.();
    this.state = 'escalated';
    this.emit({ type: 'escalate', error });
    if (this.parent !== undefined) this.parent.subEscalated(this, error);
    else if (this.listeners.size === 0) process.stderr.write(`plexspaces: ${message}\n`);
  }

  private emit(event: SupervisorEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function delay(ms: number): Promise<void> {
  // A long timer: a backoff past 2^31-1 ms would otherwise end at once.
  return new Promise((resolve) => setLongTimeout(resolve, ms));
}

function validateTree(spec: SupervisorSpec, path: string, ids: Set<string>): void {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError(`${path} must be an object`);
  if (spec.strategy !== undefined && !STRATEGIES.includes(spec.strategy)) throw new InvalidArgumentError(`${path}.strategy must be one of ${STRATEGIES.join(', ')}, got ${shown(spec.strategy)}`);
  if (spec.maxRestarts !== undefined && !(Number.isSafeInteger(spec.maxRestarts) && spec.maxRestarts >= 0)) throw new InvalidArgumentError(`${path}.maxRestarts must be an integer ≥ 0`);
  if (spec.maxRestartWindowMs !== undefined && !(spec.maxRestartWindowMs > 0)) throw new InvalidArgumentError(`${path}.maxRestartWindowMs must be > 0`);
  if (spec.backoff !== undefined && !(spec.backoff.initialMs >= 0 && spec.backoff.maxMs >= spec.backoff.initialMs)) throw new InvalidArgumentError(`${path}.backoff needs 0 ≤ initialMs ≤ maxMs`);
  if (!Array.isArray(spec.children)) throw new InvalidArgumentError(`${path}.children must be an array`);
  spec.children.forEach((child, i) => {
    const at = `${path}.children[${i}]`;
    if (typeof child?.id !== 'string' || child.id.length === 0) throw new InvalidArgumentError(`${at}.id must be a non-empty string`);
    if (ids.has(child.id)) throw new InvalidArgumentError(`${at}.id ${shown(child.id)} is used twice in the tree`);
    ids.add(child.id);
    if (child.restart !== undefined && !POLICIES.includes(child.restart)) throw new InvalidArgumentError(`${at}.restart must be one of ${POLICIES.join(', ')}, got ${shown(child.restart)}`);
    if ('supervisor' in child) validateTree(child.supervisor, `${at}.supervisor`, ids);
    else if (typeof (child as WorkerChildSpec).module !== 'string' || (child as WorkerChildSpec).module.length === 0) throw new InvalidArgumentError(`${at}.module must name a deployed module`);
  });
}
