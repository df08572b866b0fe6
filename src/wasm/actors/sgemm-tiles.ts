// SGEMM whose operands arrive as message bytes, for a shard group whose shards
// may run on other nodes (`plexspaces run matmul --cluster`, bench cluster):
// nothing is shared but the messages. The kernel is assembly/sgemm-kernel.ts,
// the one the shared-memory kernel runs.
//
//   "load-b"  payload [k: u32, n: u32, B: f32[k·n]]   keeps B (row-major); → u32 k·n
//   "tile"    payload [row: u32, m: u32, A: f32[m·k]] → [row: u32, m: u32, C: f32[m·n]],
//             C = A·B for those m rows of A (B loaded first)
//   "take-tile" payload [job: u32] → u32 1 or 0: the Linda worker (`run matmul --cluster --mode
//             linda`). Takes one ("tile", row, m, job, A rows as bytes) from the tuple space — the
//             cluster's, shared by every node — computes those rows of C and writes ("c", row, m, job,
//             C rows as bytes); 0 when no tile of the job is left. Tuples cross the host call as JSON,
//             bytes as {"$bytes": "<base64>"} (src/tuple/json.ts).
//
// Buffers grow as needed and are reused: one shard holds one B. Built twice, like the
// shared kernel: plain SIMD128 and, through the kernel's ASC_FEATURE_RELAXED_SIMD, with
// relaxed SIMD (fused multiply-add), which the drivers pick where the engine has it.
import { decode, encode, encodedLength } from "../assembly/base64";
import { callBytes, isType, OP_TS_TAKE, OP_TS_WRITE, replyBuffer, resultInto } from "../assembly/plex";
import { sgemm, sgemm_work_bytes } from "../assembly/sgemm-kernel";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

let bPtr: usize = 0;
let bCap: usize = 0;
let bK: i32 = 0;
let bN: i32 = 0;
let workPtr: usize = 0;

export function plex_init(ptr: usize, len: i32): i32 {
  return 0;
}

/** 16-byte aligned room for `bytes`, reusing `ptr` when it is big enough. */
function grow(ptr: usize, cap: usize, bytes: usize): usize {
  if (bytes <= cap) return ptr;
  if (ptr != 0) heap.free(ptr);
  return heap.alloc(bytes + 16);
}

function aligned(ptr: usize): usize {
  return (ptr + 15) & ~(<usize>15);
}

// The Linda worker's buffers: a tuple's JSON (in, then out), a tile's A rows and its C rows.
let textPtr: usize = 0;
let textCap: usize = 0;
let aPtr: usize = 0;
let aCap: usize = 0;
let cPtr: usize = 0;
let cCap: usize = 0;

// A cursor over the JSON of a taken tuple.
let at: usize = 0;
let end: usize = 0;

function skipSpace(): void {
  while (at < end) {
    const c = load<u8>(at);
    if (c != 32 && c != 9 && c != 10 && c != 13) return;
    at++;
  }
}

/** Consumes `text` (after any spaces); false when it is not there. */
function literal(text: string): bool {
  skipSpace();
  const n = <usize>text.length;
  if (at + n > end) return false;
  for (let i: usize = 0; i < n; i++) {
    if (<i32>load<u8>(at + i) != text.charCodeAt(<i32>i)) return false;
  }
  at += n;
  return true;
}

/** A non-negative integer (a JSON number without fraction or exponent), or -1. */
function integer(): i64 {
  skipSpace();
  let value: i64 = 0;
  const start = at;
  while (at < end && load<u8>(at) >= 48 && load<u8>(at) <= 57 && at - start < 10) {
    value = value * 10 + <i64>(load<u8>(at) - 48);
    at++;
  }
  return at == start ? -1 : value;
}

function writeAscii(dst: usize, text: string): usize {
  for (let i = 0; i < text.length; i++) store<u8>(dst + <usize>i, <u8>text.charCodeAt(i));
  return <usize>text.length;
}

/** One tile of job `job` from the space, computed and written back: 1; none left: 0; a bad tuple or host error: -1. */
function takeTile(job: u32): i32 {
  const pattern = String.UTF8.encode(`["tile",null,null,${job},null]`);
  const n = callBytes(OP_TS_TAKE, changetype<usize>(pattern), pattern.byteLength);
  if (n < 0) return -1;
  if (n == 0) return 0;
  textPtr = grow(textPtr, textCap, <usize>n);
  if (<usize>n > textCap) textCap = <usize>n;
  resultInto(textPtr);
  at = textPtr;
  end = textPtr + <usize>n;
  if (!literal('["tile"') || !literal(",")) return -1;
  const row = integer();
  if (row < 0 || !literal(",")) return -1;
  const m = integer();
  if (m <= 0 || !literal(",")) return -1;
  if (integer() != <i64>job || !literal(",") || !literal('{"$bytes"') || !literal(":") || !literal('"')) return -1;
  const text = at;
  while (at < end && load<u8>(at) != 34) at++; // the closing quote
  if (at >= end) return -1;
  const aBytes = <usize>m * <usize>bK * 4;
  if (<i32>row + <i32>m > bK || (at - text) != encodedLength(aBytes)) return -1;
  aPtr = grow(aPtr, aCap, aBytes);
  if (aBytes > aCap) aCap = aBytes;
  if (decode(text, at - text, aligned(aPtr)) != <i32>aBytes) return -1;

  const cBytes = <usize>m * <usize>bN * 4;
  cPtr = grow(cPtr, cCap, cBytes);
  if (cBytes > cCap) cCap = cBytes;
  sgemm(<i32>m, bN, bK, aligned(aPtr), bK, aligned(bPtr), bN, aligned(cPtr), bN, workPtr);

  const head = `["c",${row},${m},${job},{"$bytes":"`;
  const outBytes = <usize>head.length + encodedLength(cBytes) + 3;
  textPtr = grow(textPtr, textCap, outBytes);
  if (outBytes > textCap) textCap = outBytes;
  let out = textPtr + writeAscii(textPtr, head);
  out += encode(aligned(cPtr), cBytes, out);
  out += writeAscii(out, '"}]');
  return callBytes(OP_TS_WRITE, textPtr, <i32>(out - textPtr)) < 0 ? -1 : 1;
}

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  if (isType(typePtr, typeLen, "load-b")) {
    if (payloadLen < 8) return -1;
    const k = <i32>load<u32>(payloadPtr);
    const n = <i32>load<u32>(payloadPtr, 4);
    const bytes = <usize>k * <usize>n * 4;
    if (k <= 0 || n <= 0 || <usize>payloadLen != 8 + bytes) return -1;
    bPtr = grow(bPtr, bCap, bytes);
    if (bytes > bCap) bCap = bytes;
    memory.copy(aligned(bPtr), payloadPtr + 8, bytes);
    bK = k;
    bN = n;
    if (workPtr == 0) workPtr = heap.alloc(<usize>sgemm_work_bytes() + 16);
    store<u32>(replyBuffer(4), <u32>(k * n));
    return 4;
  }
  if (isType(typePtr, typeLen, "tile")) {
    if (bK == 0 || payloadLen < 8) return -1;
    const row = load<u32>(payloadPtr);
    const m = <i32>load<u32>(payloadPtr, 4);
    if (m <= 0 || <usize>payloadLen != 8 + <usize>m * <usize>bK * 4) return -1;
    // A is read where the message lies and C written straight into the reply (wasm loads and stores need no alignment).
    const length = <i32>(8 + <usize>m * <usize>bN * 4);
    const out = replyBuffer(length);
    store<u32>(out, row);
    store<u32>(out, <u32>m, 4);
    sgemm(m, bN, bK, payloadPtr + 8, bK, aligned(bPtr), bN, out + 8, bN, workPtr);
    return length;
  }
  if (isType(typePtr, typeLen, "take-tile")) {
    if (bK == 0 || payloadLen != 4) return -1;
    const taken = takeTile(load<u32>(payloadPtr));
    if (taken < 0) return -1;
    store<u32>(replyBuffer(4), <u32>taken);
    return 4;
  }
  return -1;
}
