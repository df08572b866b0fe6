// Sends messages to another actor through the host: "fire" with payload
// "target\ncount" sends `count` "add1" messages to `target`.
// "hostcalls" with payload "count\npattern-json" makes `count` synchronous
// ts-read host calls and replies with how many found a tuple.
import { call, OP_SEND, OP_TS_READ, readString, replyString } from "../assembly/plex";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

@external("plex", "call")
declare function hostCall(op: i32, ptr: usize, len: i32): i32;

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  const type = readString(typePtr, typeLen);
  const payload = readString(payloadPtr, payloadLen);
  const newline = payload.indexOf("\n");
  if (newline < 0) return -1;
  if (type == "fire") {
    const target = payload.substring(0, newline);
    const count = I32.parseInt(payload.substring(newline + 1));
    const message = String.UTF8.encode(target + "\nadd1\n");
    const ptr = changetype<usize>(message);
    const len = message.byteLength;
    for (let i = 0; i < count; i++) hostCall(OP_SEND, ptr, len);
    return replyString(count.toString());
  }
  if (type == "hostcalls") {
    const count = I32.parseInt(payload.substring(0, newline));
    const pattern = payload.substring(newline + 1);
    let found = 0;
    for (let i = 0; i < count; i++) {
      const result = call(OP_TS_READ, pattern);
      if (result != null && result.length > 0) found++;
    }
    return replyString(found.toString());
  }
  return -1;
}
