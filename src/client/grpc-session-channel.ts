import type * as grpc from '@grpc/grpc-js';
import { RuntimeClosedError } from '../errors.js';
import { RemoteError } from './ws-transport.js';

/** The TupleSpace.Session operations, by their SessionRequest field (proto-loader's camelCase). */
export type SessionOperation = 'write' | 'writeAll' | 'read' | 'take' | 'tryRead' | 'tryTake' | 'readAll' | 'takeAll' | 'count' | 'takeWithAck' | 'ack' | 'nack';

interface SessionReply {
  id: number;
  result?: string;
  error?: { code?: string; message?: string };
  [field: string]: unknown;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

type SessionStream = grpc.ClientDuplexStream<{ requests: object[] }, { replies?: SessionReply[] }>;
type DuplexFactory = (metadata: grpc.Metadata) => SessionStream;

/**
 * Requests per SessionRequests message, and the payload bytes (as estimated by
 * the caller) after which a message leaves early: a batch of large writes must
 * stay far below the node's 64 MiB message limit, or the node refuses the
 * whole message and the session with it.
 */
const MAX_REQUESTS_PER_MESSAGE = 32;
const MAX_BATCH_BYTES = 4 << 20;

/**
 * One TupleSpace.Session stream (tuplespace.proto) carrying the client's
 * tuple-space operations: each request goes out under its own id and its
 * reply is matched back by it. Opened on first use; a stream that ends or
 * fails rejects what it still owed and the next request opens a new one.
 *
 * Requests made in the same turn of the event loop leave in one message (at
 * the end of the turn, or once the batch is full): grpc-js costs most per
 * message, so 64 operations in flight travel in a few frames.
 */
export class GrpcSessionChannel {
  private stream: SessionStream | undefined;
  /** Requests of this turn, not sent yet. */
  private batch: object[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly open: DuplexFactory,
    private readonly metadata: () => grpc.Metadata,
  ) {}

  /**
   * Sends one operation; resolves with its reply's message (WriteResponse, TupleResponse, …) or rejects with its PLEX_ERR_* code.
   * `bytes`: about how much payload it carries (its tuples' encoded size), so that large writes are not batched past the message limit.
   */
  request(operation: SessionOperation, body: object, bytes = 0): { sessionId: number; done: Promise<any> } {
    const sessionId = this.takeId();
    const done = new Promise<unknown>((resolve, reject) => {
      if (this.closed) return reject(new RuntimeClosedError());
      this.pending.set(sessionId, { resolve, reject });
      this.enqueue({ id: sessionId, [operation]: body }, bytes);
    });
    return { sessionId, done };
  }

  /** Asks the node to stop a waiting operation: it then answers PLEX_ERR_ABORTED. */
  cancel(sessionId: number): void {
    if (this.stream === undefined || !this.pending.has(sessionId)) return;
    this.enqueue({ id: this.takeId(), cancel: { id: sessionId } }, 0);
  }

  close(): void {
    this.closed = true;
    this.batch = [];
    this.batchBytes = 0;
    this.stream?.cancel();
    this.failAll(new RuntimeClosedError());
  }

  private enqueue(request: object, bytes: number): void {
    // A large request leaves in a message of its own.
    if (this.batch.length > 0 && this.batchBytes + bytes > MAX_BATCH_BYTES) this.flush();
    this.batch.push(request);
    this.batchBytes += bytes;
    if (this.batch.length >= MAX_REQUESTS_PER_MESSAGE || this.batchBytes >= MAX_BATCH_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After this turn's microtasks: the requests their continuations make join this message.
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0) return;
    const requests = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.ensureStream().write({ requests });
  }

  private takeId(): number {
    // uint32 on the wire; ids of finished operations may be reused.
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    return id;
  }

  private ensureStream(): SessionStream {
    if (this.stream !== undefined) return this.stream;
    const stream = this.open(this.metadata());
    this.stream = stream;
    stream.on('data', (message: { replies?: SessionReply[] }) => {
      for (const reply of message.replies ?? []) {
        const waiting = this.pending.get(reply.id);
        if (waiting === undefined) continue; // a cancel's own acknowledgement
        this.pending.delete(reply.id);
        if (reply.result === 'error') waiting.reject(new RemoteError(reply.error?.code || 'PLEX_ERR_INTERNAL', reply.error?.message ?? ''));
        else waiting.resolve(reply[reply.result ?? ''] ?? {});
      }
    });
    const lost = (error: Error) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.failAll(error);
    };
    stream.on('error', (error: grpc.ServiceError) => {
      const code = error.metadata?.get('plex-error-code')[0];
      lost(new RemoteError(code === undefined ? 'PLEX_ERR_UNAVAILABLE' : String(code), `the gRPC session ended: ${error.details || error.message}`));
    });
    stream.on('end', () => lost(new RemoteError('PLEX_ERR_UNAVAILABLE', 'the node ended the gRPC session')));
    return stream;
  }

  private failAll(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(error);
  }
}
