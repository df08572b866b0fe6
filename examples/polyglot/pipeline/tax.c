/*
 * The pipeline's tax service, in C (sdks/c/plex.h): the transform stage
 * (Rust) asks it for the tax on each order's amount.
 *
 *   "tax"   payload: the amount in cents, as decimal text ("2500")
 *           reply:   the tax in cents, as decimal text ("200"): 8 %, rounded half up
 *   "rate"  reply:   {"percent": 8}
 *
 * Anything else is unhandled (an ask gets PLEX_ERR_ACTOR_FAILED); an amount
 * that is not a non-negative decimal integer below 10^15 gets "ERROR bad amount".
 */
#include "plex.h"

#define TAX_PERCENT 8

/* The amount: digits only (plex_parse_i64 alone would stop at the first non-digit and take a prefix). */
static int64_t parse_amount(const uint8_t *text, int32_t len) {
  if (len <= 0 || len > 15) return -1;
  for (int32_t i = 0; i < len; i++) {
    if (text[i] < '0' || text[i] > '9') return -1;
  }
  return plex_parse_i64(text, len);
}

PLEX_EXPORT(plex_handle)
int32_t plex_handle(const uint8_t *type, int32_t type_len, const uint8_t *payload, int32_t payload_len) {
  if (plex_type_is(type, type_len, "tax")) {
    int64_t amount = parse_amount(payload, payload_len);
    if (amount < 0) return plex_reply_str("ERROR bad amount");
    return plex_reply_i64((amount * TAX_PERCENT + 50) / 100);
  }
  if (plex_type_is(type, type_len, "rate")) return plex_reply_str("{\"percent\": 8}");
  return PLEX_UNHANDLED;
}
