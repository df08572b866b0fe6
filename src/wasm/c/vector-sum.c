/*
 * A SIMD compute actor in C. "sum": the payload is float32 values; the reply
 * is their float32 sum, accumulated four lanes at a time with wasm_simd128.h
 * intrinsics. "mean": the same divided by the count.
 */
#include <wasm_simd128.h>
#include "plex.h"

static float sum(const float *x, int32_t n) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(x + i));
  float total = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) + wasm_f32x4_extract_lane(acc, 2) +
                wasm_f32x4_extract_lane(acc, 3);
  for (; i < n; i++) total += x[i];
  return total;
}

PLEX_EXPORT(plex_handle)
int32_t plex_handle(const uint8_t *type, int32_t type_len, const uint8_t *payload, int32_t payload_len) {
  if (type_len < 1 || (payload_len & 3) != 0) return -1;
  /* The payload follows the type in the input buffer: copy it to an aligned place. */
  int32_t n = payload_len >> 2;
  float *values = (float *)(plex_reply + 16);
  if (payload_len > PLEX_REPLY_BYTES - 16) return -1;
  __builtin_memcpy(values, payload, (unsigned long)payload_len);
  float s = sum(values, n);
  if (type[0] == 'm') s = n > 0 ? s / (float)n : 0.0f;
  else if (type[0] != 's') return -1;
  *(float *)plex_reply = s;
  return 4;
}
