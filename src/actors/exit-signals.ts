import type { ActorRuntime } from '../runtime/actor-runtime.js';
import { utf8 } from '../runtime/protocol.js';
import type { LinkTable } from './link-table.js';

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
 * What an exit does to the actors that watch it, kept apart from the actor
 * system (actor-system.ts, whose class comment states the Erlang rules) so
 * the rules live in one place: which actors trap exits, the `down` to each
 * monitor, and to each linked actor an `exit` message or, for an abnormal
 * exit, death. The link table (link-table.ts) says who is linked.
 */
export class ExitSignals {
  private readonly trapping = new Set<string>();

  constructor(
    private readonly runtime: Pick<ActorRuntime, 'has' | 'tell' | 'kill'>,
    private readonly links: LinkTable,
  ) {}

  trap(actorId: string, on: boolean): void {
    if (on) this.trapping.add(actorId);
    else this.trapping.delete(actorId);
  }

  isTrapping(actorId: string): boolean {
    return this.trapping.has(actorId);
  }

  /** `actorId` exited: the monitors on it get `down`, the actors linked to it here their exit signal. */
  signalExit(actorId: string, reason: string, normal: boolean): void {
    const { links, monitors } = this.links.removeActor(actorId);
    for (const m of monitors) this.sendDown(m.watcher, { ref: m.ref, actor: actorId, reason, normal });
    for (const peer of links) this.signalLinked(peer, actorId, reason, normal);
  }

  sendDown(watcher: string, down: DownMessage): void {
    this.sendSystem(watcher, 'down', down, down.actor);
  }

  /** The exit signal from `from` to the actor `peer` linked to it: a message if it traps exits, else death if the exit was abnormal. */
  private signalLinked(peer: string, from: string, reason: string, normal: boolean): void {
    if (this.trapping.has(peer)) {
      const signal: ExitSignal = { from, reason, normal };
      this.sendSystem(peer, 'exit', signal, from);
    } else if (!normal && this.runtime.has(peer)) {
      // Exit signals cascade: the peer's own exit is handled the same way, synchronously.
      this.runtime.kill(peer, `linked actor ${from} exited: ${reason}`).catch(() => undefined);
    }
  }

  private sendSystem(to: string, type: string, body: unknown, from: string): void {
    if (!this.runtime.has(to)) return;
    this.runtime.tell(to, type, utf8.encode(JSON.stringify(body)), from);
  }
}
