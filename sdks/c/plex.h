/*
 * PlexSpaces for C: the core-module ABI (docs/core-abi.md) as one header.
 *
 * Works freestanding (clang --target=wasm32 -nostdlib, the kernels in
 * src/wasm/c) and with wasi-libc (clang --target=wasm32-wasi
 * -mexec-model=reactor, what `plexspaces build actor.c` runs): it uses no
 * libc function itself. Include it in exactly one .c file: it defines the
 * ABI's exports `plex_alloc` and `plex_reply_ptr`; the actor defines
 * `plex_handle` (and optionally `plex_init`, `plex_get_state`,
 * `plex_set_state`).
 *
 * Buffers are static: a worker runs one handler of an actor at a time, and
 * every host call consumes its request before it returns.
 *
 *   PLEX_EXPORT(plex_handle)
 *   int32_t plex_handle(const uint8_t *type, int32_t type_len, const uint8_t *payload, int32_t payload_len) {
 *     if (plex_type_is(type, type_len, "ping")) return plex_reply_str("pong");
 *     return PLEX_UNHANDLED;
 *   }
 *
 * Host calls answer the result length (>= 0) or a negative status
 * (PLEX_STATUS_*); their result is copied to `out` (at most `cap` bytes:
 * a longer result answers PLEX_STATUS_TOO_LARGE and copies nothing).
 */
#ifndef PLEX_H
#define PLEX_H

#include <stdint.h>

#define PLEX_EXPORT(name) __attribute__((export_name(#name)))
#define PLEX_IMPORT(name) __attribute__((import_module("plex"), import_name(#name)))

#ifndef PLEX_INPUT_BYTES
#define PLEX_INPUT_BYTES (4 * 1024 * 1024)
#endif
#ifndef PLEX_REPLY_BYTES
#define PLEX_REPLY_BYTES (1024 * 1024)
#endif
/* Room for one host call's request (fields joined by newlines). */
#ifndef PLEX_REQUEST_BYTES
#define PLEX_REQUEST_BYTES (64 * 1024)
#endif

/* A handler's answer when it could not handle the message (the actor lives on; an ask gets PLEX_ERR_ACTOR_FAILED). */
#define PLEX_UNHANDLED (-1)

/* Negative results of host calls (HostStatus in src/runtime/core-abi.ts). */
#define PLEX_STATUS_ERROR (-1)
#define PLEX_STATUS_UNKNOWN_OP (-2)
#define PLEX_STATUS_TOO_LARGE (-3)

/* Log levels of plex_log. */
#define PLEX_LOG_DEBUG 0
#define PLEX_LOG_INFO 1
#define PLEX_LOG_WARN 2
#define PLEX_LOG_ERROR 3

/* Operation codes of plex.call (HostOp in src/runtime/core-abi.ts). */
enum {
  PLEX_OP_TS_WRITE = 1,
  PLEX_OP_TS_READ = 2,
  PLEX_OP_TS_TAKE = 3,
  PLEX_OP_TS_READ_ALL = 4,
  PLEX_OP_SEND = 5,
  PLEX_OP_ASK = 6,
  PLEX_OP_SELF_ID = 7,
  PLEX_OP_TS_TAKE_WAIT = 8,
  PLEX_OP_SPAWN = 9,
  PLEX_OP_STOP = 10,
  PLEX_OP_KV_GET = 16,
  PLEX_OP_KV_PUT = 17,
  PLEX_OP_KV_DELETE = 18,
  PLEX_OP_KV_LIST = 19,
  PLEX_OP_NOW_MS = 35,
};

static uint8_t plex_input[PLEX_INPUT_BYTES] __attribute__((aligned(16)));
static uint8_t plex_reply[PLEX_REPLY_BYTES] __attribute__((aligned(16)));
static uint8_t plex__request[PLEX_REQUEST_BYTES];

/* The host asks for room for `size` input bytes; 0 when the message is too big. */
PLEX_EXPORT(plex_alloc) uint8_t *plex_alloc(int32_t size) { return size <= PLEX_INPUT_BYTES ? plex_input : 0; }

PLEX_EXPORT(plex_reply_ptr) uint8_t *plex_reply_ptr(void) { return plex_reply; }

PLEX_IMPORT(call) int32_t plex__call(int32_t op, const void *ptr, int32_t len);
PLEX_IMPORT(result) void plex__result(void *dst);
PLEX_IMPORT(log) void plex__log(int32_t level, const void *ptr, int32_t len);
PLEX_IMPORT(now_ms) double plex__now_ms(void);

/* ---- small string helpers (no libc needed) ---- */

static inline int32_t plex_strlen(const char *s) {
  int32_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

/* Whether the message type (`type`, `type_len` bytes, not NUL-terminated) is `name`. */
static inline int plex_type_is(const uint8_t *type, int32_t type_len, const char *name) {
  int32_t n = plex_strlen(name);
  if (n != type_len) return 0;
  for (int32_t i = 0; i < n; i++)
    if (type[i] != (uint8_t)name[i]) return 0;
  return 1;
}

/* Parses a decimal integer (optional '-') from `len` bytes; stops at the first non-digit. */
static inline int64_t plex_parse_i64(const uint8_t *text, int32_t len) {
  int32_t i = 0;
  int negative = len > 0 && text[0] == '-';
  if (negative) i = 1;
  int64_t value = 0;
  for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) value = value * 10 + (text[i] - '0');
  return negative ? -value : value;
}

/* Writes `value` in decimal at `out` (room for 20 bytes); answers the length. */
static inline int32_t plex_format_i64(int64_t value, uint8_t *out) {
  uint8_t digits[20];
  int32_t n = 0;
  uint64_t v = value < 0 ? (uint64_t)(-(value + 1)) + 1 : (uint64_t)value;
  do {
    digits[n++] = (uint8_t)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  int32_t len = 0;
  if (value < 0) out[len++] = '-';
  while (n > 0) out[len++] = digits[--n];
  return len;
}

/*
 * Reads the number of a field of a flat JSON object without a JSON library:
 * the first `"name":` in the payload, then an integer, bare or quoted (the
 * node's GET routes pass query parameters as strings). Answers `fallback`
 * when the field is absent or not an integer. Not a parser: a key that
 * also appears inside a string value earlier in the payload is found
 * there.
 */
static inline int64_t plex_field_i64(const uint8_t *json, int32_t len, const char *name, int64_t fallback) {
  int32_t n = plex_strlen(name);
  for (int32_t i = 0; i + n + 2 < len; i++) {
    if (json[i] != '"' || json[i + n + 1] != '"') continue;
    int same = 1;
    for (int32_t k = 0; k < n && same; k++) same = json[i + 1 + k] == (uint8_t)name[k];
    if (!same) continue;
    int32_t at = i + n + 2;
    while (at < len && (json[at] == ' ' || json[at] == '\t' || json[at] == '\n' || json[at] == '\r')) at++;
    if (at >= len || json[at] != ':') continue;
    at++;
    while (at < len && (json[at] == ' ' || json[at] == '\t' || json[at] == '\n' || json[at] == '\r' || json[at] == '"')) at++;
    if (at >= len || !((json[at] >= '0' && json[at] <= '9') || json[at] == '-')) return fallback;
    return plex_parse_i64(json + at, len - at);
  }
  return fallback;
}

/* ---- replies ---- */

/* Copies `len` bytes into the reply buffer; answers the length for plex_handle to return. */
static inline int32_t plex_reply_bytes(const void *bytes, int32_t len) {
  if (len > PLEX_REPLY_BYTES) return PLEX_UNHANDLED;
  __builtin_memcpy(plex_reply, bytes, (unsigned long)len);
  return len;
}

static inline int32_t plex_reply_str(const char *text) { return plex_reply_bytes(text, plex_strlen(text)); }

static inline int32_t plex_reply_i64(int64_t value) { return plex_format_i64(value, plex_reply); }

/* ---- host calls ---- */

static inline void plex_log(int32_t level, const char *text) { plex__log(level, text, plex_strlen(text)); }

static inline double plex_now_ms(void) { return plex__now_ms(); }

/* Runs a host call and copies its result to `out`. */
static inline int32_t plex_call(int32_t op, const void *request, int32_t request_len, void *out, int32_t cap) {
  int32_t n = plex__call(op, request, request_len);
  if (n <= 0) return n;
  if (n > cap) return PLEX_STATUS_TOO_LARGE;
  plex__result(out);
  return n;
}

/*
 * Builds a request of newline-separated fields in the request buffer: the
 * text fields, then `last` (`last_len` bytes, may hold newlines). Answers
 * its length, or -1 when it does not fit.
 */
static inline int32_t plex__fields(const char *const *fields, int32_t count, const void *last, int32_t last_len) {
  int32_t at = 0;
  for (int32_t i = 0; i < count; i++) {
    int32_t n = plex_strlen(fields[i]);
    if (at + n + 1 > PLEX_REQUEST_BYTES) return -1;
    __builtin_memcpy(plex__request + at, fields[i], (unsigned long)n);
    at += n;
    plex__request[at++] = '\n';
  }
  if (at + last_len > PLEX_REQUEST_BYTES) return -1;
  if (last_len > 0) __builtin_memcpy(plex__request + at, last, (unsigned long)last_len);
  return at + last_len;
}

/* The actor's own id, NUL-terminated in `out`. */
static inline int32_t plex_self_id(char *out, int32_t cap) {
  int32_t n = plex_call(PLEX_OP_SELF_ID, 0, 0, out, cap - 1);
  if (n >= 0) out[n] = 0;
  return n;
}

/* Tuple space: tuples and patterns are JSON (src/tuple/json.ts); a read or take with no match answers 0. */
static inline int32_t plex_ts_write(const char *tuple_json) { return plex_call(PLEX_OP_TS_WRITE, tuple_json, plex_strlen(tuple_json), 0, 0); }
static inline int32_t plex_ts_read(const char *pattern_json, char *out, int32_t cap) { return plex_call(PLEX_OP_TS_READ, pattern_json, plex_strlen(pattern_json), out, cap); }
static inline int32_t plex_ts_take(const char *pattern_json, char *out, int32_t cap) { return plex_call(PLEX_OP_TS_TAKE, pattern_json, plex_strlen(pattern_json), out, cap); }

/* Sends a message; delivered after the current handler returns. */
static inline int32_t plex_send(const char *to, const char *type, const void *payload, int32_t payload_len) {
  const char *fields[] = {to, type};
  int32_t n = plex__fields(fields, 2, payload, payload_len);
  return n < 0 ? PLEX_STATUS_TOO_LARGE : plex_call(PLEX_OP_SEND, plex__request, n, 0, 0);
}

/* Asks another actor and waits for its reply (timeout_ms <= 0: 5 s); the reply goes to `out`. */
static inline int32_t plex_ask(const char *to, const char *type, const void *payload, int32_t payload_len, int32_t timeout_ms, void *out, int32_t cap) {
  uint8_t timeout[21];
  timeout[plex_format_i64(timeout_ms > 0 ? timeout_ms : 5000, timeout)] = 0;
  const char *fields[] = {to, type, (const char *)timeout};
  int32_t n = plex__fields(fields, 3, payload, payload_len);
  return n < 0 ? PLEX_STATUS_TOO_LARGE : plex_call(PLEX_OP_ASK, plex__request, n, out, cap);
}

/* KV in the actor's tenant and namespace: a missing key reads as 0 bytes. ttl_ms <= 0: no expiry. */
static inline int32_t plex_kv_get(const char *key, void *out, int32_t cap) { return plex_call(PLEX_OP_KV_GET, key, plex_strlen(key), out, cap); }

static inline int32_t plex_kv_put(const char *key, const void *value, int32_t value_len, int64_t ttl_ms) {
  uint8_t ttl[21];
  ttl[ttl_ms > 0 ? plex_format_i64(ttl_ms, ttl) : 0] = 0;
  const char *fields[] = {key, (const char *)ttl};
  int32_t n = plex__fields(fields, 2, value, value_len);
  uint8_t ok[8];
  return n < 0 ? PLEX_STATUS_TOO_LARGE : plex_call(PLEX_OP_KV_PUT, plex__request, n, ok, sizeof ok);
}

static inline int32_t plex_kv_delete(const char *key) {
  uint8_t ok[8];
  return plex_call(PLEX_OP_KV_DELETE, key, plex_strlen(key), ok, sizeof ok);
}

#endif
