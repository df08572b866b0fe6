// The node's websocket (/ws) as the dashboard uses it: msgpack frames
// (msgpackr, loaded as a classic script), one request → one response by `id`,
// and streams whose events carry their request's id until a response ends
// them. docs/node.md describes the frames; the dashboard uses two streams:
// `dashboard.subscribe` (a page's figures every second) and `ts.watch`.
/* global msgpackr */

const RECONNECT_MS = 2000;

export class Live {
  /** @param {() => string | null} token  read at each (re)connect: the page's current token */
  constructor(token, onState) {
    this.token = token;
    this.onState = onState;
    this.nextId = 1;
    /** id → { onEvent, resolve, reject } */
    this.pending = new Map();
    /** Streams to start again after a reconnect: id → request. */
    this.streams = new Map();
    this.socket = null;
    this.closed = false;
  }

  connect() {
    if (this.closed) return;
    const token = this.token();
    const url = new URL('/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // A browser cannot set headers on a websocket: the node takes the token as ?token= too.
    if (token) url.searchParams.set('token', token);
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.onState(true);
      for (const request of this.streams.values()) socket.send(msgpackr.pack(request));
    };
    socket.onmessage = (message) => this.received(msgpackr.unpack(new Uint8Array(message.data)));
    socket.onclose = () => {
      this.onState(false);
      if (this.socket !== socket) return;
      this.socket = null;
      // One-shot requests in flight fail; streams are sent again once the socket is back.
      for (const [id, entry] of this.pending) {
        if (!this.streams.has(id)) {
          entry.reject(new Error('the websocket closed'));
          this.pending.delete(id);
        }
      }
      setTimeout(() => this.connect(), RECONNECT_MS);
    };
  }

  /** Drops the socket and opens a new one (a new token). */
  reconnect() {
    this.disconnect();
    this.connect();
  }

  /** Drops the socket without opening another (the token was forgotten). */
  disconnect() {
    const old = this.socket;
    this.socket = null;
    old?.close();
  }

  received(frame) {
    const entry = this.pending.get(frame.id);
    if (entry === undefined) return;
    if (frame.event !== undefined) {
      entry.onEvent?.(frame.event, frame.data);
      return;
    }
    this.pending.delete(frame.id);
    this.streams.delete(frame.id);
    if (frame.ok) entry.resolve(frame.result);
    else entry.reject(Object.assign(new Error(frame.error.message), { code: frame.error.code }));
  }

  /**
   * Sends a request; `onEvent(event, data)` hears a stream's events.
   * Returns { done: Promise of the final result, cancel() }.
   */
  request(op, args, { scope, onEvent, stream = false } = {}) {
    const id = this.nextId++;
    const request = { id, op, args, ...(scope ? { scope } : {}) };
    const done = new Promise((resolve, reject) => this.pending.set(id, { onEvent, resolve, reject }));
    if (stream) this.streams.set(id, request);
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(msgpackr.pack(request));
    else if (!stream) this.pending.get(id).reject(new Error('the websocket is not open'));
    // A cancelled stream ends with its response; nobody waits on it any more.
    done.catch(() => undefined);
    return {
      done,
      cancel: () => {
        this.streams.delete(id);
        if (this.socket?.readyState === WebSocket.OPEN && this.pending.has(id)) this.socket.send(msgpackr.pack({ id: this.nextId++, op: 'cancel', args: { id } }));
        this.pending.delete(id);
      },
    };
  }
}
