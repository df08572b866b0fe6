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
