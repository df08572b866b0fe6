import { ActorCrashedError, ErrorCode } from '../errors.js';
import type { RuntimeTracing } from '../tracing/runtime-tracing.js';
import type { HostCallFilter } from './actor-runtime-types.js';
import type { RunningActor } from './actor-table.js';
import { refusalOf, type ModuleGrants } from './capabilities.js';
import { HostStatus } from './core-abi.js';
import type { HostCallHandler } from './host-call-channel.js';
import type { PendingRequests } from './pending-requests.js';
import { ToMain, utf8, type MainOp } from './protocol.js';
import type { RuntimeListeners } from './runtime-listeners.js';
import type { WorkerLink, WorkerLinkHandlers } from './worker-link.js';

/** What the handlers of worker traffic reach in the runtime (actor-runtime.ts). */
export interface WorkerInboundHost {
  /** The host operations themselves (host-services.ts). */
  readonly services: HostCallHandler;
  /** A running actor's grants (undefined for an actor that is not running). */
  grantsOf(actorId: string): ModuleGrants | undefined;
  /** The durable-actor journal's wrapper around host calls; read at each call, since it is set after the workers start. */
  hostCallFilter(): HostCallFilter | undefined;
  readonly tracing: RuntimeTracing | undefined;
  readonly pending: PendingRequests;
  readonly listeners: RuntimeListeners;
  /** Forgets an actor that is gone; returns what the runtime kept of it (undefined when it was not running). */
  forget(actorId: string): RunningActor | undefined;
  /** A send from inside an actor to one its worker cannot reach directly. */
  route(to: string, type: string, payload: Uint8Array, from: string): void;
  isClosed(): boolean;
}

/**
 * Everything a worker sends up to the main thread, handled in one place so
 * the runtime's class is its public surface: host calls (checked against
 * the caller's world first, then journaled and traced), batches of answers,
 * crashes and routed sends, log lines, and the worker's own death.
 */
export function workerInbound(host: WorkerInboundHost): WorkerLinkHandlers {
  const { services, tracing, pending, listeners } = host;
  const filtered: HostCallHandler = (op, request, caller, context) => {
    // The caller's world first: a call outside it changes nothing and is not journaled.
    const grants = caller === '' ? undefined : host.grantsOf(caller);
    const refusal = grants === undefined ? undefined : refusalOf(op, grants, caller);
    if (refusal !== undefined) return { status: HostStatus.Error, data: utf8.encode(`ERROR ${ErrorCode.Forbidden}: ${refusal}`) };
    const filter = host.hostCallFilter();
    return filter === undefined ? services(op, request, caller, context) : filter(op, request, caller, context, () => services(op, request, caller, context));
  };
  const hostCalls: HostCallHandler = tracing === undefined ? filtered : (op, request, caller, context) => tracing.hostCall(op, caller, context, () => filtered(op, request, caller, context));

  const onBatch = (ops: MainOp[]): void => {
    for (const op of ops) {
      switch (op[0]) {
        case ToMain.Reply:
        case ToMain.State:
        case ToMain.Stats:
        case ToMain.Spawned:
          pending.answer(op[1], op[2], op[3]);
          break;
        case ToMain.Stopped:
          pending.answer(op[1], null, undefined);
          break;
        case ToMain.Crashed: {
          const [, actorId, code, message] = op;
          const actor = host.forget(actorId);
          const error = new ActorCrashedError(code as ErrorCode, actorId, message);
          if (actor !== undefined) listeners.reportCrash({ actorId, module: actor.module, worker: actor.link.index, error });
          break;
        }
        case ToMain.Route: {
          const [, to, type, payload, from] = op;
          try {
            host.route(to, type, payload, from);
          } catch {
            // a send to an actor that is gone is dropped, as a send to a dead process is
          }
          break;
        }
      }
    }
  };

  const onExit = (link: WorkerLink, error: Error | undefined): void => {
    if (host.isClosed()) return;
    // A worker died (not an actor: those are caught inside it). Its actors are gone.
    const reason = error?.message ?? 'the worker thread exited';
    for (const actorId of [...link.actors]) {
      const actor = host.forget(actorId)!;
      const crash = new ActorCrashedError(ErrorCode.ActorTrapped, actorId, `worker ${link.index} died: ${reason}`);
      listeners.reportCrash({ actorId, module: actor.module, worker: link.index, error: crash });
    }
    pending.failLink(link, reason);
  };

  return { hostCalls, onBatch, onLog: (entry) => listeners.receiveLog(entry), onExit };
}
