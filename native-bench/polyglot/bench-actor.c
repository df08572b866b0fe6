/* The polyglot benchmark's actor in C (README.md): ping and spin. */
#include "plex.h"

static int64_t spin(int64_t n) {
  double acc = 1.0;
  for (int64_t i = 0; i < n; i++) {
    double v = (double)(i % 7) + 1.0;
    switch (i % 4) {
      case 0: acc = acc + v; break;
      case 1: acc = acc - v * 0.5; break;
      case 2: acc = acc * 1.0000001; break;
      default: acc = acc / 1.0000002; break;
    }
  }
  return (int64_t)(acc * 1e6);
}

PLEX_EXPORT(plex_handle)
int32_t plex_handle(const uint8_t *type, int32_t type_len, const uint8_t *payload, int32_t payload_len) {
  if (plex_type_is(type, type_len, "ping")) return plex_reply_str("{\"pong\": true}");
  if (plex_type_is(type, type_len, "spin")) {
    int64_t result = spin(plex_field_i64(payload, payload_len, "n", 0));
    static const char head[] = "{\"result\": ";
    int32_t at = 0;
    for (; head[at] != 0; at++) plex_reply[at] = (uint8_t)head[at];
    at += plex_format_i64(result, plex_reply + at);
    plex_reply[at++] = '}';
    return at;
  }
  return PLEX_UNHANDLED;
}
