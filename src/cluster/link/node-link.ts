import { Packr } from 'msgpackr';
import type { WebSocket } from 'ws';
import { ErrorCode, NodeDownError, PayloadTooLargeError, PlexError } from '../../errors.js';
import { linkMac, macMatches, newNonce } from './link-auth.js';

/**
 * One authenticated, long-lived connection between two nodes (a websocket
 * on the listener's HTTP port, `/api/v1/cluster/link`). Either end sends
 * requests and answers the other's; replies are matched by id.
 *
 * Framing: every websocket message after the handshake is one msgpack
 * array of messages — the messages queued in one turn of the event loop go
 * as one frame (a burst of asks costs one send, not one per ask):
 *
 *   [REQUEST, id, kind, body]      kind names the handler ('ask', 'tell', …)
 *   [REPLY, id, true, result]
 *   [REPLY, id, false, {code, message}]
 *   [NOTIFY, 0, kind, body]        one-way: the handler runs, nothing comes back
 *
 * Backpressure: at most `maxInFlight` requests of this end wait for their
 * replies (a further request waits for a place: memory stays bounded when
 * the peer is slow), and while more than `highWaterBytes` handed to the
 * socket have not been written, frames wait in the queue.
 *
 * When the connection ends (the peer died, the network dropped it, a ping
 * went unanswered) every pending request fails at once with
 * PLEX_ERR_NODE_DOWN: nothing waits for a node that is gone.
 */
/** Serves a peer's request; `peer` is the node at the other end (`<id>.<incarnation>`), as the handshake proved it. */
export type LinkHandler = (kind: string, body: unknown, peer: string) => Promise<unknown>;

export interface LinkEnds {
  /** This node: `<id>.<incarnation>`. */
  readonly self: string;
  readonly secret: string;
  readonly handler: LinkHandler;
  readonly maxInFlight?: number;
  readonly highWaterBytes?: number;
  /** The largest frame the peer accepts (its `maxPayload`). */
  readonly maxFrameBytes?: number;
}

const REQUEST = 1;
const REPLY = 2;
const NOTIFY = 3;
/** Notifies queued past this many bytes are dropped: nothing waits for them, so nothing else would bound the queue. */
const MAX_QUEUED_NOTIFY_BYTES = 32 << 20;
const HANDSHAKE_MS = 5_000;
const PING_MS = 5_000;
/** How long a request waits for its reply unless the caller says (an ask passes its own timeout plus a margin). */
export const DEFAULT_REQUEST_DEADLINE_MS = 60_000;
export const DEFAULT_LINK_MAX_FRAME_BYTES = 64 << 20;
const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class NodeLink {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Encoded messages waiting for the next frame. */
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  /** Bytes handed to the socket and not yet written (ws calls back once written). */
  private unwritten = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private closedBy: Error | undefined;
  private readonly closeListeners = new Set<(error: Error) => void>();
  private readonly pinger: NodeJS.Timeout;
  private alive = true;
  private readonly maxInFlight: number;
  private readonly highWaterBytes: number;
  private readonly maxFrameBytes: number;

  private constructor(
    private readonly ws: WebSocket,
    inbox: Inbox,
    /** The peer: `<id>.<incarnation>`, as it proved it. */
    readonly peer: string,
    private readonly ends: LinkEnds,
  ) {
    this.maxInFlight = ends.maxInFlight ?? 4096;
    this.highWaterBytes = ends.highWaterBytes ?? 8 << 20;
    this.maxFrameBytes = ends.maxFrameBytes ?? DEFAULT_LINK_MAX_FRAME_BYTES;
    inbox.handOver((data) => this.receive(data));
    ws.on('close', () => this.end(new NodeDownError(peerNode(peer), 'the link to it closed')));
    ws.on('error', () => undefined);
    ws.on('pong', () => (this.alive = true));
    this.pinger = setInterval(() => {
      if (!this.alive) {
        ws.terminate();
        return;
      }
      this.alive = false;
      ws.ping();
    }, PING_MS);
    this.pinger.unref();
  }

  /** The dialing end of the handshake, on a socket that just opened. */
  static async dial(ws: WebSocket, expectedPeer: string, ends: LinkEnds): Promise<NodeLink> {
    const inbox = new Inbox(ws);
    const nonce = newNonce();
    const answer = inbox.next();
    ws.send(encode({ t: 'hello', node: ends.self, nonce }));
    const proof = (await answer) as { t?: unknown; node?: unknown; nonce?: unknown; mac?: unknown };
    if (proof?.t !== 'proof' || proof.node !== expectedPeer || typeof proof.nonce !== 'string') throw refuse(ws, `the node at that address is not ${expectedPeer}`);
    if (!macMatches(linkMac(ends.secret, 'listener', nonce, expectedPeer, ends.self), proof.mac)) throw refuse(ws, `${expectedPeer} did not prove the cluster secret`);
    ws.send(encode({ t: 'proof', mac: linkMac(ends.secret, 'dialer', proof.nonce, ends.self, expectedPeer) }));
    return new NodeLink(ws, inbox, expectedPeer, ends);
  }

  /** The listening end: nothing but the handshake is read until the dialer has proved the secret. */
  static async accept(ws: WebSocket, ends: LinkEnds): Promise<NodeLink> {
    const inbox = new Inbox(ws);
    const hello = (await inbox.next()) as { t?: unknown; node?: unknown; nonce?: unknown };
    if (hello?.t !== 'hello' || typeof hello.node !== 'string' || typeof hello.nonce !== 'string' || hello.node.length > 300) throw refuse(ws, 'not a cluster link hello');
    const nonce = newNonce();
    const answer = inbox.next();
    ws.send(encode({ t: 'proof', node: ends.self, nonce, mac: linkMac(ends.secret, 'listener', hello.nonce, ends.self, hello.node) }));
    const proof = (await answer) as { t?: unknown; mac?: unknown };
    if (proof?.t !== 'proof' || !macMatches(linkMac(ends.secret, 'dialer', nonce, hello.node, ends.self), proof.mac)) throw refuse(ws, 'the dialer did not prove the cluster secret');
    return new NodeLink(ws, inbox, hello.node, ends);
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  onClose(listener: (error: Error) => void): void {
    if (this.closedBy !== undefined) listener(this.closedBy);
    else this.closeListeners.add(listener);
  }

  /**
   * Sends a request and resolves with the peer handler's result (or rejects
   * with its error, code kept). Past `deadlineMs` without a reply it fails
   * with PLEX_ERR_ASK_TIMEOUT, whatever the peer does: a caller never
   * waits on a link for ever.
   */
  async request(kind: string, body: unknown, deadlineMs = DEFAULT_REQUEST_DEADLINE_MS): Promise<unknown> {
    while (this.pending.size >= this.maxInFlight && this.closedBy === undefined) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    if (this.closedBy !== undefined) throw this.closedBy;
    const id = this.nextId++;
    const encoded = encode([REQUEST, id, kind, body]);
    if (encoded.length > this.maxFrameBytes - 5) throw new PayloadTooLargeError(`a message to node ${peerNode(this.peer)} of ${encoded.length} bytes is over the link's ${this.maxFrameBytes}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) {
          this.slotWaiters.shift()?.();
          reject(new PlexError(ErrorCode.AskTimeout, `node ${peerNode(this.peer)} did not answer a ${kind} within ${deadlineMs} ms`));
        }
      }, deadlineMs);
      this.pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.enqueue(encoded);
    });
  }

  /**
   * Sends a one-way message (an actor's `send`: fire-and-forget, as to any
   * process): no id, no reply, no deadline timer, no place among the
   * requests in flight. Resolves nothing; false when it was dropped — the
   * link is closed, or more than 32 MiB already wait to be written (a peer
   * that cannot keep up loses sends, as a dead one would).
   */
  notify(kind: string, body: unknown): boolean {
    if (this.closedBy !== undefined || this.queuedBytes > MAX_QUEUED_NOTIFY_BYTES) return false;
    const encoded = encode([NOTIFY, 0, kind, body]);
    if (encoded.length > this.maxFrameBytes - 5) throw new PayloadTooLargeError(`a message to node ${peerNode(this.peer)} of ${encoded.length} bytes is over the link's ${this.maxFrameBytes}`);
    this.enqueue(encoded);
    return true;
  }

  /** Whether the link is still open (a notify on a closed one is dropped). */
  get open(): boolean {
    return this.closedBy === undefined;
  }

  close(): void {
    this.ws.close(1001, 'node stopping');
    this.end(new NodeDownError(peerNode(this.peer), 'the link was closed by this node'));
  }

  private enqueue(encoded: Buffer): void {
    this.queue.push(encoded);
    this.queuedBytes += encoded.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what is queued, as frames of at most maxFrameBytes, while the socket keeps up. */
  private flush(): void {
    this.flushScheduled = false;
    try {
      this.sendQueued();
    } catch (error) {
      // Never the node's end: a link that cannot send fails what it carries and closes.
      this.ws.terminate();
      this.end(new NodeDownError(peerNode(this.peer), `the link failed: ${(error as Error).message}`));
    }
  }

  private sendQueued(): void {
    let next = 0;
    while (next < this.queue.length && this.closedBy === undefined && this.unwritten <= this.highWaterBytes) {
      let end = next;
      let bytes = 5;
      while (end < this.queue.length && (end === next || bytes + this.queue[end].length <= this.maxFrameBytes)) bytes += this.queue[end++].length;
      const header = arrayHeader(end - next);
      const frame = Buffer.concat([header, ...this.queue.slice(next, end)]);
      next = end;
      this.queuedBytes -= frame.length - header.length;
      this.unwritten += frame.length;
      this.ws.send(frame, () => {
        this.unwritten -= frame.length;
        // Frames held back by the high-water mark go once the socket has written enough.
        if (this.queue.length > 0 && !this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(() => this.flush());
        }
      });
    }
    this.queue = next === this.queue.length ? [] : this.queue.slice(next);
  }

  private receive(data: Buffer): void {
    let messages: unknown;
    try {
      messages = packr.unpack(data);
    } catch {
      this.ws.close(1007, 'not msgpack');
      return;
    }
    if (!Array.isArray(messages)) {
      this.ws.close(1007, 'a frame must be an array of messages');
      return;
    }
    for (const message of messages) {
      if (!Array.isArray(message) || typeof message[1] !== 'number') continue;
      if (message[0] === REQUEST && typeof message[2] === 'string') this.serve(message[1], message[2], message[3]);
      else if (message[0] === NOTIFY && typeof message[2] === 'string') this.ends.handler(message[2], message[3], this.peer).catch(() => undefined);
      else if (message[0] === REPLY) this.settle(message[1], message[2] === true, message[3]);
    }
  }

  private serve(id: number, kind: string, body: unknown): void {
    this.ends.handler(kind, body, this.peer).then(
      (result) => this.reply(id, true, result ?? null),
      (error: unknown) => this.reply(id, false, wireError(error)),
    );
  }

  private reply(id: number, ok: boolean, value: unknown): void {
    if (this.closedBy !== undefined) return;
    let encoded = encode([REPLY, id, ok, value]);
    if (encoded.length > this.maxFrameBytes - 5) {
      encoded = encode([REPLY, id, false, wireError(new PayloadTooLargeError(`the reply of ${encoded.length} bytes is over the link's ${this.maxFrameBytes}`))]);
    }
    this.enqueue(encoded);
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    this.slotWaiters.shift()?.();
    if (ok) pending.resolve(value);
    else pending.reject(errorFromWire(value));
  }

  private end(error: Error): void {
    if (this.closedBy !== undefined) return;
    this.closedBy = error;
    clearInterval(this.pinger);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    for (const waiter of this.slotWaiters.splice(0)) waiter();
    for (const listener of this.closeListeners) listener(error);
    this.closeListeners.clear();
  }
}

/**
 * A message's msgpack, in a buffer of its own: msgpackr hands out views of
 * a scratch buffer that later packs reuse, and a queued message must
 * outlive them.
 */
function encode(message: unknown): Buffer {
  return Buffer.from(packr.pack(message));
}

/** A msgpack array header for n items: a frame is the header and the items' encodings, each encoded once. */
function arrayHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x90 | n]);
  if (n < 0x10000) return Buffer.from([0xdc, n >> 8, n & 0xff]);
  const header = Buffer.alloc(5);
  header[0] = 0xdd;
  header.writeUInt32BE(n, 1);
  return header;
}

/** `<id>` of `<id>.<incarnation>`. */
export function peerNode(peer: string): string {
  const dot = peer.lastIndexOf('.');
  return dot < 0 ? peer : peer.slice(0, dot);
}

/** A remote failure with the platform's code, rebuilt on this side. */
export class RemoteNodeError extends PlexError {}

function wireError(error: unknown): { code: string; message: string } {
  if (error instanceof PlexError) return { code: error.code, message: error.message };
  return { code: ErrorCode.HandlerFailed, message: (error as Error)?.message ?? String(error) };
}

function errorFromWire(value: unknown): Error {
  const { code, message } = (value ?? {}) as { code?: unknown; message?: unknown };
  const known = typeof code === 'string' && (Object.values(ErrorCode) as string[]).includes(code);
  return new RemoteNodeError((known ? code : ErrorCode.HandlerFailed) as ErrorCode, typeof message === 'string' ? message : 'the other node failed');
}

/**
 * Everything a socket receives, from the moment it opens: the handshake
 * reads messages one at a time, and the link takes over the rest — frames
 * the peer sent right behind its proof (one TCP read can carry both) are
 * kept, not dropped between two listeners.
 */
class Inbox {
  private readonly queued: Buffer[] = [];
  private waiting: { resolve(data: Buffer): void; reject(error: Error): void } | undefined;
  private sink: ((data: Buffer) => void) | undefined;
  private ended: Error | undefined;

  constructor(ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      if (this.sink !== undefined) this.sink(data);
      else if (this.waiting !== undefined) {
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting.resolve(data);
      } else this.queued.push(data);
    });
    ws.on('close', () => {
      this.ended = new Error('the connection closed during the handshake');
      this.waiting?.reject(this.ended);
      this.waiting = undefined;
    });
  }

  /** The next handshake message, decoded; rejects on close or after the handshake's time limit. */
  next(): Promise<unknown> {
    const queued = this.queued.shift();
    const raw =
      queued !== undefined
        ? Promise.resolve(queued)
        : this.ended !== undefined
          ? Promise.reject(this.ended)
          : new Promise<Buffer>((resolve, reject) => {
              const timer = setTimeout(() => {
                this.waiting = undefined;
                reject(new Error('no answer within the handshake time'));
              }, HANDSHAKE_MS);
              this.waiting = {
                resolve: (data) => (clearTimeout(timer), resolve(data)),
                reject: (error) => (clearTimeout(timer), reject(error)),
              };
            });
    return raw.then((data) => {
      try {
        return packr.unpack(data);
      } catch {
        throw new Error('not msgpack');
      }
    });
  }

  /** From now on every message goes to `sink`, the ones already queued first. */
  handOver(sink: (data: Buffer) => void): void {
    this.sink = sink;
    for (const data of this.queued.splice(0)) sink(data);
  }
}

function refuse(ws: WebSocket, why: string): Error {
  ws.close(4401, why.slice(0, 120));
  return new PlexError(ErrorCode.Unauthenticated, `cluster link refused: ${why}`);
}
