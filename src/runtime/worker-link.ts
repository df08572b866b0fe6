import { Worker, type MessagePort } from 'node:worker_threads';
import { createChannelBuffer, HostCallServer, type HostCallHandler } from './host-call-channel.js';
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
  private readonly server: HostCallServer;
  private queue: WorkerOp[] = [];
  private flushScheduled = false;
  private exited = false;

  private readonly doorbells: Int32Array;

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
    const channel = createChannelBuffer();
    this.doorbells = new Int32Array(doorbells);
    const init: WorkerInit = { index, channel, watchdogMs, doorbells, peers };
    this.worker = startWorker(init, peers.filter((p): p is MessagePort => p !== null));
    this.server = new HostCallServer(channel, hostCalls);
    this.worker.on('message', (message: Uint8Array | { log: { actorId: string; level: number; message: string } }) => {
      if (message instanceof Uint8Array) onBatch(decodeBatch<MainOp>(message));
      else onLog(message.log);
    });
    let failure: Error | undefined;
    this.worker.on('error', (error) => {
      failure = error;
    });
    this.worker.on('exit', () => {
      this.exited = true;
      this.server.stop();
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
    this.worker.postMessage(encodeBatch(batch));
    ring(this.doorbells, this.index);
  }

  async close(): Promise<void> {
    this.server.stop();
    if (!this.exited) await this.worker.terminate();
  }
}

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
