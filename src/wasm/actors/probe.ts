// A test and teaching actor for the coordination layer.
//   "inc" / "get"   a counter (state that a restart resets)
//   "crash"         traps (an abnormal exit)
//   "call"          payload "op\nrequest": makes host call `op` and replies its result ("ERROR" on failure)
//   "log"           replies every other message received so far, one "type|payload" per line
//   anything else   is recorded for "log" (exit and down signals, timer and group messages)
// Config: "fail-if-kv:<key>" refuses to start while <key> is set in the KV store
// (a supervisor test makes restarts fail with it).
import { call, OP_KV_GET, readString, replyString } from "../assembly/plex";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

let count: i64 = 0;
let received: string[] = [];

export function plex_init(ptr: usize, len: i32): i32 {
  const config = readString(ptr, len);
  if (config.startsWith("fail-if-kv:")) {
    const value = call(OP_KV_GET, config.slice(11));
    if (value != null && value.length > 0) return 1;
  }
  return 0;
}

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  const type = readString(typePtr, typeLen);
  const payload = readString(payloadPtr, payloadLen);
  if (type == "inc") {
    count++;
    return replyString(count.toString());
  }
  if (type == "get") return replyString(count.toString());
  if (type == "crash") unreachable();
  if (type == "call") {
    const newline = payload.indexOf("\n");
    const op = I32.parseInt(newline < 0 ? payload : payload.slice(0, newline));
    const result = call(op, newline < 0 ? "" : payload.slice(newline + 1));
    return replyString(result == null ? "ERROR" : result);
  }
  if (type == "log") return replyString(received.join("\n"));
  received.push(type + "|" + payload);
  return 0;
}

export function plex_get_state(): i32 {
  return replyString(count.toString());
}

export function plex_set_state(ptr: usize, len: i32): i32 {
  count = I64.parseInt(readString(ptr, len));
  return 0;
}
