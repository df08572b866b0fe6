import { Worker } from 'node:worker_threads';
import { ErrorCode, InvalidModuleError, PlexError } from '../errors.js';
import type { ComponentModule } from './component-module.js';
import type { CoreModule, CoreModuleOptions } from './core-module.js';

/**
 * Module preparation (validation, instrumentation, jco's transpile,
 * compilation) on a thread of its own. For a component it is seconds of
 * synchronous CPU — 3 s of a stalled event loop was measured for a 1.7 MB
 * TypeScript actor on a loaded 2-core machine, and a Python component is
 * ten times larger — which on the main thread stops everything else the
 * node does meanwhile: requests, and in a cluster the registry heartbeat,
 * so a node deploying a module could be declared dead by the others.
 *
 * One worker, started on the first deploy and kept (unreferenced while
 * idle, so it never holds the process open); preparations queue on it. The
 * compiled `WebAssembly.Module`s come back by structured clone, which
 * shares the compiled code rather than compiling again.
 */

export interface PreparationRequest {
  readonly id: number;
  readonly kind: 'component' | 'core';
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly options: CoreModuleOptions;
}

export type PreparationReply =
  | { readonly id: number; readonly module: ComponentModule | CoreModule; readonly error?: undefined }
  | { readonly id: number; readonly error: { readonly code: string | undefined; readonly message: string }; readonly module?: undefined };

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve(module: ComponentModule | CoreModule): void; reject(error: Error): void }>();

export function prepareOffThread(kind: 'component', name: string, bytes: Uint8Array, options: CoreModuleOptions): Promise<ComponentModule>;
export function prepareOffThread(kind: 'core', name: string, bytes: Uint8Array, options: CoreModuleOptions): Promise<CoreModule>;
export function prepareOffThread(kind: 'component' | 'core', name: string, bytes: Uint8Array, options: CoreModuleOptions): Promise<ComponentModule | CoreModule> {
  const thread = preparationWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    if (pending.size === 1) thread.ref();
    // Copied, not transferred: the caller keeps its bytes (a deploy also stores them).
    thread.postMessage({ id, kind, name, bytes, options: { ...options } } satisfies PreparationRequest);
  });
}

function preparationWorker(): Worker {
  if (worker !== undefined) return worker;
  const thread = startWorker();
  thread.unref();
  thread.on('message', (reply: PreparationReply) => {
    const waiter = pending.get(reply.id);
    if (waiter === undefined) return;
    pending.delete(reply.id);
    if (pending.size === 0) thread.unref();
    if (reply.error === undefined) waiter.resolve(reply.module);
    else waiter.reject(rebuilt(reply.error));
  });
  const failAll = (error: Error) => {
    if (worker === thread) worker = undefined;
    for (const [id, waiter] of pending) {
      pending.delete(id);
      // Whatever stopped the thread (a module built to exhaust the compiler, say) fails that deploy, not the node; the next one starts a new thread.
      waiter.reject(new InvalidModuleError(`preparing the module stopped its thread: ${error.message}`, { cause: error }));
    }
  };
  thread.on('error', failAll);
  thread.on('exit', (code) => failAll(new Error(`its thread exited with code ${code}`)));
  worker = thread;
  return thread;
}

function rebuilt(error: { code: string | undefined; message: string }): Error {
  if (error.code === ErrorCode.InvalidModule) return new InvalidModuleError(error.message);
  if (error.code !== undefined && (Object.values(ErrorCode) as string[]).includes(error.code)) return new PlexError(error.code as ErrorCode, error.message);
  return new InvalidModuleError(error.message);
}

/** Under the test runner the sources are TypeScript, which a worker loads through tsx (as worker-link.ts does). */
function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./module-preparation-worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`, { eval: true });
  }
  return new Worker(new URL('./module-preparation-worker.js', here));
}
