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

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 96;
const NC: i32 = 2048;

import { plex_base, SLOT_HALF } from "../../assembly/shared-slot";
export { plex_alloc, plex_base, plex_reply_ptr } from "../../assembly/shared-slot";

/** Scratch bytes `sgemm` needs: a packed B slice, a packed A block and one edge tile. */
export function sgemm_work_bytes(): i32 {
  return (KC * (NC + NR) + MC * KC + MR * NR) * 4 + 16;
}

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * C[tile] += Ap · Bp over `kc`: `ap` holds MR values per k, `bp` NR. A full
 * tile adds straight into C; an edge tile goes through `edge` and only its
 * `rows`×`cols` part is added.
 */
@inline function microKernel(kc: i32, ap: usize, bp: usize, c: usize, ldcBytes: usize, rows: i32, cols: i32, edge: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    ap += 16;
    bp += 32;
  }
  if (rows == MR && cols == NR) {
    v128.store(c, f32x4.add(v128.load(c), c00));
    v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
    c += ldcBytes;
    v128.store(c, f32x4.add(v128.load(c), c10));
    v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
    c += ldcBytes;
    v128.store(c, f32x4.add(v128.load(c), c20));
    v128.store(c, f32x4.add(v128.load(c, 16), c21), 16);
    c += ldcBytes;
    v128.store(c, f32x4.add(v128.load(c), c30));
    v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
    return;
  }
  v128.store(edge, c00);
  v128.store(edge, c01, 16);
  v128.store(edge, c10, 32);
  v128.store(edge, c11, 48);
  v128.store(edge, c20, 64);
  v128.store(edge, c21, 80);
  v128.store(edge, c30, 96);
  v128.store(edge, c31, 112);
  for (let i = 0; i < rows; i++) {
    const row = c + <usize>i * ldcBytes;
    for (let j = 0; j < cols; j++) {
      const at = row + (<usize>j << 2);
      store<f32>(at, load<f32>(at) + load<f32>(edge + (<usize>(i * NR + j) << 2)));
    }
  }
}

/** B[pc:pc+kc, jc:jc+nc] → panels of NR columns, k-major, the last one zero-padded. */
function packB(b: usize, ldb: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    let src = b + (<usize>(pc * ldb + jc + jr) << 2);
    const stride = <usize>ldb << 2;
    if (cols == NR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += stride;
        dst += NR << 2;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), j < cols ? load<f32>(src + (<usize>j << 2)) : 0);
        src += stride;
        dst += NR << 2;
      }
    }
  }
}

/** A[ic:ic+mc, pc:pc+kc] → panels of MR rows, interleaved by k, the last one zero-padded. */
function packA(a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    for (let i = 0; i < MR; i++) {
      let out = dst + (<usize>i << 2);
      if (i < rows) {
        let src = a + (<usize>((ic + ir + i) * lda + pc) << 2);
        for (let p = 0; p < kc; p++) {
          store<f32>(out, load<f32>(src));
          src += 4;
          out += MR << 2;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          store<f32>(out, 0);
          out += MR << 2;
        }
      }
    }
    dst += <usize>(MR * kc) << 2;
  }
}

/** C = A·B. Overwrites C; A, B, C must not overlap `work`. */
export function sgemm(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, work: usize): void {
  work = (work + 15) & ~(<usize>15);
  const bPacked = work;
  const aPacked = bPacked + (<usize>(KC * (NC + NR)) << 2);
  const edge = aPacked + (<usize>(MC * KC) << 2);
  const ldcBytes = <usize>ldc << 2;
  for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcBytes, 0, <usize>n << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(b, ldb, pc, kc, jc, nc, bPacked);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a, lda, ic, mc, pc, kc, aPacked);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = bPacked + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            microKernel(kc, aPacked + (<usize>(ir * kc) << 2), bp, c + <usize>(ic + ir) * ldcBytes + (<usize>(jc + jr) << 2), ldcBytes, rows, cols, edge);
          }
        }
      }
    }
  }
}

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
