import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Packr } from 'msgpackr';
import { WebSocketServer, type WebSocket } from 'ws';
import { InvalidArgumentError, PlexError } from '../errors.js';
import type { Principal } from './auth.js';
import { tupleJson, type NodeService, type Scope } from './node-service.js';

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
 */
export interface WsEndpointOptions {
  /** Largest frame, bytes. Default 1 MiB. */
  readonly maxFrameBytes?: number;
  /** Ping interval; a peer that misses a whole interval is dropped. Default 15 s. */
  readonly heartbeatMs?: number;
}

interface Request {
  readonly id: number;
  readonly op: string;
  readonly scope?: Scope;
  readonly args?: Record<string, unknown>;
}

const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

export class WsEndpoint {
  private readonly wss: WebSocketServer;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly principals = new WeakMap<WebSocket, Principal>();
  private readonly holders = new WeakMap<WebSocket, string>();

  constructor(
    private readonly service: NodeService,
    server: Server,
    options: WsEndpointOptions = {},
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes ?? 1 << 20 });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
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
      let request: Request;
      try {
        if (!isBinary) throw new InvalidArgumentError('frames are binary msgpack');
        request = packr.unpack(data) as Request;
        if (typeof request !== 'object' || request === null || !Number.isSafeInteger(request.id) || typeof request.op !== 'string') {
          throw new InvalidArgumentError('a request is { id: integer, op: string, scope?, args? }');
        }
      } catch (error) {
        this.send(ws, { id: -1, ok: false, error: errorBody(error) });
        return;
      }
      if (request.op === 'cancel') {
        running.get(Number(request.args?.id))?.abort();
        this.send(ws, { id: request.id, ok: true, result: null });
        return;
      }
      const controller = new AbortController();
      running.set(request.id, controller);
      this.service.observe('ws', request.op, () => this.run(ws, request, controller.signal)).then(
        (result) => this.send(ws, { id: request.id, ok: true, result }),
        (error) => this.send(ws, { id: request.id, ok: false, error: errorBody(error) }),
      ).finally(() => running.delete(request.id));
    });
  }

  private send(ws: WebSocket, frame: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(packr.pack(frame));
  }

  private async run(ws: WebSocket, request: Request, signal: AbortSignal): Promise<unknown> {
    const s = this.service;
    const scope = s.scope(this.principals.get(ws)!, request.scope?.tenant, request.scope?.namespace);
    const a = request.args ?? {};
    const space = a.space as string;
    switch (request.op) {
      case 'ping':
        return 'pong';
      case 'node.info':
        return s.info();
      case 'ts.write':
        await s.write(scope, space, a.tuple, a.ttlMs as number | undefined);
        return 1;
      case 'ts.writeAll':
        return s.writeAll(scope, space, a.tuples);
      case 'ts.takeWithAck':
        return s.takeWithAck(scope, space, a.template, { timeoutMs: a.timeoutMs, leaseMs: a.leaseMs as number | undefined, holder: this.holders.get(ws)!, signal });
      case 'ts.ack':
      case 'ts.nack':
        await s.settle(scope, a.deliveryId, request.op === 'ts.ack' ? 'ack' : 'nack');
        return null;
      case 'ts.read':
      case 'ts.take':
        return s.read(scope, space, a.template, { timeoutMs: a.timeoutMs, signal, take: request.op === 'ts.take' });
      case 'ts.readAll':
      case 'ts.takeAll':
        return s.readAll(scope, space, a.template, { take: request.op === 'ts.takeAll', limit: a.limit as number | undefined });
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
        const result = await runNbody({
          bodies: Number(a.bodies ?? 4096),
          steps: Number(a.steps ?? 10),
          workers: Number(a.workers ?? 1),
          dt: a.dt as number | undefined,
          softening: a.softening as number | undefined,
          energyEvery: a.energyEvery as number | undefined,
          samplePositions: Math.min(Number(a.samplePositions ?? 0), 10_000),
          signal,
          onProgress: (step, steps, energy) => this.send(ws, { id: request.id, event: 'progress', data: { step, steps, energy } }),
        });
        return result;
      }
      default:
        throw new InvalidArgumentError(`unknown op ${JSON.stringify(request.op)}`);
    }
  }
}

function errorBody(error: unknown): { code: string; message: string } {
  if (error instanceof PlexError) return { code: error.code, message: error.message };
  return { code: 'PLEX_ERR_INTERNAL', message: (error as Error)?.message ?? String(error) };
}
