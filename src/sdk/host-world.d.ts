/**
 * The host interface of the `plexspaces:simple-actor@0.1.0` world as
 * componentize-js exposes it to JavaScript (kebab-case names become
 * camelCase; u64 is bigint). Only resolvable inside a component.
 */
declare module 'plexspaces:simple-actor/host@0.1.0' {
  export function send(to: string, msgType: string, payloadJson: string): string;
  export function ask(to: string, msgType: string, payloadJson: string, timeoutMs: bigint): string;
  export function spawn(moduleRef: string, actorId: string, initConfigJson: string): string;
  export function stop(actorId: string): string;
  export function selfId(): string;
  export function link(actorId: string): string;
  export function monitor(actorId: string): string;
  export function sendAfter(delayMs: bigint, msgType: string, payloadJson: string): string;
  export function pgJoin(groupName: string): string;
  export function pgBroadcast(groupName: string, msgType: string, payloadJson: string): string;
  export function kvGet(key: string): string;
  export function kvPut(key: string, value: string): string;
  export function kvDelete(key: string): string;
  export function kvList(prefix: string): string;
  export function tsWrite(tupleJson: string): string;
  export function tsRead(patternJson: string): string;
  export function tsTake(patternJson: string): string;
  export function tsReadAll(patternJson: string): string;
  export function lockAcquire(tenantId: string, namespace: string, holderId: string, lockName: string, leaseDurationSecs: number, timeoutMs: bigint): string;
  export function lockRelease(lockId: string, tenantId: string, namespace: string, holderId: string, lockVersion: string): string;
  export function blobUpload(blobId: string, data: string, contentType: string): string;
  export function blobDownload(blobId: string): string;
  export function log(level: string, message: string): void;
  export function nowMs(): bigint;
}

/** The coordination interface (wit/coordination.wit, world `full-actor-world`). u64 arguments are passed as numbers (see u64 in actor.ts). */
declare module 'plexspaces:simple-actor/coordination@0.1.0' {
  export function channelSend(channel: string, messageJson: string, timeoutMs: bigint): string;
  export function channelReceive(channel: string, timeoutMs: bigint): string;
  export function channelAck(channel: string, deliveryId: bigint): string;
  export function channelNack(channel: string, deliveryId: bigint, requeue: boolean): string;
  export function pgJoinTopics(groupName: string, topicsJson: string): string;
  export function pgPublish(groupName: string, topic: string, msgType: string, payloadJson: string): string;
  export function pgLeave(groupName: string): string;
  export function pgMembers(groupName: string): string;
  export function sendInterval(intervalMs: bigint, msgType: string, payloadJson: string): string;
  export function cancelTimer(timerId: string): string;
  export function unlink(actorId: string): string;
  export function demonitor(monitorRef: string): string;
  export function kvPutTtl(key: string, value: string, ttlMs: bigint): string;
}

// The per-capability interfaces of wit/platform (package plexspaces:platform@0.1.0).
declare module 'plexspaces:platform/messaging@0.1.0' {
  export function send(to: string, msgType: string, payloadJson: string): string;
  export function ask(to: string, msgType: string, payloadJson: string, timeoutMs: bigint): string;
  export function spawn(moduleRef: string, actorId: string, initConfigJson: string): string;
  export function stop(actorId: string): string;
  export function selfId(): string;
  export function link(actorId: string): string;
  export function unlink(actorId: string): string;
  export function monitor(actorId: string): string;
  export function demonitor(monitorRef: string): string;
}
declare module 'plexspaces:platform/logging@0.1.0' {
  export function log(level: string, message: string): void;
  export function nowMs(): bigint;
}
declare module 'plexspaces:platform/tuple-space@0.1.0' {
  export function write(tupleJson: string): string;
  export function read(templateJson: string): string;
  export function take(templateJson: string): string;
  export function readAll(templateJson: string): string;
  export function takeWait(templateJson: string, timeoutMs: bigint): string;
  export function evalTuple(tupleJson: string, onError: string, timeoutMs: bigint): string;
}
declare module 'plexspaces:platform/channels@0.1.0' {
  export function send(channel: string, messageJson: string, timeoutMs: bigint): string;
  export function receive(channel: string, timeoutMs: bigint): string;
  export function ack(channel: string, deliveryId: bigint): string;
  export function nack(channel: string, deliveryId: bigint, requeue: boolean): string;
  export function subscribe(topic: string): string;
  export function unsubscribe(topic: string): string;
  export function publish(topic: string, msgType: string, payloadJson: string): string;
}
declare module 'plexspaces:platform/durability@0.1.0' {
  export function checkpoint(): string;
  export function isReplaying(): boolean;
  export function messageSeq(): bigint;
  export function nowMs(): bigint;
}
declare module 'plexspaces:platform/workflow@0.1.0' {
  export function signal(workflowId: string, signalName: string, payloadJson: string): string;
  export function query(workflowId: string, queryName: string, payloadJson: string, timeoutMs: bigint): string;
  export function startTimer(delayMs: bigint, msgType: string, payloadJson: string): string;
  export function startInterval(intervalMs: bigint, msgType: string, payloadJson: string): string;
  export function cancelTimer(timerId: string): string;
}
declare module 'plexspaces:platform/key-value@0.1.0' {
  export function get(key: string): string;
  export function put(key: string, value: string): string;
  export function putTtl(key: string, value: string, ttlMs: bigint): string;
  export function remove(key: string): string;
  export function keys(prefix: string): string;
}
declare module 'plexspaces:platform/blobs@0.1.0' {
  export function upload(blobId: string, data: string, contentType: string): string;
  export function download(blobId: string): string;
}
declare module 'plexspaces:platform/locks@0.1.0' {
  export function acquire(lockName: string, holderId: string, leaseDurationSecs: number, timeoutMs: bigint): string;
  export function release(lockName: string, holderId: string, lockVersion: string): string;
}
declare module 'plexspaces:platform/process-groups@0.1.0' {
  export function join(groupName: string, topicsJson: string): string;
  export function leave(groupName: string): string;
  export function broadcast(groupName: string, msgType: string, payloadJson: string): string;
  export function publish(groupName: string, topic: string, msgType: string, payloadJson: string): string;
  export function members(groupName: string): string;
}
declare module 'plexspaces:platform/registry@0.1.0' {
  export function register(service: string, metadataJson: string, ttlMs: bigint): string;
  export function unregister(service: string): string;
  export function lookup(service: string): string;
  export function services(prefix: string): string;
}
declare module 'plexspaces:platform/http-client@0.1.0' {
  export function request(method: string, url: string, headersJson: string, body: string, timeoutMs: bigint): string;
}
declare module 'plexspaces:platform/cron@0.1.0' {
  export function schedule(name: string, cronExpr: string, msgType: string, payloadJson: string): string;
  export function cancel(name: string): string;
  export function schedules(): string;
}
