/**
 * A synchronous request/response channel from one worker to the main thread
 * over a SharedArrayBuffer, for host calls made by WASM code that cannot
 * await.
 *
 *     Int32 control words              data (bytes)
 *     [0] requests issued (worker)     request, then response, in place
 *     [1] responses written (main)
 *     [2] op / status   [3] length
 *
 * The worker writes a request, bumps word 0 and notifies; it then spins on
 * word 1 for a short while (host calls usually finish in microseconds) and
 * only then sleeps in `Atomics.wait`. The main thread watches word 0 with
 * `Atomics.waitAsync`, so it never blocks its event loop; after answering it
 * keeps polling for a few microseconds, which catches back-to-back calls
 * without a trip through the event loop. One request is in flight per
 * worker at a time (the worker is blocked while it waits), so the data
 * region needs no further locking.
 */

const REQUESTS = 0;
const RESPONSES = 1;
const OP_OR_STATUS = 2;
const LENGTH = 3;
/** Bytes of the caller's actor id, which precede the request in the data region. */
const CALLER_LENGTH = 4;
/** The id of the message the caller is handling (its ask id; 0 for a tell), so effects can be journaled per message. */
const CONTEXT = 5;
const CONTROL_SLOTS = 6;
const CONTROL_BYTES = 32;

export const DEFAULT_CHANNEL_BYTES = 2 * 1024 * 1024 + CONTROL_BYTES;

/**
 * Channels per worker. One request is in flight per channel; a handler
 * that waits on a call lets the worker run other actors, whose own calls
 * take the next channel. The last level does not nest further: a call made
 * there simply blocks.
 */
export const HOST_CALL_LEVELS = 4;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createChannelBuffer(bytes = DEFAULT_CHANNEL_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes);
}

/** Worker side. */
export class HostCallClient {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private issued = 0;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly spinIterations = 20_000,
  ) {
    this.control = new Int32Array(buffer, 0, CONTROL_SLOTS);
    this.data = new Uint8Array(buffer, CONTROL_BYTES);
  }

  /** Largest request or response, in bytes. */
  get capacity(): number {
    return this.data.byteLength;
  }

  /**
   * Sends `request` and blocks this thread until the main thread answers.
   * Returns the status (≥ 0: a length of result bytes in `result()`).
   */
  call(op: number, request: Uint8Array, caller = '', context = 0): number {
    const control = this.control;
    // The caller's id goes first, so the main thread can serve it in its actor's context (its tenant's space).
    const written = caller === '' ? 0 : encoder.encodeInto(caller, this.data).written;
    this.data.set(request, written);
    control[OP_OR_STATUS] = op;
    control[LENGTH] = request.byteLength;
    control[CALLER_LENGTH] = written;
    control[CONTEXT] = context;
    const seq = ++this.issued;
    Atomics.store(control, REQUESTS, seq);
    Atomics.notify(control, REQUESTS);
    for (let i = 0; i < this.spinIterations; i++) {
      if (Atomics.load(control, RESPONSES) === seq) return control[OP_OR_STATUS];
    }
    while (Atomics.load(control, RESPONSES) !== seq) {
      if (this.whileWaiting === undefined) {
        Atomics.wait(control, RESPONSES, seq - 1);
        continue;
      }
      // Short sleeps: the main thread also wakes us when it posts to this worker, and peers' posts are seen within a millisecond.
      Atomics.wait(control, RESPONSES, seq - 1, 1);
      if (Atomics.load(control, RESPONSES) !== seq) this.whileWaiting();
    }
    return control[OP_OR_STATUS];
  }

  /**
   * Work to do while a call waits for its answer: the worker handles
   * messages to its other actors, so an actor that asks a neighbour on its
   * own worker does not wait for an answer that cannot come.
   */
  whileWaiting: (() => void) | undefined;

  /** The bytes of the last response (valid until the next call). */
  result(length: number): Uint8Array {
    return this.data.subarray(0, length);
  }

  /** The message that came with the last failure (negative status), or empty. */
  failureText(): Uint8Array {
    return this.data.subarray(0, this.control[LENGTH]);
  }
}

/** What the main thread does with one request: the status and the response bytes. */
/**
 * Serves one host call; `caller` is the calling actor's id ('' when the
 * client did not say), `context` the id of the message it is handling
 * (0 for a tell or outside a handler).
 */
export type HostCallHandler = (op: number, request: Uint8Array, caller: string, context: number) => { status: number; data?: Uint8Array } | Promise<{ status: number; data?: Uint8Array }>;

/** Wakes a worker blocked in a host call so it looks at its ports (the main thread just posted to it). */
export function wakeWaitingCaller(buffer: SharedArrayBuffer): void {
  Atomics.notify(new Int32Array(buffer, 0, CONTROL_SLOTS), RESPONSES);
}

/** Main-thread side: serves one worker's channel until `stop()`. */
export class HostCallServer {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private served = 0;
  private stopped = false;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly handler: HostCallHandler,
    /** How long to keep polling after an answer before going back to the event loop. */
    private readonly pollMicros = 50,
  ) {
    this.control = new Int32Array(buffer, 0, CONTROL_SLOTS);
    this.data = new Uint8Array(buffer, CONTROL_BYTES);
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    // Wake the pending waitAsync so the loop can see `stopped`.
    Atomics.notify(this.control, REQUESTS);
  }

  private async loop(): Promise<void> {
    const control = this.control;
    while (!this.stopped) {
      if (Atomics.load(control, REQUESTS) === this.served) {
        const waited = Atomics.waitAsync(control, REQUESTS, this.served);
        if (waited.async) await waited.value;
        continue;
      }
      await this.serveOne();
      // Poll briefly: a worker in a loop of host calls sends the next one
      // within microseconds, and catching it here skips the event loop.
      const until = performance.now() + this.pollMicros / 1000;
      while (!this.stopped && Atomics.load(control, REQUESTS) === this.served && performance.now() < until) {
        /* spin */
      }
    }
  }

  private async serveOne(): Promise<void> {
    const control = this.control;
    const seq = Atomics.load(control, REQUESTS);
    const op = control[OP_OR_STATUS];
    const length = control[LENGTH];
    const callerLength = control[CALLER_LENGTH];
    const caller = callerLength === 0 ? '' : decoder.decode(this.data.subarray(0, callerLength));
    // Copy: the handler may be async and the region is reused for the answer.
    const request = this.data.slice(callerLength, callerLength + length);
    let status: number;
    let data: Uint8Array | undefined;
    try {
      const out = this.handler(op, request, caller, control[CONTEXT]);
      ({ status, data } = out instanceof Promise ? await out : out);
    } catch {
      status = -1;
      data = undefined;
    }
    // A failure may carry its message too: the length goes in LENGTH either way.
    let answerLength = 0;
    if (data !== undefined) {
      if (data.byteLength > this.data.byteLength) {
        status = -3;
      } else {
        this.data.set(data, 0);
        answerLength = data.byteLength;
        if (status >= 0) status = answerLength;
      }
    }
    control[OP_OR_STATUS] = status;
    control[LENGTH] = answerLength;
    this.served = seq;
    Atomics.store(control, RESPONSES, seq);
    Atomics.notify(control, RESPONSES);
  }
}
