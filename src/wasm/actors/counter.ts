// A stateful counter: "inc" adds the payload's decimal value (default 1) and
// replies with the count, "add1" adds one and replies nothing, "get" replies
// with the count. State survives across messages.
import { readString, replyString } from "../assembly/plex";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

let count: i64 = 0;

export function plex_init(ptr: usize, len: i32): i32 {
  const config = readString(ptr, len);
  if (config.length > 0) count = I64.parseInt(config);
  return 0;
}

// "add1" adds one and replies nothing: the cheap message for throughput runs.
const ADD1: u32 = 0x31646461; // "add1", little-endian

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  if (typeLen == 4 && load<u32>(typePtr) == ADD1) {
    count++;
    return 0;
  }
  const type = readString(typePtr, typeLen);
  if (type == "inc") {
    count += payloadLen > 0 ? I64.parseInt(readString(payloadPtr, payloadLen)) : 1;
    return replyString(count.toString());
  }
  if (type == "get") return replyString(count.toString());
  return -1;
}

export function plex_get_state(): i32 {
  return replyString(count.toString());
}

export function plex_set_state(ptr: usize, len: i32): i32 {
  count = I64.parseInt(readString(ptr, len));
  return 0;
}
