// SGEMM whose operands arrive as message bytes, for a shard group whose shards
// may run on other nodes (`plexspaces run matmul --cluster`, bench cluster):
// nothing is shared but the messages. The kernel is assembly/sgemm-kernel.ts,
// the one the shared-memory kernel runs.
//
//   "load-b"  payload [k: u32, n: u32, B: f32[k·n]]   keeps B (row-major); → u32 k·n
//   "tile"    payload [row: u32, m: u32, A: f32[m·k]] → [row: u32, m: u32, C: f32[m·n]],
//             C = A·B for those m rows of A (B loaded first)
//
// Buffers grow as needed and are reused: one shard holds one B. Built twice, like the
// shared kernel: plain SIMD128 and, through the kernel's ASC_FEATURE_RELAXED_SIMD, with
// relaxed SIMD (fused multiply-add), which the drivers pick where the engine has it.
import { isType, replyBuffer } from "../assembly/plex";
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
  return -1;
}
