// Uses the tuple space through host calls. "put": write the payload (a JSON
// tuple); "get": read the payload (a JSON pattern), "" when nothing matches;
// "take": take it, waiting (the host blocks this actor's worker, never the
// main thread) up to the timeout that follows the pattern after a newline.
import { call, OP_TS_READ, OP_TS_TAKE_WAIT, OP_TS_WRITE, readString, replyString } from "../assembly/plex";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  const type = readString(typePtr, typeLen);
  const payload = readString(payloadPtr, payloadLen);
  let result: string | null = null;
  if (type == "put") result = call(OP_TS_WRITE, payload);
  else if (type == "get") result = call(OP_TS_READ, payload);
  else if (type == "take") result = call(OP_TS_TAKE_WAIT, payload);
  else return -1;
  if (result == null) return replyString("ERROR");
  return replyString(result);
}
