import type { ActorSystem, RemoteExitWatch } from '../actors/actor-system.js';
import { InvalidArgumentError, NodeDownError } from '../errors.js';
import type { Owner } from './actor-directory.js';
import type { ActorRouter } from './actor-router.js';
import { peerNode } from './link/node-link.js';

/**
 * Links and monitors between actors of different nodes, the Erlang way: the
 * node that holds a monitor or a link on an actor of another node asks that
 * node to report the actor's exit (`actor.watch`); the node that runs the
 * actor keeps, per actor, the nodes to tell, and tells them when it exits
 * (`actor.exited`). Each node applies the exit to its own actors as it would
 * a local one (src/actors/actor-system.ts: `down` to monitors, exit signals
 * to linked actors).
 *
 * A node that leaves the cluster — a goodbye, or its heartbeat lapsed after
 * a SIGKILL — can report nothing more: every actor of it that this node
 * watches counts as exited with reason `noconnection`.
 *
 * The bookkeeping is per node pair, not per monitor: one report per exit
 * and watching node however many monitors it holds, and a monitor dropped
 * here (demonitor, the watcher's own exit) costs the other node nothing but
 * a report that then finds no monitor.
 */
export class RemoteExits implements RemoteExitWatch {
  /** Actors of this node → the nodes to tell when they exit. */
  private readonly watchers = new Map<string, Set<Owner>>();
  /** Actors of other nodes that this node watches → the node that runs them. */
  private readonly watched = new Map<string, Owner>();

  constructor(
    private readonly router: ActorRouter,
    private readonly system: ActorSystem,
  ) {}

  async watch(target: string, linkedFrom?: string): Promise<'watching' | 'noproc'> {
    const owner = await this.router.directory.lookup(target);
    if (owner === undefined || owner === this.router.self) return 'noproc';
    if (!(await this.router.links.liveNow(owner))) throw new NodeDownError(peerNode(owner), `it ran actor ${target}`);
    const link = await this.router.links.to(owner);
    // Registered before the request: an exit reported while it is on its way is not lost.
    this.watched.set(target, owner);
    if (linkedFrom !== undefined) this.watchedBy(linkedFrom, owner);
    const running = await link.request('actor.watch', { target, linkedFrom: linkedFrom ?? null });
    if (running !== true) {
      if (this.watched.get(target) === owner) this.watched.delete(target);
      return 'noproc';
    }
    return 'watching';
  }

  exited(actorId: string, reason: string, normal: boolean): void {
    const nodes = this.watchers.get(actorId);
    if (nodes === undefined) return;
    this.watchers.delete(actorId);
    for (const node of nodes) {
      // A node that cannot be told is gone or going: it counts this actor as exited (noconnection) itself.
      void this.router.links
        .to(node)
        .then((link) => link.request('actor.exited', { actor: actorId, reason, normal }))
        .catch(() => undefined);
    }
  }

  /** Another node's `actor.watch` and `actor.exited` (`peer` is that node, authenticated by the link). */
  serve(kind: string, body: unknown, peer: Owner): unknown {
    const call = body as Record<string, unknown> | null;
    if (call === null || typeof call !== 'object') throw new InvalidArgumentError(`${kind} needs an object`);
    if (kind === 'actor.watch') {
      const { target, linkedFrom } = call;
      if (typeof target !== 'string' || (linkedFrom !== null && typeof linkedFrom !== 'string')) throw new InvalidArgumentError('actor.watch needs a target string and a linkedFrom string or null');
      if (!this.system.runtime.has(target)) return false;
      this.watchedBy(target, peer);
      if (linkedFrom !== null) {
        // The other half of a link made on the peer: this node's actor is linked to the peer's, whose exit the peer reports.
        this.system.links.link(target, linkedFrom);
        this.watched.set(linkedFrom, peer);
      }
      return true;
    }
    if (kind === 'actor.exited') {
      const { actor, reason, normal } = call;
      if (typeof actor !== 'string' || typeof reason !== 'string' || typeof normal !== 'boolean') throw new InvalidArgumentError('actor.exited needs actor and reason strings and a normal boolean');
      if (this.watched.get(actor) === peer) this.watched.delete(actor);
      this.system.remoteExited(actor, reason, normal);
      return null;
    }
    throw new InvalidArgumentError(`unknown exit call ${kind}`);
  }

  /** `node` left the cluster: its actors that this node watches exited (`noconnection`), and it watches nothing here any more. */
  nodeLeft(node: Owner): void {
    for (const [actor, owner] of this.watched) {
      if (owner !== node) continue;
      this.watched.delete(actor);
      this.system.remoteExited(actor, 'noconnection', false);
    }
    for (const [actor, nodes] of this.watchers) {
      nodes.delete(node);
      if (nodes.size === 0) this.watchers.delete(actor);
    }
  }

  private watchedBy(actorId: string, node: Owner): void {
    let nodes = this.watchers.get(actorId);
    if (nodes === undefined) this.watchers.set(actorId, (nodes = new Set()));
    nodes.add(node);
  }
}
