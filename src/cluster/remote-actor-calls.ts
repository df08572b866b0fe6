import type { ActorSystem } from '../actors/actor-system.js';
import { ActorMovedError, InvalidArgumentError, NodeDownError } from '../errors.js';
import type { ActorRouter } from './actor-router.js';
import { peerNode } from './link/node-link.js';

/**
 * A WASM actor's own `ask` and `send` to an actor that runs on another node
 * (its host call resolved the name in its tenant first): the directory says
 * which node, the link carries the message. An id no node has claimed is
 * not remote — the local rules apply (a virtual kind defined here is
 * activated here; anything else is PLEX_ERR_ACTOR_NOT_FOUND). Sends are
 * fire-and-forget, as to a dead process: one whose node is gone is dropped.
 */
export class RemoteActorCalls {
  constructor(
    private readonly router: ActorRouter,
    private readonly system: ActorSystem,
  ) {}

  /** The reply from the node that runs `to`; undefined when no other node runs it. */
  async ask(to: string, type: string, payload: Uint8Array, options: { timeoutMs?: number; from?: string }): Promise<Uint8Array | undefined> {
    const link = await this.linkTo(to);
    if (link === undefined) return undefined;
    const timeoutMs = options.timeoutMs ?? 5_000;
    const reply = await link.request('actor.ask', { to, type, payload, timeoutMs, from: options.from ?? '' }, timeoutMs + 5_000);
    if (!(reply instanceof Uint8Array)) throw new InvalidArgumentError('the other node answered an actor ask with something other than bytes');
    return reply;
  }

  /** Resolves true when the send went to another node (false: no other node runs `to`). */
  async send(to: string, type: string, payload: Uint8Array, from: string): Promise<boolean> {
    const link = await this.linkTo(to).catch(() => undefined);
    if (link === undefined) return false;
    link.request('actor.send', { to, type, payload, from }).catch(() => undefined);
    return true;
  }

  /** On the node the message was sent to: served if the actor runs here, else PLEX_ERR_ACTOR_MOVED. */
  async serve(kind: string, body: unknown): Promise<unknown> {
    const call = body as { to?: unknown; type?: unknown; payload?: unknown; timeoutMs?: unknown; from?: unknown } | null;
    if (call === null || typeof call !== 'object' || typeof call.to !== 'string' || typeof call.type !== 'string' || !(call.payload instanceof Uint8Array) || typeof call.from !== 'string') {
      throw new InvalidArgumentError('an actor call from another node needs to, type, from strings and payload bytes');
    }
    if (!this.system.runtime.has(call.to)) throw new ActorMovedError(call.to, this.router.self);
    this.router.mayServe(call.to);
    if (kind === 'actor.send') {
      this.system.tell(call.to, call.type, call.payload, call.from);
      return null;
    }
    const timeoutMs = typeof call.timeoutMs === 'number' ? call.timeoutMs : undefined;
    return this.system.ask(call.to, call.type, call.payload, { timeoutMs, from: call.from });
  }

  private async linkTo(to: string) {
    const owner = await this.router.directory.lookup(to);
    if (owner === undefined || owner === this.router.self) return undefined;
    if (!(await this.router.links.liveNow(owner))) {
      // Its node is gone. Nobody runs the actor now; the local rules decide (a durable one is taken over by the next call through a node's surfaces).
      throw new NodeDownError(peerNode(owner), `it ran actor ${to}`);
    }
    return this.router.links.to(owner);
  }
}

