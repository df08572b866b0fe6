// The SGEMM kernel: C[m×n] = A[m×k] · B[k×n], float32, row-major, leading
// dimensions in elements, addresses in bytes. Shared by the kernel on a shared
// memory (actors/shared/sgemm.ts) and the one that gets its operands as message
// bytes (actors/sgemm-tiles.ts): see actors/shared/sgemm.ts for the structure
// (GotoBLAS/BLIS packing, the 4×8 micro-kernel) and why.
//
// ASC_FEATURE_RELAXED_SIMD (set by `--enable relaxed-simd`) picks fused
// multiply-add at compile time.

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 96;
const NC: i32 = 2048;

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
