// The PlexSpaces core-module ABI, AssemblyScript side (see docs/core-abi.md).
//
// The host writes a message into a buffer it gets from `plex_alloc`, calls
// `plex_handle`, and reads the reply from `plex_reply_ptr()` for the length
// `plex_handle` returned. Host calls go through the single `plex.call`
// import; a result is copied out with `plex.result`.

@external("plex", "call")
declare function hostCall(op: i32, ptr: usize, len: i32): i32;
@external("plex", "result")
declare function hostResult(dst: usize): void;
@external("plex", "log")
declare function hostLog(level: i32, ptr: usize, len: i32): void;
@external("plex", "now_ms")
declare function hostNowMs(): f64;

export const OP_TS_WRITE: i32 = 1;
export const OP_TS_READ: i32 = 2;
export const OP_TS_TAKE: i32 = 3;
export const OP_TS_READ_ALL: i32 = 4;
export const OP_SEND: i32 = 5;
export const OP_ASK: i32 = 6;
export const OP_SELF_ID: i32 = 7;
export const OP_TS_TAKE_WAIT: i32 = 8;
export const OP_SPAWN: i32 = 9;
export const OP_STOP: i32 = 10;
// Coordination layer (src/runtime/core-abi.ts documents each request's fields).
export const OP_LINK: i32 = 11;
export const OP_MONITOR: i32 = 12;
export const OP_SEND_AFTER: i32 = 13;
export const OP_PG_JOIN: i32 = 14;
export const OP_PG_BROADCAST: i32 = 15;
export const OP_KV_GET: i32 = 16;
export const OP_KV_PUT: i32 = 17;
export const OP_KV_DELETE: i32 = 18;
export const OP_KV_LIST: i32 = 19;
export const OP_LOCK_ACQUIRE: i32 = 20;
export const OP_LOCK_RELEASE: i32 = 21;
export const OP_BLOB_UPLOAD: i32 = 22;
export const OP_BLOB_DOWNLOAD: i32 = 23;
export const OP_UNLINK: i32 = 24;
export const OP_DEMONITOR: i32 = 25;
export const OP_CANCEL_TIMER: i32 = 26;
export const OP_PG_LEAVE: i32 = 27;
export const OP_PG_MEMBERS: i32 = 28;
export const OP_CHANNEL_SEND: i32 = 29;
export const OP_CHANNEL_RECEIVE: i32 = 30;
export const OP_CHANNEL_ACK: i32 = 31;
export const OP_CHANNEL_NACK: i32 = 32;
export const OP_PG_PUBLISH: i32 = 33;
export const OP_SEND_INTERVAL: i32 = 34;

let inputPtr: usize = 0;
let inputCap: i32 = 0;
let replyPtr: usize = 0;
let replyCap: i32 = 0;

/** The host asks for room for `size` input bytes; one buffer, reused. */
export function plex_alloc(size: i32): usize {
  if (size > inputCap) {
    if (inputPtr != 0) heap.free(inputPtr);
    inputCap = size < 256 ? 256 : size;
    inputPtr = heap.alloc(<usize>inputCap);
  }
  return inputPtr;
}

export function plex_reply_ptr(): usize {
  return replyPtr;
}

/** Copies `bytes` into the reply buffer and returns the length for `plex_handle` to return. */
export function reply(bytes: Uint8Array): i32 {
  const n = bytes.length;
  ensureReply(n);
  memory.copy(replyPtr, bytes.dataStart, <usize>n);
  return n;
}

export function replyString(s: string): i32 {
  return reply(Uint8Array.wrap(String.UTF8.encode(s)));
}

/** Reserves `n` reply bytes and returns where to write them. */
export function replyBuffer(n: i32): usize {
  ensureReply(n);
  return replyPtr;
}

function ensureReply(n: i32): void {
  if (n > replyCap) {
    if (replyPtr != 0) heap.free(replyPtr);
    replyCap = n < 256 ? 256 : n;
    replyPtr = heap.alloc(<usize>replyCap);
  }
}

/** Whether the message type at `typePtr` (`typeLen` bytes) is `name` (ASCII), read in place. */
export function isType(typePtr: usize, typeLen: i32, name: string): bool {
  if (typeLen != name.length) return false;
  for (let i = 0; i < typeLen; i++) {
    if (<i32>load<u8>(typePtr + <usize>i) != name.charCodeAt(i)) return false;
  }
  return true;
}

export function readString(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}

/** A host call with a string argument; returns the result as a string, or null on an error code. */
export function call(op: i32, arg: string): string | null {
  const bytes = String.UTF8.encode(arg);
  const n = hostCall(op, changetype<usize>(bytes), bytes.byteLength);
  if (n < 0) return null;
  if (n == 0) return "";
  const out = new ArrayBuffer(n);
  hostResult(changetype<usize>(out));
  return String.UTF8.decode(out);
}

/** A host call on bytes in memory (no string copies: for large tuples); returns the result length or a negative status. */
export function callBytes(op: i32, ptr: usize, len: i32): i32 {
  return hostCall(op, ptr, len);
}

/** Copies the last host call's result (its length is what the call returned) to `dst`. */
export function resultInto(dst: usize): void {
  hostResult(dst);
}

export function log(message: string): void {
  const bytes = String.UTF8.encode(message);
  hostLog(1, changetype<usize>(bytes), bytes.byteLength);
}

export function nowMs(): f64 {
  return hostNowMs();
}
