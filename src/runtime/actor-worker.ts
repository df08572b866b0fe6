/**
 * Worker-thread entry: hosts the actors placed on this worker.
 *
 * Concurrency rule: this thread runs one handler at a time. Messages for
 * its actors arrive in batches and are handled in arrival order; a message
 * one actor sends to another actor on this worker is queued behind the
 * current batch, never run re-entrantly. Replies, crash reports and sends
 * to other workers' actors are batched back to the main thread once the
 * batch is done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCode } from '../errors.js';
import { ActorFault, ActorInstance, type InstanceHost, type ModuleSetup } from './actor-instance.js';
import { HostOp, HostStatus } from './core-abi.js';
import { HostCallClient } from './host-call-channel.js';
import {
  decodeBatch,
  encodeBatch,
  fromUtf8,
  ToMain,
  ToWorker,
  utf8,
  type MainOp,
  type WorkerInit,
  type WorkerOp,
  type WorkerSetup,
} from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const channel = new HostCallClient(init.channel);
const modules = new Map<string, ModuleSetup>();
const memories = new Map<string, WebAssembly.Memory>();
const actors = new Map<string, ActorInstance>();
const local: [string, string, Uint8Array, string][] = [];
let outgoing: MainOp[] = [];

const host: InstanceHost = {
  hostCall(instance, op, request) {
    switch (op) {
      case HostOp.SelfId:
        instance.lastResult = utf8.encode(instance.id);
        return instance.lastResult.byteLength;
      case HostOp.Send:
        return send(instance.id, request);
      default: {
        // Everything else is served by the main thread; this blocks only this worker.
        const status = channel.call(op, request);
        if (status >= 0) instance.lastResult = channel.result(status).slice();
        return status;
      }
    }
  },
  log(actorId, level, message) {
    port.postMessage({ log: { actorId, level, message } });
  },
};

/** `to\ntype\npayload`: delivered after the current batch, locally or through the main thread. */
function send(from: string, request: Uint8Array): number {
  const first = request.indexOf(10);
  const second = first < 0 ? -1 : request.indexOf(10, first + 1);
  if (second < 0) return HostStatus.Error;
  const to = fromUtf8.decode(request.subarray(0, first));
  const type = fromUtf8.decode(request.subarray(first + 1, second));
  const payload = request.slice(second + 1);
  if (actors.has(to)) local.push([to, type, payload, from]);
  else outgoing.push([ToMain.Route, to, type, payload, from]);
  return 0;
}

function deliver(actorId: string, type: string, payload: Uint8Array, replyId: number): void {
  const actor = actors.get(actorId);
  if (actor === undefined) {
    if (replyId !== 0) outgoing.push([ToMain.Reply, replyId, ErrorCode.ActorNotFound, `no actor ${actorId} on this worker`]);
    return;
  }
  try {
    const reply = actor.handle(type, payload);
    if (replyId !== 0) {
      outgoing.push(
        reply === null
          ? [ToMain.Reply, replyId, ErrorCode.ActorFailed, `actor ${actorId} could not handle ${JSON.stringify(type)} (negative status)`]
          : [ToMain.Reply, replyId, null, reply],
      );
    }
  } catch (error) {
    const fault = error instanceof ActorFault ? error : new ActorFault(ErrorCode.ActorTrapped, String(error));
    actors.delete(actorId);
    outgoing.push([ToMain.Crashed, actorId, fault.code, fault.message]);
    if (replyId !== 0) outgoing.push([ToMain.Reply, replyId, fault.code, fault.message]);
  }
}

function apply(op: WorkerOp): void {
  switch (op[0]) {
    case ToWorker.Message:
      deliver(op[1], op[2], op[3], op[4]);
      break;
    case ToWorker.Spawn: {
      const [, requestId, actorId, moduleName, config, memoryId] = op;
      const spec = modules.get(moduleName);
      if (spec === undefined) {
        outgoing.push([ToMain.Spawned, requestId, ErrorCode.ModuleNotFound, `module ${moduleName} is not on worker ${init.index}`]);
        break;
      }
      try {
        const actor = new ActorInstance(actorId, spec, host, init.watchdogMs, memoryId === null ? undefined : memories.get(memoryId));
        actor.init(config);
        actors.set(actorId, actor);
        outgoing.push([ToMain.Spawned, requestId, null, '']);
      } catch (error) {
        const fault = error instanceof ActorFault ? error : new ActorFault(ErrorCode.ActorFailed, (error as Error).message);
        outgoing.push([ToMain.Spawned, requestId, fault.code, fault.message]);
      }
      break;
    }
    case ToWorker.Stop:
      actors.delete(op[2]);
      outgoing.push([ToMain.Stopped, op[1]]);
      break;
    case ToWorker.GetState: {
      const actor = actors.get(op[2]);
      if (actor === undefined) {
        outgoing.push([ToMain.State, op[1], ErrorCode.ActorNotFound, `no actor ${op[2]}`]);
        break;
      }
      try {
        const state = actor.getState();
        outgoing.push(state === null ? [ToMain.State, op[1], ErrorCode.ActorFailed, 'the actor exports no plex_get_state'] : [ToMain.State, op[1], null, state]);
      } catch (error) {
        const fault = error as ActorFault;
        actors.delete(op[2]);
        outgoing.push([ToMain.Crashed, op[2], fault.code, fault.message], [ToMain.State, op[1], fault.code, fault.message]);
      }
      break;
    }
  }
}

function flush(): void {
  if (outgoing.length === 0) return;
  const batch = outgoing;
  outgoing = [];
  port.postMessage(encodeBatch(batch));
}

port.on('message', (message: Uint8Array | WorkerSetup) => {
  if (message instanceof Uint8Array) {
    for (const op of decodeBatch<WorkerOp>(message)) apply(op);
    // Local sends made while handling: run them now, in order, until quiet.
    while (local.length > 0) {
      const batch = local.splice(0);
      for (const [to, type, payload] of batch) deliver(to, type, payload, 0);
    }
    flush();
    return;
  }
  switch (message.setup) {
    case 'module':
      modules.set(message.name, message);
      break;
    case 'memory':
      memories.set(message.id, message.memory);
      break;
  }
});
