import { Packr } from 'msgpackr';
import { PlexError, RuntimeClosedError } from '../errors.js';

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

/**
 * One websocket to a node (the `/ws` endpoint): requests matched to
 * responses by id, subscriptions delivered as events, everything pending
 * rejected when the socket closes.
 */
export class WsTransport implements Transport {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

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
    return new WsTransport(socket);
  }

  /** One request; resolves with its result. `onEvent` receives a subscription's events until the result. */
  request(op: string, scope: Scope | undefined, args: Record<string, unknown>, onEvent?: (event: string, data: unknown) => void): { id: number; done: Promise<unknown> } {
    const id = this.nextId++;
    const done = new Promise<unknown>((resolve, reject) => {
      if (this.closed) {
        reject(new RuntimeClosedError());
        return;
      }
      this.pending.set(id, { resolve, reject, onEvent });
      this.socket.send(packr.pack({ id, op, scope, args }));
    });
    return { id, done };
  }

  call(op: string, scope: Scope | undefined, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.request(op, scope, args).done;
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
    const frame = packr.unpack(bytes) as Frame;
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
