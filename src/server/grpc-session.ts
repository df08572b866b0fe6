/**
 * TupleSpace.Session (proto/plexspaces/v1/tuplespace.proto): many tuple-space
 * operations on one bidirectional gRPC stream. A unary gRPC call costs grpc-js
 * a new HTTP/2 stream, headers and trailers each time (≈ 0.5 ms here); a
 * message on an open stream costs a few tens of microseconds, which is what
 * lets a gRPC client keep pace with the websocket.
 *
 * Each request is started in the order it arrives and answered once, under
 * its id, when it finishes; a blocking read or take does not hold up the
 * requests behind it. A failed operation is an error reply, never the end of
 * the session. The caller's token is checked once, when the stream opens.
 *
 * Replies that become ready in the same turn of the event loop leave in one
 * SessionReplies message: grpc-js spends most of its time per message (frame,
 * write request, stream bookkeeping), so 64 operations in flight cost a few
 * messages rather than 64.
 */
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { BackpressureError, errorBody, InvalidArgumentError, type PlexError } from '../errors.js';
import type { Principal } from './auth.js';
import { runSpaceOperation, type ProtoSpaceRef, type SpaceOperation, type SpaceRequest } from './grpc-space-ops.js';
import type { NodeService, Scope } from './node-service.js';
import type { TraceCarrier } from '../tracing/node-tracing.js';

/**
 * Operations one session may have running at once (mostly blocked reads and
 * takes). One more is refused with PLEX_ERR_BACKPRESSURE rather than queued:
 * a client whose waiting takes need a later write in the same stream would
 * deadlock behind a queue.
 */
export const MAX_SESSION_IN_FLIGHT = 4096;

/**
 * Replies per SessionReplies message. A single tuple is at most 1 MiB by
 * default (TupleLimits.maxEncodedBytes), so a full message stays well under
 * the 64 MiB message limit; read_all and take_all replies always go alone.
 */
export const MAX_REPLIES_PER_MESSAGE = 32;

/** Operations that may wait, and so need an AbortSignal (made only for them: an AbortController per write costs more than the write). */
const WAITS: ReadonlySet<SpaceOperation> = new Set(['read', 'take', 'takeWithAck']);

/** A SessionRequests message as proto-loader hands it over. */
export interface SessionRequests {
  requests?: SessionRequest[];
}

/** A SessionRequest as proto-loader hands it over (`oneofs: true`: the set operation's name in `op`). */
export interface SessionRequest extends Partial<Record<SpaceOperation, SpaceRequest>> {
  id?: number;
  op?: string;
  cancel?: { id?: number };
  traceparent?: string;
  tracestate?: string;
}

/** Which SessionReply field carries each operation's answer. */
const REPLY_FIELD: Record<SpaceOperation, string> = {
  write: 'written',
  writeAll: 'written',
  read: 'tuple',
  take: 'tuple',
  tryRead: 'tuple',
  tryTake: 'tuple',
  readAll: 'tuples',
  takeAll: 'tuples',
  count: 'count',
  takeWithAck: 'delivery',
  ack: 'settled',
  nack: 'settled',
};

/** Metric and span names per operation: a fixed set, never a label taken from client input. */
const OPERATION_PATH = Object.fromEntries(Object.keys(REPLY_FIELD).map((op) => [op, `/plexspaces.v1.TupleSpace/Session.${op}`])) as Record<SpaceOperation, string>;

export interface SessionDependencies {
  readonly service: NodeService;
  readonly scopeOf: (principal: Principal, ref: ProtoSpaceRef | undefined) => Scope;
  readonly principalOf: (metadata: grpc.Metadata) => Promise<Principal>;
  readonly traceCarrier: (metadata: grpc.Metadata) => TraceCarrier;
  /** Ends the call with the error's status and plex-error-code trailer. */
  readonly failStream: (call: grpc.ServerWritableStream<unknown, unknown>, error: unknown) => void;
  /** Told once the session is over, however it ended. */
  readonly onFinished?: () => void;
}

/** An open session, as the server holds it while it runs. */
export interface SessionHandle {
  /** Ends the session now (the node is stopping): what still waits is aborted, the call ends with the error's status. */
  stop(error: unknown): void;
}

export function serveSession(call: grpc.ServerDuplexStream<SessionRequests, object>, deps: SessionDependencies): SessionHandle {
  const { service } = deps;
  /** Everything running, by request id (`null`: an operation that does not wait): `cancel` and the end of the call abort them. */
  const running = new Map<number, AbortController | null>();
  /** Replies waiting for the end of this turn of the event loop, to leave together. */
  const outbox: { message: object; onSent?: (delivered: boolean) => void }[] = [];
  // take_with_ack deliveries that name no holder are the session's: they go back when it ends.
  const holder = `grpc-session:${randomUUID()}`;
  let heldByHolder = false;
  let principal: Principal | undefined;
  /** Requests that arrived while the token was being checked, in order. */
  const early: SessionRequest[] = [];
  let halfClosed = false;
  let over = false;
  const callCarrier = deps.traceCarrier(call.metadata);

  const finish = () => {
    if (over) return;
    over = true;
    for (const controller of running.values()) controller?.abort();
    running.clear();
    // Takes whose replies never left go back to the space.
    for (const onSent of outbox.splice(0).flatMap((entry) => (entry.onSent === undefined ? [] : [entry.onSent]))) onSent(false);
    if (heldByHolder) void service.releaseHolder(holder);
    deps.onFinished?.();
  };
  call.on('cancelled', finish);
  // The stream's own failures (a client reset) arrive as 'error'; grpc-js has already ended the call.
  call.on('error', finish);

  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (outbox.length === 0 || over) return;
    const entries = outbox.splice(0);
    if (call.cancelled || call.destroyed) {
      for (const entry of entries) entry.onSent?.(false);
      return;
    }
    const settles = entries.flatMap((entry) => (entry.onSent === undefined ? [] : [entry.onSent]));
    const room = call.write(
      { replies: entries.map((entry) => entry.message) },
      settles.length === 0 ? undefined : (error: Error | null | undefined) => {
        for (const onSent of settles) onSent(error === undefined || error === null);
      },
    );
    // A client that does not read its replies stops being read: HTTP/2 flow control then holds its requests back.
    if (!room) {
      call.pause();
      call.once('drain', () => call.resume());
    }
  };
  const reply = (message: object, onSent?: (delivered: boolean) => void) => {
    if (over || call.cancelled || call.destroyed) {
      onSent?.(false);
      return;
    }
    // A list of tuples may be large: it leaves alone.
    const alone = 'tuples' in message;
    if (alone) flush();
    outbox.push({ message, onSent });
    if (alone || outbox.length >= MAX_REPLIES_PER_MESSAGE) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      // After the microtasks of this turn: the replies they produce join this message.
      process.nextTick(flush);
    }
  };
  const endIfDone = () => {
    if (halfClosed && running.size === 0 && !over) {
      flush();
      call.end();
      finish();
    }
  };

  const start = (request: SessionRequest) => {
    const id = Number(request.id ?? 0);
    if (request.op === 'cancel') {
      running.get(Number(request.cancel?.id ?? 0))?.abort();
      reply({ id, settled: {} });
      return;
    }
    const operation = request.op as SpaceOperation | undefined;
    if (operation === undefined || !(operation in REPLY_FIELD)) {
      reply({ id, error: errorBody(new InvalidArgumentError('a session request sets one operation: write, write_all, read, take, try_read, try_take, read_all, take_all, count, take_with_ack, ack, nack or cancel')) });
      return;
    }
    if (running.has(id)) {
      reply({ id, error: errorBody(new InvalidArgumentError(`request id ${id} is still running in this session: ids of running operations must differ`)) });
      return;
    }
    if (running.size >= MAX_SESSION_IN_FLIGHT) {
      reply({ id, error: errorBody(new BackpressureError(`this session already runs ${MAX_SESSION_IN_FLIGHT} operations; wait for some to answer`)) });
      return;
    }
    const controller = WAITS.has(operation) ? new AbortController() : null;
    running.set(id, controller);
    const r = request[operation] ?? {};
    if (operation === 'takeWithAck' && !r.holder) heldByHolder = true;
    const carrier = request.traceparent ? { traceparent: request.traceparent, tracestate: request.tracestate || undefined } : callCarrier;
    service
      .observe('grpc', OPERATION_PATH[operation], () => runSpaceOperation(operation, r, { service, principal: principal!, scopeOf: deps.scopeOf, signal: controller?.signal, defaultHolder: holder }), carrier)
      .then(
        (answer) => {
          running.delete(id);
          const message = { id, [REPLY_FIELD[operation]]: answer.reply };
          if (answer.settle === undefined) reply(message);
          else reply(message, (delivered) => void answer.settle!(delivered));
        },
        (error: PlexError) => {
          running.delete(id);
          reply({ id, error: errorBody(error) });
        },
      )
      .finally(endIfDone);
  };

  call.on('data', (message: SessionRequests) => {
    if (over) return;
    for (const request of message.requests ?? []) {
      if (principal === undefined) early.push(request);
      else start(request);
    }
  });
  call.on('end', () => {
    halfClosed = true;
    if (principal !== undefined) endIfDone();
  });

  deps.principalOf(call.metadata).then(
    (resolved) => {
      principal = resolved;
      for (const request of early.splice(0)) start(request);
      endIfDone();
    },
    (error: unknown) => {
      finish();
      deps.failStream(call as unknown as grpc.ServerWritableStream<unknown, unknown>, error);
    },
  );
  return {
    stop(error) {
      if (over) return;
      finish();
      deps.failStream(call as unknown as grpc.ServerWritableStream<unknown, unknown>, error);
    },
  };
}
