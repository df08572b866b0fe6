import { WebSocket } from 'ws';
import { NodeDownError } from '../../errors.js';
import type { NodeRegistry } from '../node-registry.js';
import { DEFAULT_LINK_MAX_FRAME_BYTES, NodeLink, peerNode, type LinkHandler } from './node-link.js';

/** Where a node listens for links: the path on its HTTP port. */
export const LINK_PATH = '/api/v1/cluster/link';

export interface NodeLinksOptions {
  /** This node: `<id>.<incarnation>`. */
  readonly self: string;
  readonly secret: string;
  readonly registry: NodeRegistry;
  /** Serves the requests other nodes send here. */
  readonly handler: LinkHandler;
  readonly maxFrameBytes?: number;
}

/**
 * This node's links to the other nodes of its cluster: one per peer
 * (dialed on first use, or accepted when the peer dialed first), shared by
 * every request to that peer. A peer that leaves the registry (a goodbye or
 * a lapsed heartbeat) has its links closed, failing what was pending on
 * them with PLEX_ERR_NODE_DOWN.
 */
export class NodeLinks {
  private readonly links = new Map<string, NodeLink>();
  private readonly dialing = new Map<string, Promise<NodeLink>>();
  private readonly accepted = new Set<NodeLink>();
  private closed = false;
  private readonly stopWatching: () => void;

  constructor(private readonly options: NodeLinksOptions) {
    this.stopWatching = options.registry.onChange((event) => {
      if (event.type !== 'leave') return;
      const peer = `${event.node.id}.${event.node.incarnation}`;
      this.links.get(peer)?.close();
      for (const link of this.accepted) if (link.peer === peer) link.close();
    });
  }

  get self(): string {
    return this.options.self;
  }

  /** The open link to `owner` when there is one already (no dialing, no waiting: the fast path of an actor's sends). */
  existing(owner: string): NodeLink | undefined {
    const link = this.links.get(owner);
    return link?.open ? link : undefined;
  }

  /** Whether the registry lists `owner` (`<id>.<incarnation>`) as alive now. */
  isLive(owner: string): boolean {
    return this.options.registry.nodes().some((node) => `${node.id}.${node.incarnation}` === owner);
  }

  /**
   * isLive, after reading the registry once more when the view does not
   * list `owner`: a node that joined since the last heartbeat is not taken
   * for a dead one.
   */
  async liveNow(owner: string): Promise<boolean> {
    if (this.isLive(owner)) return true;
    await this.options.registry.refresh().catch(() => undefined);
    return this.isLive(owner);
  }

  /** A server-side socket that asked for `/api/v1/cluster/link`: authenticated before anything else is read. */
  async accept(ws: WebSocket): Promise<void> {
    if (this.closed) {
      ws.close(1001, 'node stopping');
      return;
    }
    let link: NodeLink;
    try {
      link = await NodeLink.accept(ws, this.ends());
    } catch {
      return; // refused and closed by NodeLink (4401)
    }
    this.accepted.add(link);
    link.onClose(() => this.accepted.delete(link));
    // The peer may also be dialed from here later: reuse this link rather than open a second one.
    if (!this.links.has(link.peer)) {
      this.links.set(link.peer, link);
      link.onClose(() => this.links.get(link.peer) === link && this.links.delete(link.peer));
    }
  }

  /** The link to `owner` (`<id>.<incarnation>`), dialing it if need be. */
  async to(owner: string): Promise<NodeLink> {
    const open = this.links.get(owner);
    if (open !== undefined && !open.closed) return open;
    if (this.closed) throw new NodeDownError(peerNode(owner), 'this node is stopping');
    let dialing = this.dialing.get(owner);
    if (dialing === undefined) {
      dialing = this.dial(owner).finally(() => this.dialing.delete(owner));
      this.dialing.set(owner, dialing);
    }
    return dialing;
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
    for (const link of this.links.values()) link.close();
    for (const link of this.accepted) link.close();
    this.links.clear();
  }

  private async dial(owner: string): Promise<NodeLink> {
    if (!(await this.liveNow(owner))) throw new NodeDownError(peerNode(owner), 'it is not in the cluster registry (its heartbeat lapsed or it left)');
    const node = this.options.registry.nodes().find((n) => `${n.id}.${n.incarnation}` === owner);
    if (node === undefined) throw new NodeDownError(peerNode(owner), 'it is not in the cluster registry (its heartbeat lapsed or it left)');
    const http = node.addresses.http;
    if (http === undefined) throw new NodeDownError(node.id, 'it has no HTTP address in the registry');
    const url = `${http.replace(/^http/, 'ws')}${LINK_PATH}`;
    const ws = new WebSocket(url, { maxPayload: this.options.maxFrameBytes ?? DEFAULT_LINK_MAX_FRAME_BYTES, handshakeTimeout: 5_000 });
    ws.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
        ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
      });
      const link = await NodeLink.dial(ws, owner, this.ends());
      this.links.set(owner, link);
      link.onClose(() => this.links.get(owner) === link && this.links.delete(owner));
      return link;
    } catch (error) {
      ws.terminate();
      throw new NodeDownError(node.id, `cannot open a link to ${url}: ${(error as Error).message}`);
    }
  }

  private ends() {
    return { self: this.options.self, secret: this.options.secret, handler: this.options.handler, maxFrameBytes: this.options.maxFrameBytes };
  }
}
