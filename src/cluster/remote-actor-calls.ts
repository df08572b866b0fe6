import type { ActorSystem } from '../actors/actor-system.js';
import { ActorMovedError, ErrorCode, InvalidArgumentError, NodeDownError } from '../errors.js';
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
    const reply = await link.request('actor.ask', { to, type, payload, timeoutMs, from: options.from ?? '' }, timeoutMs + 5_000).catch((error: unknown) => {
      this.forgetIfMoved(to, error);
      throw error;
    });
    if (!(reply instanceof Uint8Array)) throw new InvalidArgumentError('the other node answered an actor ask with something other than bytes');
    return reply;
  }

  /**
   * Resolves true when the send went to another node (false: no other node
   * runs `to`). One-way over the link (a notify: no reply, no timer), and
   * with the owner cached and the link open it costs no await at all — a
   * burst of sends from an actor goes out in a few frames. A node that gets
   * a send for an actor it no longer runs says so (`actor.moved`), and the
   * cached owner is dropped.
   */
  async send(to: string, type: string, payload: Uint8Array, from: string): Promise<boolean> {
    const cached = this.router.cachedOwner(to);
    const open = cached === undefined ? undefined : this.router.links.existing(cached);
    const link = open ?? (await this.linkTo(to).catch(() => undefined));
    // A tuple, not an object: no key names to encode and decode per message.
    return link !== undefined && link.notify('actor.send', [to, type, payload, from]);
  }

  private forgetIfMoved(to: string, error: unknown): void {
    const code = (error as { code?: string }).code;
    if (code === ErrorCode.ActorMoved || code === ErrorCode.NodeDown) this.router.forget(to);
  }

  /** On the node the message was sent to: served if the actor runs here, else PLEX_ERR_ACTOR_MOVED (for a send: `actor.moved` back to `peer`). */
  async serve(kind: string, body: unknown, peer: string): Promise<unknown> {
    if (kind === 'actor.moved') {
      const to = (body as { to?: unknown } | null)?.to;
      if (typeof to === 'string') this.router.forget(to);
      return null;
    }
    const call = (kind === 'actor.send' && Array.isArray(body) ? { to: body[0], type: body[1], payload: body[2], from: body[3] } : body) as {
      to?: unknown;
      type?: unknown;
      payload?: unknown;
      timeoutMs?: unknown;
      from?: unknown;
    } | null;
    if (call === null || typeof call !== 'object' || typeof call.to !== 'string' || typeof call.type !== 'string' || !(call.payload instanceof Uint8Array) || typeof call.from !== 'string') {
      throw new InvalidArgumentError('an actor call from another node needs to, type, from strings and payload bytes');
    }
    if (!this.system.runtime.has(call.to)) {
      if (kind === 'actor.send') {
        // No reply to carry it: the sender hears it apart, and its next send looks the actor up again.
        const notice = { to: call.to };
        const link = this.router.links.existing(peer);
        if (link !== undefined) link.notify('actor.moved', notice);
        else void this.router.links.to(peer).then((l) => l.notify('actor.moved', notice), () => undefined);
        return null;
      }
      throw new ActorMovedError(call.to, this.router.self);
    }
    this.router.mayServe(call.to);
    if (kind === 'actor.send') {
      this.system.tell(call.to, call.type, call.payload, call.from);
      return null;
    }
    const timeoutMs = typeof call.timeoutMs === 'number' ? call.timeoutMs : undefined;
    return this.system.ask(call.to, call.type, call.payload, { timeoutMs, from: call.from });
  }

  private async linkTo(to: string) {
    const owner = await this.router.ownerOf(to);
    if (owner === undefined || owner === this.router.self) return undefined;
    if (!(await this.router.links.liveNow(owner))) {
      this.router.forget(to);
      // Its node is gone. Nobody runs the actor now; the local rules decide (a durable one is taken over by the next call through a node's surfaces).
      throw new NodeDownError(peerNode(owner), `it ran actor ${to}`);
    }
    return this.router.links.to(owner);
  }
}

