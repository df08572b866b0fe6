// SGEMM on a shared WebAssembly.Memory: C[m×n] = A[m×k] · B[k×n], float32,
// row-major, leading dimensions in elements, addresses in bytes.
//
// The GotoBLAS/BLIS structure, in v128:
//   for each KC-deep slice of k:   pack B's slice into panels NR columns wide
//     for each MC-tall block of A: pack it into panels MR rows tall
//       for each MR×NR tile of C:  the micro-kernel — MR·NR/4 accumulators
//                                  stay in registers for the whole slice
// Packing makes the micro-kernel read both operands sequentially (B panel:
// KC·NR·4 = 8 KiB stays in L1; A block: MC·KC·4 = 96 KiB in L2).
//
// Why 4×8: V8 (TurboFan, Node 20) keeps 8 accumulators + 2 B vectors + 1
// broadcast in xmm registers and unrolls the small k-loop itself; 4×12, 5×8
// and 6×8 tiles measured 20–27 GFLOP/s against 40 for 4×8 (spills, and
// loops too large for V8's unroller).
//
// Built twice (src/wasm/build-wasm.mjs): plain SIMD128 (mul, then add), and
// with relaxed SIMD, where `f32x4.relaxed_madd` becomes a fused multiply-add
// on CPUs that have one. ASC_FEATURE_RELAXED_SIMD picks at compile time.
//
// As an actor (one per worker, all on one memory): message "sgemm", payload
// ten u32 [m, n, k, a, lda, b, ldb, c, ldc, work]; `work` is a private
// scratch area of at least sgemm_work_bytes() bytes (16-byte aligned).
//
// Message "linda" makes it a Linda worker: payload twelve u32 [job, m, n, k,
// a, lda, b, ldb, c, ldc, work, tileRows]. It takes ["sgemm-tile", job, row]
// tuples from the tuple space itself (host call ts-take) and computes rows
// row…row+tileRows of C for each, until none is left; replies the count (u32).

@external("plex", "call")
declare function hostCall(op: i32, ptr: usize, len: i32): i32;
@external("plex", "result")
declare function hostResult(dst: usize): void;

const OP_TS_TAKE: i32 = 3;

import { plex_base, SLOT_HALF } from "../../assembly/shared-slot";
export { plex_alloc, plex_base, plex_reply_ptr } from "../../assembly/shared-slot";
import { sgemm, sgemm_work_bytes } from "../../assembly/sgemm-kernel";
export { sgemm, sgemm_work_bytes };

/** Writes the decimal digits of `value` at `at`; returns the address after them. */
function writeDecimal(at: usize, value: u32): usize {
  let digits = 1;
  for (let v = value; v >= 10; v /= 10) digits++;
  for (let i = digits - 1, v = value; i >= 0; i--, v /= 10) store<u8>(at + <usize>i, 0x30 + (v % 10));
  return at + <usize>digits;
}

function writeAscii(at: usize, text: string): usize {
  for (let i = 0; i < text.length; i++) store<u8>(at + <usize>i, <u8>text.charCodeAt(i));
  return at + <usize>text.length;
}

/** The last unsigned integer in the JSON text at `at` (the row of a tile tuple). */
function lastNumber(at: usize, len: i32): u32 {
  let end = len - 1;
  while (end >= 0 && (load<u8>(at + <usize>end) < 0x30 || load<u8>(at + <usize>end) > 0x39)) end--;
  let start = end;
  while (start > 0 && load<u8>(at + <usize>(start - 1)) >= 0x30 && load<u8>(at + <usize>(start - 1)) <= 0x39) start--;
  let value: u32 = 0;
  for (let i = start; i <= end; i++) value = value * 10 + (load<u8>(at + <usize>i) - 0x30);
  return value;
}

function lindaWorker(p: usize): u32 {
  const job = load<u32>(p), m = load<u32>(p, 4), n = <i32>load<u32>(p, 8), k = <i32>load<u32>(p, 12);
  const a = <usize>load<u32>(p, 16), lda = load<u32>(p, 20), b = <usize>load<u32>(p, 24), ldb = <i32>load<u32>(p, 28);
  const c = <usize>load<u32>(p, 32), ldc = load<u32>(p, 36), work = <usize>load<u32>(p, 40), tileRows = load<u32>(p, 44);
  // The template ["sgemm-tile", job, null], built once in the slot.
  const template = plex_base + 1024;
  let end = writeAscii(template, '["sgemm-tile",');
  end = writeDecimal(end, job);
  end = writeAscii(end, ",null]");
  const templateLen = <i32>(end - template);
  const result = plex_base + 2048;
  let tiles: u32 = 0;
  for (;;) {
    const got = hostCall(OP_TS_TAKE, template, templateLen);
    if (got <= 0 || got > 1024) break; // nothing left (or an error)
    hostResult(result);
    const row = lastNumber(result, got);
    if (row >= m) break;
    const rows = <i32>min(tileRows, m - row);
    sgemm(rows, n, k, a + (<usize>(row * lda) << 2), <i32>lda, b, ldb, c + (<usize>(row * ldc) << 2), <i32>ldc, work);
    tiles++;
  }
  return tiles;
}

const LINDA: u32 = 0x646e696c; // "lind", little-endian

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  if (typeLen == 5 && load<u32>(typePtr) == LINDA && payloadLen == 48) {
    store<u32>(plex_base + SLOT_HALF, lindaWorker(payloadPtr));
    return 4;
  }
  if (typeLen != 5 || load<u8>(typePtr) != 0x73 /* s */ || payloadLen != 40) return -1;
  sgemm(
    <i32>load<u32>(payloadPtr),
    <i32>load<u32>(payloadPtr, 4),
    <i32>load<u32>(payloadPtr, 8),
    <usize>load<u32>(payloadPtr, 12),
    <i32>load<u32>(payloadPtr, 16),
    <usize>load<u32>(payloadPtr, 20),
    <i32>load<u32>(payloadPtr, 24),
    <usize>load<u32>(payloadPtr, 28),
    <i32>load<u32>(payloadPtr, 32),
    <usize>load<u32>(payloadPtr, 36),
  );
  return 0;
}
