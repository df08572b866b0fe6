import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { createChannelBuffer, HOST_CALL_LEVELS, HostCallServer, wakeWaitingCaller, type HostCallHandler } from './host-call-channel.js';
import { decodeBatch, encodeBatch, ring, type MainOp, type WorkerInit, type WorkerOp, type WorkerSetup } from './protocol.js';

/**
 * The main thread's end of one worker: its thread, its host-call channel,
 * and the outgoing batch. Operations queued during one turn of the event
 * loop leave together (flushed from a microtask), so a burst of tells costs
 * one `postMessage`.
 */
export class WorkerLink {
  readonly worker: Worker;
  /** Actors placed on this worker. */
  readonly actors = new Set<string>();
  /** Operations sent whose answer has not come back (asks, spawns, stops). */
  inFlight = 0;
  private readonly servers: HostCallServer[];
  private readonly channels: SharedArrayBuffer[];
  private queue: WorkerOp[] = [];
  private flushScheduled = false;
  private exited = false;

  private readonly doorbells: Int32Array;
  private readonly fromWorker: MessagePort;
  private readonly onBatch: (ops: MainOp[]) => void;

  constructor(
    readonly index: number,
    watchdogMs: number,
    doorbells: SharedArrayBuffer,
    peers: (MessagePort | null)[],
    hostCalls: HostCallHandler,
    onBatch: (ops: MainOp[]) => void,
    onLog: (entry: { actorId: string; level: number; message: string }) => void,
    onExit: (link: WorkerLink, error: Error | undefined) => void,
  ) {
    const channels = Array.from({ length: HOST_CALL_LEVELS }, () => createChannelBuffer());
    this.channels = channels;
    this.doorbells = new Int32Array(doorbells);
    const { port1: fromWorker, port2: toMain } = new MessageChannel();
    this.fromWorker = fromWorker;
    this.onBatch = onBatch;
    const init: WorkerInit = { index, channels, watchdogMs, doorbells, peers, toMain };
    this.worker = startWorker(init, [toMain, ...peers.filter((p): p is MessagePort => p !== null)]);
    this.servers = channels.map((channel) => new HostCallServer(channel, hostCalls));
    fromWorker.on('message', (message: Uint8Array) => onBatch(decodeBatch<MainOp>(message)));
    this.worker.on('message', (message: { log: { actorId: string; level: number; message: string } }) => onLog(message.log));
    let failure: Error | undefined;
    this.worker.on('error', (error) => {
      failure = error;
    });
    this.worker.on('exit', () => {
      this.exited = true;
      for (const server of this.servers) server.stop();
      onExit(this, failure);
    });
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  send(op: WorkerOp): void {
    this.queue.push(op);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Structured-clone messages (modules, shared memories); queued operations go first to keep order. */
  setup(message: WorkerSetup): void {
    this.flush();
    this.worker.postMessage(message);
    ring(this.doorbells, this.index);
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0 || this.exited) return;
    const batch = this.queue;
    this.queue = [];
    const bytes = encodeBatch(batch);
    this.worker.postMessage(bytes, [bytes.buffer]);
    ring(this.doorbells, this.index);
    for (const channel of this.channels) wakeWaitingCaller(channel);
    if (this.inFlight > 0) this.pollAnswers();
  }

  /**
   * Waits a few microseconds for answers right here instead of in the event
   * loop: a worker answers a short request in microseconds, but waking an
   * idle event loop costs tens of them. Gives up after `POLL_MICROS`.
   */
  private pollAnswers(): void {
    const until = performance.now() + POLL_MICROS / 1000;
    while (this.inFlight > 0 && performance.now() < until) {
      const received = receiveMessageOnPort(this.fromWorker);
      if (received !== undefined) this.onBatch(decodeBatch<MainOp>(received.message as Uint8Array));
    }
  }

  async close(): Promise<void> {
    for (const server of this.servers) server.stop();
    this.fromWorker.close();
    if (!this.exited) await this.worker.terminate();
  }
}

/** What a pool's links call on the main thread. */
export interface WorkerLinkHandlers {
  hostCalls: HostCallHandler;
  onBatch: (ops: MainOp[]) => void;
  onLog: (entry: { actorId: string; level: number; message: string }) => void;
  onExit: (link: WorkerLink, error: Error | undefined) => void;
}

/** Starts `count` workers, each with its doorbell in one shared array and a channel to every other worker. */
export function startWorkerLinks(count: number, watchdogMs: number, handlers: WorkerLinkHandlers): WorkerLink[] {
  const doorbells = new SharedArrayBuffer(4 * count);
  // One channel per pair of workers, for actor-to-actor batches that skip the main thread.
  const peers: (MessagePort | null)[][] = Array.from({ length: count }, () => new Array(count).fill(null));
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      const { port1, port2 } = new MessageChannel();
      peers[i][j] = port1;
      peers[j][i] = port2;
    }
  }
  return Array.from(
    { length: count },
    (_, i) => new WorkerLink(i, watchdogMs, doorbells, peers[i], handlers.hostCalls, handlers.onBatch, handlers.onLog, handlers.onExit),
  );
}

/** How long `flush` polls for answers to requests it just sent. */
const POLL_MICROS = 40;

/**
 * Starts the worker script next to this module. Under the test runner the
 * sources are TypeScript, which a worker cannot load by itself, so it
 * registers tsx first.
 */
function startWorker(workerData: WorkerInit, transferList: MessagePort[]): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./actor-worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`, {
      eval: true,
      workerData,
      transferList,
    });
  }
  return new Worker(new URL('./actor-worker.js', here), { workerData, transferList });
}
