import { Packr } from 'msgpackr';
import { PayloadTooLargeError, PlexError, RuntimeClosedError } from '../errors.js';

/** A remote failure, with the node's PLEX_ERR_* code. */
export class RemoteError extends PlexError {
  constructor(code: string, message: string) {
    super(code as PlexError['code'], message);
  }
}

export interface Scope {
  readonly tenant: string;
  readonly namespace: string;
}

/** How a client reaches a node: the websocket (WsTransport) or gRPC (GrpcTransport). */
export interface Transport {
  request(op: string, scope: Scope | undefined, args: Record<string, unknown>, onEvent?: (event: string, data: unknown) => void): { id: number; done: Promise<unknown> };
  call(op: string, scope: Scope | undefined, args?: Record<string, unknown>): Promise<unknown>;
  cancel(id: number): void;
  close(): void;
}

interface Frame {
  readonly id: number;
  readonly ok?: boolean;
  readonly result?: unknown;
  readonly error?: { code: string; message: string };
  readonly event?: string;
  readonly data?: unknown;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onEvent?(event: string, data: unknown): void;
}

/** The socket type both Node's `ws` and the browser's WebSocket satisfy. */
interface SocketLike {
  binaryType: string;
  readyState: number;
  send(data: Uint8Array): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

/** The node's default `max_ws_message_bytes`, assumed when a node does not answer `ws.limits`. */
const DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;
/** Room for the largest request id in a part's envelope (msgpack uint32: 5 bytes). */
const ID_PLACEHOLDER = 0xffff_ffff;

/**
 * One websocket to a node (the `/ws` endpoint): requests matched to
 * responses by id, subscriptions delivered as events, everything pending
 * rejected when the socket closes.
 *
 * A message over the node's size limit would make the node close the socket
 * (1009) and fail everything pending on it, so the transport learns the limit
 * when it opens (`ws.limits`) and never sends one: a `ts.writeAll` that would
 * not fit is sent in parts that do, anything else over the limit is refused
 * here with PLEX_ERR_PAYLOAD_TOO_LARGE.
 */
export class WsTransport implements Transport {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /** The node's largest accepted message, bytes. */
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

  private constructor(private readonly socket: SocketLike) {
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => this.fail(new RuntimeClosedError());
  }

  /** Opens `url` (ws://host:port/ws); `token` goes in the query, which browsers can always set. */
  static async open(url: string, token?: string): Promise<WsTransport> {
    const target = new URL(url);
    if (token !== undefined) target.searchParams.set('token', token);
    const Socket = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket ?? ((await import('ws')).default as unknown as new (url: string) => SocketLike);
    const socket = new Socket(target.href);
    socket.binaryType = 'arraybuffer';
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new RemoteError('PLEX_ERR_UNAVAILABLE', `cannot open ${url} (is the node running, and the token valid?)`));
    });
    socket.onerror = null;
    const transport = new WsTransport(socket);
    try {
      const limits = (await transport.call('ws.limits', undefined)) as { maxMessageBytes?: unknown };
      if (typeof limits?.maxMessageBytes === 'number' && limits.maxMessageBytes > 0) transport.maxMessageBytes = limits.maxMessageBytes;
    } catch (error) {
      // A node from before `ws.limits` answers "unknown op": it has the default limit.
      if (transport.closed) throw error;
    }
    return transport;
  }

  /** One request; resolves with its result. `onEvent` receives a subscription's events until the result. */
  request(op: string, scope: Scope | undefined, args: Record<string, unknown>, onEvent?: (event: string, data: unknown) => void): { id: number; done: Promise<unknown> } {
    const id = this.nextId++;
    return { id, done: this.send(id, op, () => packr.pack({ id, op, scope, args }), onEvent) };
  }

  private send(id: number, op: string, pack: () => Uint8Array, onEvent?: (event: string, data: unknown) => void): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.closed) {
        reject(new RuntimeClosedError());
        return;
      }
      const bytes = pack();
      if (bytes.byteLength > this.maxMessageBytes) {
        reject(new PayloadTooLargeError(`the ${op} request is ${bytes.byteLength} bytes; the node takes websocket messages of at most ${this.maxMessageBytes} (its max_ws_message_bytes)`));
        return;
      }
      this.pending.set(id, { resolve, reject, onEvent });
      this.socket.send(bytes);
    });
  }

  call(op: string, scope: Scope | undefined, args: Record<string, unknown> = {}): Promise<unknown> {
    if (op === 'ts.writeAll' && Array.isArray(args.tuples)) {
      try {
        const id = this.nextId++;
        const whole = packr.pack({ id, op, scope, args });
        if (whole.byteLength <= this.maxMessageBytes) return this.send(id, op, () => whole);
        return this.writeInParts(scope, args, this.writeAllParts(scope, args));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.request(op, scope, args).done;
  }

  /**
   * Splits a writeAll's tuples into runs whose request fits the node's limit
   * (one run when the whole batch fits). A tuple that cannot fit even alone is
   * refused before anything is sent.
   */
  private writeAllParts(scope: Scope | undefined, args: Record<string, unknown>): unknown[][] {
    const tuples = args.tuples as unknown[];
    // The envelope with an empty list; an array header takes at most 5 bytes instead of that list's 1.
    const overhead = packr.pack({ id: ID_PLACEHOLDER, op: 'ts.writeAll', scope, args: { ...args, tuples: [] } }).byteLength - 1 + 5;
    const parts: unknown[][] = [];
    let part: unknown[] = [];
    let size = overhead;
    for (let i = 0; i < tuples.length; i++) {
      // msgpack concatenates array items, so a part's size is the sum of its tuples' sizes.
      const n = packr.pack(tuples[i]).byteLength;
      if (overhead + n > this.maxMessageBytes) {
        throw new PayloadTooLargeError(`tuples[${i}] is ${n} bytes; with the request around it that is over the node's websocket message limit of ${this.maxMessageBytes} bytes (nothing was written)`);
      }
      if (size + n > this.maxMessageBytes) {
        parts.push(part);
        part = [];
        size = overhead;
      }
      part.push(tuples[i]);
      size += n;
    }
    parts.push(part);
    return parts;
  }

  /** Each part is all or nothing; a failing part stops the rest, and its error says how many tuples went in before it. */
  private async writeInParts(scope: Scope | undefined, args: Record<string, unknown>, parts: unknown[][]): Promise<number> {
    let written = 0;
    for (const tuples of parts) {
      try {
        written += (await this.request('ts.writeAll', scope, { ...args, tuples }).done) as number;
      } catch (error) {
        const code = (error as PlexError).code ?? 'PLEX_ERR_INTERNAL';
        throw new RemoteError(code, `${(error as Error).message} (the batch was sent in ${parts.length} parts to fit the node's ${this.maxMessageBytes}-byte message limit; the ${written} tuples of the parts before this one were written)`);
      }
    }
    return written;
  }

  cancel(id: number): void {
    if (!this.closed) this.socket.send(packr.pack({ id: this.nextId++, op: 'cancel', args: { id } }));
  }

  close(): void {
    this.socket.close();
    this.fail(new RuntimeClosedError());
  }

  private receive(data: unknown): void {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
    let frame: Frame;
    try {
      frame = packr.unpack(bytes) as Frame;
    } catch {
      return; // not a frame of this protocol; there is no request to fail
    }
    if (typeof frame !== 'object' || frame === null) return;
    const pending = this.pending.get(frame.id);
    if (pending === undefined) return;
    if (frame.event !== undefined) {
      pending.onEvent?.(frame.event, frame.data);
      return;
    }
    this.pending.delete(frame.id);
    if (frame.ok) pending.resolve(frame.result);
    else pending.reject(new RemoteError(frame.error?.code ?? 'PLEX_ERR_INTERNAL', frame.error?.message ?? 'remote error'));
  }

  private fail(error: Error): void {
    this.closed = true;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
