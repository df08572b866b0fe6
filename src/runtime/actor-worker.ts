/**
 * Worker-thread entry: hosts the actors placed on this worker.
 *
 * Concurrency rule: this thread runs one handler at a time. Messages for
 * its actors arrive in batches (from the main thread and straight from
 * other workers) and are handled in arrival order per sender; a message one
 * actor sends to another actor on this worker is queued behind the current
 * batch, never run re-entrantly. Replies and crash reports go back to the
 * main thread, and sends to other workers' actors go straight to those
 * workers, batched once the current batch is done.
 *
 * The thread never returns to its event loop: it drains its ports with
 * `receiveMessageOnPort`, then spins briefly and sleeps in `Atomics.wait` on
 * its doorbell (see WorkerInit). That wakes it in microseconds instead of
 * the tens of microseconds an idle event loop takes.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { ErrorCode } from '../errors.js';
import { resolveActorRef } from './actor-address.js';
import { ActorFault, ActorInstance, type InstanceHost, type ModuleSetup } from './actor-instance.js';
import { HostOp, HostStatus } from './core-abi.js';
import { ComponentActor, type ComponentServices, type ComponentSetup } from './component-actor.js';
import { HostCallClient } from './host-call-channel.js';
import { readSendBatch, SendBatchWriter } from './send-batch.js';
import { enableWasmFeatures } from './wasm-features.js';
import {
  decodeBatch,
  encodeBatch,
  fromUtf8,
  ring,
  SpawnFlag,
  ToMain,
  ToWorker,
  utf8,
  utf8Of,
  type MainOp,
  type ActorFigures,
  type WorkerInit,
  type WorkerOp,
  type WorkerSetup,
} from './protocol.js';

enableWasmFeatures();
const init = workerData as WorkerInit;
const port: MessagePort = parentPort!;
const toMain: MessagePort = init.toMain;
const channels = init.channels.map((buffer) => new HostCallClient(buffer));
/** How many host calls are waiting on this thread's stack; the next call takes the channel of that level. */
let callDepth = 0;

/**
 * A host call on the channel of the current nesting level; the status and a
 * copy of the answer (the failure text for a negative status).
 */
function callMain(op: number, request: Uint8Array, caller: string): { status: number; bytes: Uint8Array } {
  const client = channels[Math.min(callDepth, channels.length - 1)];
  callDepth++;
  try {
    const status = client.call(op, request, caller, currentContext);
    return { status, bytes: (status >= 0 ? client.result(status) : client.failureText()).slice() };
  } finally {
    callDepth--;
  }
}
const modules = new Map<string, ModuleSetup | ComponentSetup>();
const memories = new Map<string, WebAssembly.Memory>();
const actors = new Map<string, ActorInstance | ComponentActor>();
/** Actors here whose messages must go through the main thread (facets, journal), even from a neighbour. */
const intercepted = new Set<string>();
/** Actors here whose sends and clock go through the main thread (the journal records them). */
const journaled = new Set<string>();
/** The ask id of the message being handled (0 for a tell): host calls carry it so the main thread can journal per message. */
let currentContext = 0;
/**
 * Actors in a handler right now. More than one when a handler waits on a
 * host call (an `ask`) and the worker meanwhile handles messages to its
 * other actors; a message to a busy actor waits in `deferred`, so each
 * actor still handles one message at a time, in order.
 */
const busy = new Set<string>();
const deferred: [string, string, Uint8Array, number, string][] = [];
/** Deferred messages per actor: later messages to it queue behind them. */
const deferredCount = new Map<string, number>();
const local: [string, string, Uint8Array, string][] = [];
let outgoing: MainOp[] = [];
const doorbells = new Int32Array(init.doorbells);
const peers = init.peers;
/** Which worker hosts each actor, as far as the main thread has told us. */
const placement = new Map<string, number>();
/** Sends to actors on other workers, per worker, until the end of the batch. */
const toPeers = peers.map(() => new SendBatchWriter());

const host: InstanceHost = {
  hostCall(instance, op, request) {
    switch (op) {
      case HostOp.SelfId:
        instance.lastResult = utf8.encode(instance.id);
        return instance.lastResult.byteLength;
      case HostOp.Sender:
        instance.lastResult = utf8.encode(instance.sender);
        return instance.lastResult.byteLength;
      default: {
        if (op === HostOp.Send && !journaled.has(instance.id)) return send(instance.id, request);
        // A journaled actor's sends go to the main thread too, which records them.
        // Everything else is served by the main thread; this blocks only this worker.
        const { status, bytes } = callMain(op, request, instance.id);
        if (status >= 0) instance.lastResult = bytes;
        return status;
      }
    }
  },
  log(actorId, level, message) {
    port.postMessage({ log: { actorId, level, message } });
  },
  nowMs(instance) {
    if (!journaled.has(instance.id)) return Date.now();
    const { status, bytes } = callMain(HostOp.NowMs, new Uint8Array(0), instance.id);
    return status >= 0 ? Number(fromUtf8.decode(bytes)) : Date.now();
  },
};

const componentServices: ComponentServices = {
  call(op, request, caller) {
    const { status, bytes } = callMain(op, request, caller);
    return { status, result: fromUtf8.decode(bytes) };
  },
  send(from, to, type, payload) {
    const head = utf8.encode(`${to}\n${type}\n`);
    const request = new Uint8Array(head.byteLength + payload.byteLength);
    request.set(head, 0);
    request.set(payload, head.byteLength);
    return send(from, request);
  },
  log: (actorId, level, message) => host.log(actorId, level, message),
};

/** `to\ntype\npayload`: delivered after the current batch, locally or through the main thread. */
function send(from: string, request: Uint8Array): number {
  let first = request.indexOf(10);
  let second = first < 0 ? -1 : request.indexOf(10, first + 1);
  if (second < 0) return HostStatus.Error;
  let to = recipient(request, first);
  const resolved = sendTarget(from, to);
  if (resolved === undefined) return HostStatus.Error;
  if (resolved !== to) {
    // A relative name: the request carries the resolved id from here on.
    const head = utf8.encode(resolved);
    const rewritten = new Uint8Array(head.byteLength + request.byteLength - first);
    rewritten.set(head, 0);
    rewritten.set(request.subarray(first), head.byteLength);
    second += head.byteLength - first;
    first = head.byteLength;
    request = rewritten;
    to = resolved;
  }
  if (!actors.has(to) && !intercepted.has(to)) {
    const worker = placement.get(to);
    if (worker !== undefined && peers[worker] !== null) {
      toPeers[worker].append(utf8Of(from), request);
      return 0;
    }
  }
  const text = Buffer.from(request.buffer, request.byteOffset, second);
  const type = text.toString('utf8', first + 1, second);
  const payload = request.slice(second + 1);
  if (actors.has(to) && !intercepted.has(to)) local.push([to, type, payload, from]);
  // Not known yet (just spawned) or gone: the main thread knows.
  else outgoing.push([ToMain.Route, to, type, payload, from]);
  return 0;
}

/**
 * Where a send from `from` to `to` goes (actor-address.ts: relative names
 * in the sender's scope, never another tenant's actors), or undefined for a
 * refused send. Workers deliver sends between actors themselves, without
 * the main thread, so the tenant check must be here too. Remembered for the
 * last pair: an actor sending in a loop asks the same question.
 */
let lastSendFrom = '';
let lastSendTo = '';
let lastSendTarget: string | undefined = '';
function sendTarget(from: string, to: string): string | undefined {
  if (from === lastSendFrom && to === lastSendTo) return lastSendTarget;
  let target: string | undefined;
  try {
    target = resolveActorRef(from, to);
  } catch (error) {
    port.postMessage({ log: { actorId: from, level: 2, message: `send refused: ${(error as Error).message}` } });
    target = undefined;
  }
  lastSendFrom = from;
  lastSendTo = to;
  lastSendTarget = target;
  return target;
}

/**
 * The recipient id of a send request, decoded once per run of sends to the
 * same actor: an actor sending in a loop repeats the same bytes.
 */
let lastRecipientBytes = new Uint8Array(0);
let lastRecipient = '';
function recipient(request: Uint8Array, length: number): string {
  if (length === lastRecipientBytes.byteLength) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (request[i] !== lastRecipientBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastRecipient;
  }
  lastRecipientBytes = request.slice(0, length);
  lastRecipient = Buffer.from(lastRecipientBytes.buffer, 0, length).toString('utf8');
  return lastRecipient;
}


function deliver(actorId: string, type: string, payload: Uint8Array, replyId: number, from: string): void {
  if (busy.has(actorId) || deferredCount.has(actorId)) {
    deferred.push([actorId, type, payload, replyId, from]);
    deferredCount.set(actorId, (deferredCount.get(actorId) ?? 0) + 1);
    return;
  }
  deliverNow(actorId, type, payload, replyId, from);
}

function deliverNow(actorId: string, type: string, payload: Uint8Array, replyId: number, from: string): void {
  const actor = actors.get(actorId);
  if (actor === undefined) {
    if (replyId !== 0) outgoing.push([ToMain.Reply, replyId, ErrorCode.ActorNotFound, `no actor ${actorId} on this worker`]);
    return;
  }
  const outerContext = currentContext;
  currentContext = replyId;
  busy.add(actorId);
  try {
    actor.handled++;
    const reply = actor.handle(type, payload, replyId !== 0, from);
    if (replyId !== 0) {
      outgoing.push(
        reply === null
          ? [ToMain.Reply, replyId, ErrorCode.ActorFailed, `actor ${actorId} could not handle ${JSON.stringify(type)} (negative status)`]
          : [ToMain.Reply, replyId, null, reply],
      );
    }
  } catch (error) {
    const fault = error instanceof ActorFault ? error : new ActorFault(ErrorCode.ActorTrapped, String(error));
    forgetActor(actorId);
    outgoing.push([ToMain.Crashed, actorId, fault.code, fault.message]);
    if (replyId !== 0) outgoing.push([ToMain.Reply, replyId, fault.code, fault.message]);
  } finally {
    busy.delete(actorId);
    currentContext = outerContext;
  }
}

/** Delivers deferred messages whose actors are free again, each actor's in arrival order. */
function runDeferred(): boolean {
  let ran = false;
  for (;;) {
    // The first entry whose actor is free; an actor seen busy keeps all its later entries waiting too.
    const skipped = new Set<string>();
    let index = -1;
    for (let i = 0; i < deferred.length; i++) {
      const actorId = deferred[i][0];
      if (busy.has(actorId) || skipped.has(actorId)) {
        skipped.add(actorId);
        continue;
      }
      index = i;
      break;
    }
    if (index < 0) return ran;
    const [actorId, type, payload, replyId, from] = deferred.splice(index, 1)[0];
    const left = deferredCount.get(actorId)! - 1;
    if (left === 0) deferredCount.delete(actorId);
    else deferredCount.set(actorId, left);
    deliverNow(actorId, type, payload, replyId, from);
    // Out at once: a query answered between two workflow steps must not wait for the next step.
    flush();
    ran = true;
  }
}

function forgetActor(actorId: string): void {
  actors.delete(actorId);
  intercepted.delete(actorId);
  journaled.delete(actorId);
}

function apply(op: WorkerOp): void {
  switch (op[0]) {
    case ToWorker.Message:
      deliver(op[1], op[2], op[3], op[4], op[5]);
      break;
    case ToWorker.Spawn: {
      const [, requestId, actorId, moduleName, config, memoryId, slotBase, flags] = op;
      const spec = modules.get(moduleName);
      if (spec === undefined) {
        outgoing.push([ToMain.Spawned, requestId, ErrorCode.ModuleNotFound, `module ${moduleName} is not on worker ${init.index}`]);
        break;
      }
      try {
        const actor =
          spec.setup === 'component'
            ? new ComponentActor(actorId, spec, componentServices, init.watchdogMs, (flags & SpawnFlag.Journaled) !== 0)
            : new ActorInstance(actorId, spec, host, init.watchdogMs, memoryId === null ? undefined : memories.get(memoryId), slotBase);
        // Flags first: init may already send or read the clock.
        if ((flags & SpawnFlag.Intercepted) !== 0) intercepted.add(actorId);
        if ((flags & SpawnFlag.Journaled) !== 0) journaled.add(actorId);
        actor.init(config);
        actors.set(actorId, actor);
        outgoing.push([ToMain.Spawned, requestId, null, '']);
      } catch (error) {
        const fault = error instanceof ActorFault ? error : new ActorFault(ErrorCode.ActorFailed, (error as Error).message);
        outgoing.push([ToMain.Spawned, requestId, fault.code, fault.message]);
      }
      break;
    }
    case ToWorker.Placement:
      if (op[2] < 0) placement.delete(op[1]);
      else placement.set(op[1], op[2]);
      break;
    case ToWorker.Stop:
      forgetActor(op[2]);
      outgoing.push([ToMain.Stopped, op[1]]);
      break;
    case ToWorker.SetState: {
      const [, requestId, actorId, state] = op;
      const actor = actors.get(actorId);
      if (actor === undefined) {
        outgoing.push([ToMain.State, requestId, ErrorCode.ActorNotFound, `no actor ${actorId}`]);
        break;
      }
      try {
        outgoing.push(actor.setState(state) ? [ToMain.State, requestId, null, new Uint8Array(0)] : [ToMain.State, requestId, ErrorCode.ActorFailed, 'the actor has no set-state export or refused the state']);
      } catch (error) {
        const fault = error as ActorFault;
        forgetActor(actorId);
        outgoing.push([ToMain.Crashed, actorId, fault.code, fault.message], [ToMain.State, requestId, fault.code, fault.message]);
      }
      break;
    }
    case ToWorker.Stats:
      outgoing.push([ToMain.Stats, op[1], null, [...actors].map(([id, actor]) => [id, actor.handled, actor.memoryBytes] as ActorFigures)]);
      break;
    case ToWorker.GetState: {
      const actor = actors.get(op[2]);
      if (actor === undefined) {
        outgoing.push([ToMain.State, op[1], ErrorCode.ActorNotFound, `no actor ${op[2]}`]);
        break;
      }
      try {
        const state = actor.getState();
        outgoing.push(state === null ? [ToMain.State, op[1], ErrorCode.ActorFailed, 'the actor exports no state snapshot'] : [ToMain.State, op[1], null, state]);
      } catch (error) {
        const fault = error as ActorFault;
        forgetActor(op[2]);
        outgoing.push([ToMain.Crashed, op[2], fault.code, fault.message], [ToMain.State, op[1], fault.code, fault.message]);
      }
      break;
    }
  }
}

function flush(): void {
  for (let i = 0; i < toPeers.length; i++) {
    if (toPeers[i].isEmpty) continue;
    const sends = toPeers[i].take();
    peers[i]!.postMessage({ sends }, [sends.buffer as ArrayBuffer]);
    ring(doorbells, i);
  }
  if (outgoing.length === 0) return;
  const batch = outgoing;
  outgoing = [];
  const bytes = encodeBatch(batch);
  toMain.postMessage(bytes, [bytes.buffer]);
}

function receive(message: Uint8Array | WorkerSetup | { sends: Uint8Array }): void {
  if ('sends' in message) {
    readSendBatch(message.sends, (from, to, type, payload) => deliver(to, type, payload, 0, from));
    return;
  }
  if (message instanceof Uint8Array) {
    for (const op of decodeBatch<WorkerOp>(message)) apply(op);
    return;
  }
  switch (message.setup) {
    case 'module':
    case 'component':
      modules.set(message.name, message);
      break;
    case 'memory':
      memories.set(message.id, message.memory);
      break;
  }
}

/**
 * Local sends made while handling: runs the ones queued so far, in order.
 * Sends those make wait for the next turn of the loop, after the ports were
 * drained again, so an actor that keeps messaging itself (a workflow
 * stepping, a ping-pong pair) cannot starve messages from outside — a query
 * gets answered between two steps.
 */
function runLocalSends(): void {
  if (local.length === 0) return;
  const batch = local.splice(0);
  for (const [to, type, payload, from] of batch) deliver(to, type, payload, 0, from);
}

/** Drains every port once; true when anything arrived. */
function drain(): boolean {
  let any = false;
  // Replies go out after each batch, not after everything queued: a quick answer must not wait behind a long handler that came later.
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    receive(m.message);
    flush();
    any = true;
  }
  for (const peer of peers) {
    if (peer === null) continue;
    for (let m = receiveMessageOnPort(peer); m !== undefined; m = receiveMessageOnPort(peer)) {
      receive(m.message);
      flush();
      any = true;
    }
  }
  return any;
}

/**
 * While a handler waits on a host call, handle what arrived for the other
 * actors here (an `ask` to a neighbour needs the neighbour to run) and send
 * their replies at once.
 */
const whileWaiting = () => {
  drain();
  let any = runDeferred();
  if (local.length > 0) {
    runLocalSends();
    any = true;
  }
  if (any) flush();
};
// Every level but the last lets the worker run other actors while it waits; their calls use the next level.
for (const client of channels.slice(0, -1)) client.whileWaiting = whileWaiting;

const SPIN_ITERATIONS = 5_000;
let seen = Atomics.load(doorbells, init.index);
for (;;) {
  if (drain()) continue;
  if (runDeferred()) {
    flush();
    continue;
  }
  if (local.length > 0) {
    runLocalSends();
    flush();
    continue;
  }
  const now = Atomics.load(doorbells, init.index);
  if (now !== seen) {
    seen = now;
    continue;
  }
  let rung = false;
  for (let i = 0; i < SPIN_ITERATIONS && !rung; i++) rung = Atomics.load(doorbells, init.index) !== seen;
  if (!rung) Atomics.wait(doorbells, init.index, seen);
  seen = Atomics.load(doorbells, init.index);
}
