import { ActorNotFoundError } from '../errors.js';
import { Coordination, type CoordinationOptions } from '../coord/coordination.js';
import { ActorRuntime, type AskOptions, type ExitReport, type SpawnOptions } from '../runtime/actor-runtime.js';
import { utf8 } from '../runtime/protocol.js';
import { coordinationHostCalls } from './coordination-host-calls.js';
import { LinkTable } from './link-table.js';
import { TimerService } from './timer-service.js';

export interface ActorSystemOptions {
  /** The runtime to build on; default: a new one with `workers` threads (closed with the system). */
  runtime?: ActorRuntime;
  workers?: number;
  /** Where the node database and blobs live; null (default) keeps them in memory. */
  dataDir?: string | null;
  kv?: CoordinationOptions['kv'];
  blobs?: CoordinationOptions['blobs'];
}

export interface ActorSpawnOptions extends SpawnOptions {
  /** Exit signals from linked actors arrive as `exit` messages instead of killing this actor. */
  trapExits?: boolean;
  /** Link the new actor to this one as it starts (spawn_link). */
  linkTo?: string;
}

/** The message a trapping actor gets when a linked actor exits (type `exit`). */
export interface ExitSignal {
  readonly from: string;
  readonly reason: string;
  readonly normal: boolean;
}

/** The message a monitoring actor gets when the monitored actor exits (type `down`). */
export interface DownMessage {
  readonly ref: string;
  readonly actor: string;
  readonly reason: string;
  readonly normal: boolean;
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
  readonly links = new LinkTable();
  private readonly trapping = new Set<string>();
  private readonly exitListeners = new Set<(report: ExitReport) => void>();
  private readonly ownsRuntime: boolean;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(options: ActorSystemOptions = {}) {
    this.ownsRuntime = options.runtime === undefined;
    this.runtime = options.runtime ?? new ActorRuntime({ workers: options.workers });
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
    });
    this.timers = new TimerService((actorId, type, payload) => deliver(actorId, type, payload, 'timer'), this.coordination.db);
    this.timers.start();
    this.unsubscribe = this.runtime.onExit((report) => this.handleExit(report));
    this.runtime.extendHostCalls(coordinationHostCalls(this));
  }

  async spawn(moduleName: string, options: ActorSpawnOptions = {}): Promise<string> {
    const { trapExits, linkTo, ...spawnOptions } = options;
    if (linkTo !== undefined && !this.runtime.has(linkTo)) throw new ActorNotFoundError(linkTo);
    const id = await this.runtime.spawn(moduleName, spawnOptions);
    if (trapExits === true) this.trapping.add(id);
    if (linkTo !== undefined) this.link(id, linkTo);
    this.timers.actorStarted(id);
    return id;
  }

  tell(actorId: string, type: string, payload?: Uint8Array | string, from = ''): void {
    this.runtime.tell(actorId, type, payload, from);
  }

  ask(actorId: string, type: string, payload?: Uint8Array | string, options?: AskOptions): Promise<Uint8Array> {
    return this.runtime.ask(actorId, type, payload, options);
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
    if (!this.runtime.has(target)) {
      this.links.demonitor(entry.ref);
      this.sendDown(watcher, { ref: entry.ref, actor: target, reason: 'noproc', normal: false });
    }
    return entry.ref;
  }

  demonitor(ref: string): boolean {
    return this.links.demonitor(ref);
  }

  trapExits(actorId: string, on: boolean): void {
    if (!this.runtime.has(actorId)) throw new ActorNotFoundError(actorId);
    if (on) this.trapping.add(actorId);
    else this.trapping.delete(actorId);
  }

  isTrappingExits(actorId: string): boolean {
    return this.trapping.has(actorId);
  }

  /** Hears every exit after the system has dealt with it (links, monitors, groups). */
  onExit(listener: (report: ExitReport) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.timers.close();
    if (this.ownsRuntime) await this.runtime.close();
    this.coordination.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ── internals ────────────────────────────────────────────────────────────

  private handleExit(report: ExitReport): void {
    const { actorId, reason, normal } = report;
    this.trapping.delete(actorId);
    this.timers.cancelActor(actorId);
    this.coordination.actorExited(actorId);
    const { links, monitors } = this.links.removeActor(actorId);
    for (const m of monitors) this.sendDown(m.watcher, { ref: m.ref, actor: actorId, reason, normal });
    for (const peer of links) {
      if (this.trapping.has(peer)) {
        const signal: ExitSignal = { from: actorId, reason, normal };
        this.sendSystem(peer, 'exit', signal, actorId);
      } else if (!normal && this.runtime.has(peer)) {
        // Exit signals cascade: the peer's own exit is handled the same way, synchronously.
        this.runtime.kill(peer, `linked actor ${actorId} exited: ${reason}`).catch(() => undefined);
      }
    }
    for (const listener of this.exitListeners) listener(report);
  }

  private sendDown(watcher: string, down: DownMessage): void {
    this.sendSystem(watcher, 'down', down, down.actor);
  }

  private sendSystem(to: string, type: string, body: unknown, from: string): void {
    if (!this.runtime.has(to)) return;
    this.runtime.tell(to, type, utf8.encode(JSON.stringify(body)), from);
  }
}
