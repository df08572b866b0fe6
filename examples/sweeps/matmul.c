/*
 * A user's SGEMM kernel as an actor, in C with the C SDK (sdks/c/plex.h),
 * for `plexspaces sweep examples/sweeps/matmul.sweep.mjs`.
 *
 *   "multiply"  payload {"n": N, "seed": S, "from": R0, "to": R1}
 *               computes rows R0..R1-1 of C = A·B (float32, n×n) and replies
 *               {"n":N,"from":R0,"to":R1,"checksum1024":…,"samples":[[i,j,c1024],…]}
 *
 * A and B come from a formula of (i, k, seed), every entry a multiple of
 * 1/32 in [-1, 1): every product and every partial sum of C is then exact
 * in float32 (below 2^10 in multiples of 2^-10, well inside 24 bits), so
 * the reply is exact whatever the order of the additions, and the sweep's
 * check can demand equality. The figures are sent ×1024, as integers
 * (no float formatting needed). The matrices are made on the first call for
 * an (n, seed) and kept: the sweep's warm-up pays for them, the timed runs
 * measure the multiply.
 */
#include <stdlib.h>
#include <wasm_simd128.h>
#include "plex.h"

static int32_t cached_n = 0;
static int64_t cached_seed = -1;
static float *a = 0, *b = 0, *c = 0;

static float a_entry(int64_t i, int64_t k, int64_t seed) { return (float)((i * 31 + k * 17 + seed) % 64 - 32) / 32.0f; }
static float b_entry(int64_t k, int64_t j, int64_t seed) { return (float)((k * 13 + j * 7 + seed * 3) % 64 - 32) / 32.0f; }

static int prepare(int32_t n, int64_t seed) {
  if (n == cached_n && seed == cached_seed) return 1;
  free(a);
  free(b);
  free(c);
  size_t bytes = (size_t)n * (size_t)n * sizeof(float);
  a = aligned_alloc(16, bytes);
  b = aligned_alloc(16, bytes);
  c = aligned_alloc(16, bytes);
  if (a == 0 || b == 0 || c == 0) {
    cached_n = 0;
    return 0;
  }
  for (int32_t i = 0; i < n; i++)
    for (int32_t k = 0; k < n; k++) a[(size_t)i * n + k] = a_entry(i, k, seed);
  for (int32_t k = 0; k < n; k++)
    for (int32_t j = 0; j < n; j++) b[(size_t)k * n + j] = b_entry(k, j, seed);
  cached_n = n;
  cached_seed = seed;
  return 1;
}

/* Rows from..to-1 of C, i-k-j order: the inner loop is a SIMD axpy over a row of B. n is a multiple of 4. */
static void multiply_rows(int32_t n, int32_t from, int32_t to) {
  for (int32_t i = from; i < to; i++) {
    float *row = c + (size_t)i * n;
    for (int32_t j = 0; j < n; j += 4) wasm_v128_store(row + j, wasm_f32x4_splat(0.0f));
    for (int32_t k = 0; k < n; k++) {
      v128_t aik = wasm_f32x4_splat(a[(size_t)i * n + k]);
      const float *brow = b + (size_t)k * n;
      for (int32_t j = 0; j < n; j += 4) {
        v128_t sum = wasm_f32x4_add(wasm_v128_load(row + j), wasm_f32x4_mul(aik, wasm_v128_load(brow + j)));
        wasm_v128_store(row + j, sum);
      }
    }
  }
}

static int32_t append_str(int32_t at, const char *text) {
  int32_t n = plex_strlen(text);
  __builtin_memcpy(plex_reply + at, text, (unsigned long)n);
  return at + n;
}

static int32_t append_i64(int32_t at, int64_t value) { return at + plex_format_i64(value, plex_reply + at); }

PLEX_EXPORT(plex_handle)
int32_t plex_handle(const uint8_t *type, int32_t type_len, const uint8_t *payload, int32_t payload_len) {
  if (!plex_type_is(type, type_len, "multiply")) return PLEX_UNHANDLED;
  int64_t n = plex_field_i64(payload, payload_len, "n", 0);
  int64_t seed = plex_field_i64(payload, payload_len, "seed", 1);
  int64_t from = plex_field_i64(payload, payload_len, "from", 0);
  int64_t to = plex_field_i64(payload, payload_len, "to", n);
  if (n < 4 || n > 2048 || n % 4 != 0) return plex_reply_str("ERROR n must be a multiple of 4 from 4 to 2048");
  if (seed < 0 || seed > 1000000) return plex_reply_str("ERROR seed must be from 0 to 1000000");
  if (from < 0 || to > n || from >= to) return plex_reply_str("ERROR rows must satisfy 0 <= from < to <= n");
  if (!prepare((int32_t)n, seed)) return plex_reply_str("ERROR out of memory for the matrices");
  multiply_rows((int32_t)n, (int32_t)from, (int32_t)to);

  double checksum = 0;
  for (int64_t i = from; i < to; i++)
    for (int64_t j = 0; j < n; j++) checksum += c[i * n + j];
  int32_t at = append_str(0, "{\"n\":");
  at = append_i64(at, n);
  at = append_str(at, ",\"from\":");
  at = append_i64(at, from);
  at = append_str(at, ",\"to\":");
  at = append_i64(at, to);
  at = append_str(at, ",\"checksum1024\":");
  at = append_i64(at, (int64_t)(checksum * 1024.0));
  at = append_str(at, ",\"samples\":[");
  /* Eight entries spread over the band, chosen by the kernel so a check cannot be tuned to fixed ones. */
  for (int64_t t = 0; t < 8; t++) {
    int64_t i = from + (t * 7919 + seed) % (to - from);
    int64_t j = (t * 104729 + seed * 31) % n;
    if (t > 0) at = append_str(at, ",");
    at = append_str(at, "[");
    at = append_i64(at, i);
    at = append_str(at, ",");
    at = append_i64(at, j);
    at = append_str(at, ",");
    at = append_i64(at, (int64_t)(c[i * n + j] * 1024.0f));
    at = append_str(at, "]");
  }
  at = append_str(at, "]}");
  return at;
}
