// A compute shard with a binary protocol, for ShardGroups whose codec is
// `bytes` (see docs/shard-groups.md). It holds no keyed state, so groups of
// it are created `stateless` and scale without moving data.
//
//   "barrier"  payload [u32 round]         → the same 4 bytes back
//   "collatz"  payload int32[n] (n ≥ 1)    → int32[n]: the Collatz step
//              count of each value (a tiny, data-dependent task)
//   "sum-f64"  payload float64[n]          → float64: their sum
//   "handled"                              → u64: messages this shard handled
import { isType, replyBuffer } from "../assembly/plex";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

let handled: u64 = 0;

export function plex_init(ptr: usize, len: i32): i32 {
  return 0;
}

function collatzSteps(start: i32): i32 {
  if (start < 1) return -1;
  let n: u64 = <u64>start;
  let steps = 0;
  while (n != 1) {
    n = (n & 1) == 0 ? n >> 1 : 3 * n + 1;
    steps++;
  }
  return steps;
}

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  handled++;
  if (isType(typePtr, typeLen, "barrier")) {
    if (payloadLen != 4) return -1;
    store<u32>(replyBuffer(4), load<u32>(payloadPtr));
    return 4;
  }
  if (isType(typePtr, typeLen, "collatz")) {
    if (payloadLen == 0 || (payloadLen & 3) != 0) return -1;
    const n = payloadLen >> 2;
    const out = replyBuffer(payloadLen);
    for (let i = 0; i < n; i++) {
      const at = <usize>i << 2;
      store<i32>(out + at, collatzSteps(load<i32>(payloadPtr + at)));
    }
    return payloadLen;
  }
  if (isType(typePtr, typeLen, "sum-f64")) {
    if ((payloadLen & 7) != 0) return -1;
    let sum: f64 = 0;
    for (let at = 0; at < payloadLen; at += 8) sum += load<f64>(payloadPtr + <usize>at);
    store<f64>(replyBuffer(8), sum);
    return 8;
  }
  if (isType(typePtr, typeLen, "handled")) {
    store<u64>(replyBuffer(8), handled);
    return 8;
  }
  return -1;
}
