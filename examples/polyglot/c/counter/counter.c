/*
 * The articles' counter in C with the C SDK (sdks/c/plex.h): `increment`
 * adds `amount` (1 unless given), `get` answers the count. Beyond the
 * article: `save` and `load` keep the count in the actor's KV, `publish`
 * writes it to the tuple space as ["count", <actor id>, n].
 *
 *   plexspaces build examples/polyglot/c/counter/counter.c -o counter.wasm
 *
 * The state snapshot (plex_get_state / plex_set_state) is the count as
 * decimal text, so an application of counters is durable.
 */
#include "plex.h"

static int64_t count = 0;

static int32_t reply_count(void) {
  static const char head[] = "{\"count\": ";
  int32_t n = plex_reply_bytes(head, sizeof head - 1);
  n += plex_format_i64(count, plex_reply + n);
  plex_reply[n++] = '}';
  return n;
}

PLEX_EXPORT(plex_handle)
int32_t plex_handle(const uint8_t *type, int32_t type_len, const uint8_t *payload, int32_t payload_len) {
  if (plex_type_is(type, type_len, "increment")) {
    count += plex_field_i64(payload, payload_len, "amount", 1);
    return reply_count();
  }
  if (plex_type_is(type, type_len, "get")) return reply_count();
  if (plex_type_is(type, type_len, "save")) {
    uint8_t text[21];
    if (plex_kv_put("count", text, plex_format_i64(count, text), 0) < 0) return plex_reply_str("{\"error\": \"kv-put failed\"}");
    plex_log(PLEX_LOG_INFO, "saved the count to KV");
    return reply_count();
  }
  if (plex_type_is(type, type_len, "load")) {
    uint8_t text[21];
    int32_t n = plex_kv_get("count", text, sizeof text);
    if (n < 0) return plex_reply_str("{\"error\": \"kv-get failed\"}");
    count = n == 0 ? 0 : plex_parse_i64(text, n);
    return reply_count();
  }
  if (plex_type_is(type, type_len, "publish")) {
    char self[128];
    if (plex_self_id(self, sizeof self) < 0) return PLEX_UNHANDLED;
    /* ["count", "<id>", n]: an id has no quote or backslash (the runtime's names are 1-64 of A-Z a-z 0-9 _ . -, joined by /). */
    char tuple[200];
    int32_t at = 0;
    const char *parts[] = {"[\"count\", \"", self, "\", "};
    for (int p = 0; p < 3; p++)
      for (const char *c = parts[p]; *c != 0; c++) tuple[at++] = *c;
    at += plex_format_i64(count, (uint8_t *)tuple + at);
    tuple[at++] = ']';
    tuple[at] = 0;
    if (plex_ts_write(tuple) < 0) return plex_reply_str("{\"error\": \"ts-write failed\"}");
    return reply_count();
  }
  return PLEX_UNHANDLED;
}

PLEX_EXPORT(plex_get_state) int32_t plex_get_state(void) { return plex_format_i64(count, plex_reply); }

PLEX_EXPORT(plex_set_state) int32_t plex_set_state(const uint8_t *state, int32_t len) {
  count = plex_parse_i64(state, len);
  return 0;
}
