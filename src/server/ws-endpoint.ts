import { randomUUID } from 'node:crypto';
import { acrossCluster, clusterFigures, drainWithin, pipelineSpecFromJson, tuplesFromJson, watchFigures } from './pipeline-calls.js';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Packr } from 'msgpackr';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorBody, InvalidArgumentError, shown } from '../errors.js';
import type { Principal } from './auth.js';
import { tupleJson, type NodeService } from './node-service.js';
import { decodeRequest, RequestRefused, type WsRequest } from './ws-decode.js';
import { streamDashboard } from './dashboard-stream.js';

/**
 * The websocket surface, at `/ws` on the HTTP port: msgpack frames, one
 * request → one response matched by `id`, and subscriptions that stream
 * events under their request's `id` until they end or are cancelled.
 *
 *   request   { id, op, scope?: { tenant, namespace }, args }
 *   response  { id, ok: true, result } | { id, ok: false, error: { code, message } }
 *   event     { id, event, data }             (then a response ends the stream)
 *
 * Tuples use the JSON form of the other surfaces ({"$int"}, {"$bytes"}).
 * A closed socket cancels its blocking operations and subscriptions. With
 * auth on, the token comes with the upgrade (an `Authorization: Bearer`
 * header, or `?token=` where a browser cannot set headers); a missing or bad
 * one is answered 401 and no socket opens.
 *
 * A protocol error (a message over `maxMessageBytes`, invalid UTF-8 in a text
 * frame, an unmasked or reserved-bit frame, a bad close code…) closes that
 * socket with its close code (1009, 1007, 1002) and nothing else: `ws` reports
 * it as an `error` event, and an `error` event nobody listens to would end
 * the process, so every socket gets a listener.
 */
export interface WsEndpointOptions {
  /**
   * Largest message, bytes, whole (a fragmented message counts all its
   * fragments). A bigger one closes the socket with 1009. Clients learn it
   * from the `ws.limits` op. Default 1 MiB (`DEFAULT_WS_MAX_MESSAGE_BYTES`).
   */
  readonly maxMessageBytes?: number;
  /** Ping interval; a peer that misses a whole interval is dropped. Default 15 s. */
  readonly heartbeatMs?: number;
}

export const DEFAULT_WS_MAX_MESSAGE_BYTES = 1 << 20;
/** Smallest limit allowed: requests under it never need the client to ask for the limit. */
export const MIN_WS_MAX_MESSAGE_BYTES = 64 << 10;

/**
 * Every op `run` answers. Metrics label an operation with its name only when it
 * is in this set (anything else is `unknown`): a label value taken from client
 * input would grow the registry without bound.
 */
export const WS_OPS: ReadonlySet<string> = new Set([
  'ping', 'node.info', 'ws.limits', 'cancel',
  'ts.write', 'ts.writeAll', 'ts.eval', 'ts.takeWithAck', 'ts.ack', 'ts.nack', 'ts.read', 'ts.take', 'ts.readAll', 'ts.takeAll', 'ts.count', 'ts.watch',
  'actor.ask', 'actor.tell', 'actor.list',
  'group.create', 'group.list', 'group.delete', 'group.bulkUpdate', 'group.reduce', 'group.barrier', 'group.scale', 'group.scatterGather',
  'job.nbody',
  'dashboard.subscribe',
  'pipeline.start', 'pipeline.list', 'pipeline.figures', 'pipeline.write', 'pipeline.scale', 'pipeline.end', 'pipeline.drain', 'pipeline.remove', 'pipeline.watch',
]);

const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

export class WsEndpoint {
  private readonly wss: WebSocketServer;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly principals = new WeakMap<WebSocket, Principal>();
  /** Each socket's token as it came with the upgrade: the dashboard's overview reads the other nodes with it. */
  private readonly tokens = new WeakMap<WebSocket, string>();
  private readonly holders = new WeakMap<WebSocket, string>();
  private readonly routes = new Map<string, { wss: WebSocketServer; onSocket: (ws: WebSocket) => void }>();
  readonly maxMessageBytes: number;

  /**
   * Hands websockets upgraded at `path` to `onSocket` instead of the
   * client protocol, with no bearer token asked: whoever routes a path
   * authenticates its sockets itself (the node links: the cluster secret).
   */
  route(path: string, maxPayload: number, onSocket: (ws: WebSocket) => void): void {
    this.routes.set(path, { wss: new WebSocketServer({ noServer: true, maxPayload }), onSocket });
  }

  constructor(
    private readonly service: NodeService,
    server: Server,
    options: WsEndpointOptions = {},
  ) {
    const max = options.maxMessageBytes ?? DEFAULT_WS_MAX_MESSAGE_BYTES;
    if (!Number.isSafeInteger(max) || max < MIN_WS_MAX_MESSAGE_BYTES) throw new InvalidArgumentError(`maxMessageBytes must be an integer ≥ ${MIN_WS_MAX_MESSAGE_BYTES}, got ${max}`);
    this.maxMessageBytes = max;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: max });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Node's HTTP server drops its own error listener before 'upgrade'; until ws
      // takes the socket (after the token check) a reset from the peer would be an
      // unhandled 'error' and end the process.
      socket.on('error', () => socket.destroy());
      const url = new URL(request.url ?? '/', 'http://localhost');
      const routed = this.routes.get(url.pathname);
      if (routed !== undefined) {
        // Another protocol on this port (the cluster's node links): it authenticates its own sockets.
        routed.wss.handleUpgrade(request, socket, head, (ws) => {
          ws.on('error', () => undefined);
          routed.onSocket(ws);
        });
        return;
      }
      if (url.pathname !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const token = request.headers.authorization ?? url.searchParams.get('token') ?? undefined;
      service.gate.principal(token).then(
        (principal) =>
          // In noServer mode 'connection' is ours to emit; the heartbeat below listens to it.
          this.wss.handleUpgrade(request, socket, head, (ws) => {
            this.principals.set(ws, principal);
            if (token !== undefined) this.tokens.set(ws, token);
            this.wss.emit('connection', ws, request);
          }),
        (error: Error) => {
          const body = JSON.stringify(errorBody(error));
          socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        },
      );
    });
    const alive = new WeakSet<WebSocket>();
    this.wss.on('connection', (ws: WebSocket) => {
      // ws has already sent the close frame with the right code (1002, 1007, 1009) when it emits this.
      ws.on('error', () => undefined);
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      this.connected(ws);
    });
    this.heartbeat = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (!alive.has(ws)) {
          ws.terminate();
          continue;
        }
        alive.delete(ws);
        ws.ping();
      }
    }, options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get connections(): number {
    return this.wss.clients.size;
  }

  close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.close(1001, 'node stopping');
    // Routed sockets (node links) too: an upgraded socket still open would hold the HTTP server's close until its peer hung up.
    for (const { wss } of this.routes.values()) {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    }
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private connected(ws: WebSocket): void {
    // Everything this socket started; closing it aborts them all.
    const running = new Map<number, AbortController>();
    const holder = `ws:${randomUUID()}`;
    this.holders.set(ws, holder);
    ws.on('close', () => {
      for (const controller of running.values()) controller.abort();
      running.clear();
      // Crash-safe takes this socket still held go back to the space now, not at lease end.
      void this.service.releaseHolder(holder);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // A throw here would escape into ws's socket 'data' handler and end the process.
      try {
        this.received(ws, running, data, isBinary);
      } catch (error) {
        this.send(ws, { id: -1, ok: false, error: errorBody(error) });
      }
    });
  }

  private received(ws: WebSocket, running: Map<number, AbortController>, data: Buffer, isBinary: boolean): void {
    let request: WsRequest;
    try {
      if (!isBinary) throw new InvalidArgumentError('frames are binary msgpack');
      request = decodeRequest(data);
    } catch (error) {
      // Nothing ran: the refusal goes back under the request's id when the frame showed one.
      if (error instanceof RequestRefused) this.send(ws, { id: error.id, ok: false, error: errorBody(error.error) });
      else this.send(ws, { id: -1, ok: false, error: errorBody(error) });
      return;
    }
    if (request.op === 'cancel') {
      running.get(Number(request.args?.id))?.abort();
      this.send(ws, { id: request.id, ok: true, result: null });
      return;
    }
    if (request.op === 'ws.limits') {
      // What a client needs to size its requests (the TS client splits a writeAll to fit). Asked
      // before anything else, so it needs no scope: any token the upgrade accepted may know it.
      this.send(ws, { id: request.id, ok: true, result: { maxMessageBytes: this.maxMessageBytes } });
      return;
    }
    const controller = new AbortController();
    running.set(request.id, controller);
    this.service.observe('ws', WS_OPS.has(request.op) ? request.op : 'unknown', () => this.run(ws, request, controller.signal), request).then(
      (result) =>
        result instanceof HeldReply
          ? this.send(ws, { id: request.id, ok: true, result: result.value }, (delivered) => void result.settle(delivered))
          : this.send(ws, { id: request.id, ok: true, result }),
      (error) => this.send(ws, { id: request.id, ok: false, error: errorBody(error) }),
    ).finally(() => running.delete(request.id));
  }

  /** Sends a reply; `onSent` hears whether the frame went to the socket (false: the socket was closing or closed). */
  private send(ws: WebSocket, frame: unknown, onSent?: (delivered: boolean) => void): void {
    if (ws.readyState !== ws.OPEN) {
      onSent?.(false);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = packr.pack(frame);
    } catch (error) {
      // Called from promise callbacks: a throw would be an unhandled rejection, which ends the process.
      const id = (frame as { id?: unknown }).id;
      bytes = packr.pack({ id, ok: false, error: { code: 'PLEX_ERR_INTERNAL', message: `the reply could not be encoded: ${(error as Error).message}` } });
    }
    if (onSent === undefined) ws.send(bytes);
    else ws.send(bytes, (error) => onSent(error === undefined || error === null));
  }

  private async run(ws: WebSocket, request: WsRequest, signal: AbortSignal): Promise<unknown> {
    const s = this.service;
    const scope = s.scope(this.principals.get(ws)!, request.scope?.tenant, request.scope?.namespace);
    const a = request.args ?? {};
    const space = a.space as string;
    switch (request.op) {
      case 'ping':
        return 'pong';
      case 'node.info':
        return s.info(this.principals.get(ws)!);
      case 'ts.write':
        await s.write(scope, space, a.tuple, a.ttlMs as number | undefined);
        return 1;
      case 'ts.writeAll':
        return s.writeAll(scope, space, a.tuples);
      case 'ts.eval':
        return s.eval(scope, space, a.tuple, { onError: a.onError, timeoutMs: a.timeoutMs, ttlMs: a.ttlMs, signal });
      case 'ts.takeWithAck':
        return s.takeWithAck(scope, space, a.template, { timeoutMs: a.timeoutMs, leaseMs: a.leaseMs as number | undefined, holder: this.holders.get(ws)!, signal });
      case 'ts.ack':
      case 'ts.nack':
        await s.settle(scope, a.deliveryId, request.op === 'ts.ack' ? 'ack' : 'nack');
        return null;
      case 'ts.read':
        return s.read(scope, space, a.template, { timeoutMs: a.timeoutMs, signal });
      case 'ts.take': {
        // Held as a delivery until the reply frame is on the socket: a socket that closed meanwhile gets nothing, so the tuple goes back.
        const taken = await s.takeForReply(scope, space, a.template, { timeoutMs: a.timeoutMs, signal });
        return taken === null ? null : new HeldReply(taken.tuple, taken.settle);
      }
      case 'ts.readAll':
        return s.readAll(scope, space, a.template, { limit: a.limit as number | undefined });
      case 'ts.takeAll': {
        const taken = await s.takeAllForReply(scope, space, a.template, { limit: a.limit as number | undefined });
        return new HeldReply(taken.tuples, taken.settle);
      }
      case 'ts.count':
        return s.count(scope, space, a.template);
      case 'ts.watch': {
        // Streams write / take / expire events ({ tuple }) and overflow ({ dropped }) until cancelled or the socket closes.
        const events = s.watch(scope, space, a.template);
        const stop = () => void events.return?.();
        signal.addEventListener('abort', stop, { once: true });
        let sent = 0;
        for await (const event of events) {
          this.send(ws, { id: request.id, event: event.type, data: event.type === 'overflow' ? { dropped: event.dropped } : { tuple: tupleJson(event.tuple) } });
          sent++;
        }
        return { events: sent };
      }
      case 'actor.ask':
        return s.ask(scope, a.actor as string, a.type as string, a.payload, { application: a.application as string | undefined, timeoutMs: a.timeoutMs as number | undefined });
      case 'actor.tell':
        await s.tell(scope, a.actor as string, a.type as string, a.payload, { application: a.application as string | undefined });
        return null;
      case 'actor.list':
        return s.listActors(scope);
      case 'group.create':
        return s.createGroup(scope, { id: a.group as string, application: a.application as string, shards: a.shards as number, partition: a.partition as never, config: a.config as string | undefined });
      case 'group.list':
        return s.listGroups(scope);
      case 'group.delete':
        await s.deleteGroup(scope, a.group as string);
        return null;
      case 'group.bulkUpdate':
        return s.bulkUpdate(scope, a.group as string, a.entries, a.consistency as never);
      case 'group.reduce':
        return s.reduce(scope, a.group as string, a.type as string, a.payload, { op: a.op as never, path: a.path as string | undefined, deadlineMs: a.deadlineMs as number | undefined, signal });
      case 'group.barrier':
        return s.barrier(scope, a.group as string, a.round as number, { deadlineMs: a.deadlineMs as number | undefined, signal });
      case 'group.scale':
        return s.scale(scope, a.group as string, a.shards as number);
      case 'group.scatterGather': {
        if (a.stream === true) {
          // Answers in completion order as events, then the count.
          let answered = 0;
          for await (const result of s.group(scope, a.group as string).scatterGatherStream(a.type as string, a.payload, { deadlineMs: a.deadlineMs as number | undefined, signal })) {
            this.send(ws, { id: request.id, event: 'shard', data: result });
            answered++;
          }
          return { answered };
        }
        return s.scatterGather(scope, a.group as string, a.type as string, a.payload, { deadlineMs: a.deadlineMs as number | undefined, minResponses: a.minResponses as number | undefined, aggregate: a.aggregate as never, signal });
      }
      case 'job.nbody': {
        // A long computation reporting as it goes: 'progress' events with the step and, every
        // energyEvery steps, the energy; cancel (or closing the socket) stops it between steps.
        const { runNbody } = await import('../kernels/nbody.js');
        const workers = Number(a.workers ?? 1);
        const bodies = Number(a.bodies ?? 4096);
        const steps = Number(a.steps ?? 10);
        // Listed in the node's job registry while it runs: the dashboard shows its progress and may cancel it.
        return s.job(scope, workers, (job) => runNbody({
          bodies,
          steps,
          workers,
          dt: a.dt as number | undefined,
          softening: a.softening as number | undefined,
          energyEvery: a.energyEvery as number | undefined,
          samplePositions: Math.min(Number(a.samplePositions ?? 0), 10_000),
          signal: job.signal,
          onProgress: (step, total, energy) => {
            job.progress(step, total, energy);
            this.send(ws, { id: request.id, event: 'progress', data: { step, steps: total, energy } });
          },
        }), { kind: 'nbody', params: { bodies, steps, workers }, signal });
      }
      case 'pipeline.start':
        return (await s.node.pipelines.start(pipelineSpecFromJson(a.spec as Record<string, unknown>), { scope, space: a.space as string | undefined })).figures();
      case 'pipeline.list':
        return { pipelines: s.node.pipelines.list(scope) };
      case 'pipeline.figures':
        // across: 'cluster' — every node's figures of a pipeline on a shared space, merged.
        return acrossCluster(a.across) ? clusterFigures(s.node, scope, a.name as string) : s.node.pipelines.get(scope, a.name as string).figures();
      case 'pipeline.write': {
        const tuples = tuplesFromJson(a.tuples);
        await s.node.pipelines.get(scope, a.name as string).writeAll(tuples);
        return { written: tuples.length };
      }
      case 'pipeline.scale': {
        const pipeline = s.node.pipelines.get(scope, a.name as string);
        pipeline.scale(a.stage as string, a.instances as number);
        return pipeline.figures();
      }
      case 'pipeline.end': {
        const pipeline = s.node.pipelines.get(scope, a.name as string);
        pipeline.end();
        return pipeline.figures();
      }
      case 'pipeline.drain': {
        const pipeline = s.node.pipelines.get(scope, a.name as string);
        await drainWithin(pipeline, a.timeoutMs as number | undefined, signal);
        return pipeline.figures();
      }
      case 'pipeline.remove':
        await s.node.pipelines.remove(scope, a.name as string);
        return { removed: a.name };
      case 'pipeline.watch': {
        // Live per-stage figures as 'figures' events until cancelled or the pipeline ends (the reply: its last figures).
        const send = (figures: unknown) => this.send(ws, { id: request.id, event: 'figures', data: figures });
        if (acrossCluster(a.across)) {
          const read = () => clusterFigures(s.node, scope, a.name as string);
          const events = await watchFigures(read, a.intervalMs, signal, send);
          return { events, ...(await read()) };
        }
        const pipeline = s.node.pipelines.get(scope, a.name as string);
        const events = await watchFigures(() => pipeline.figures(), a.intervalMs, signal, send, pipeline.finished);
        return { events, ...pipeline.figures() };
      }
      case 'dashboard.subscribe':
        // The dashboard's live pages: 'snapshot' events (the JSON of GET /api/v1/dashboard/{page}) every intervalMs until cancelled.
        return streamDashboard(s.dashboard, this.principals.get(ws)!, a, signal, (data) => this.send(ws, { id: request.id, event: 'snapshot', data }), this.tokens.get(ws));
      default:
        throw new InvalidArgumentError(`unknown op ${shown(request.op)}`);
    }
  }
}

/** A reply whose tuple is held until the reply is sent: `settle(true)` once it went out, `settle(false)` gives the tuple back. */
class HeldReply {
  constructor(
    readonly value: unknown,
    readonly settle: (delivered: boolean) => Promise<void>,
  ) {}
}
