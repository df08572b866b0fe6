/*
 * The PlexSpaces core-module ABI for freestanding C (clang --target=wasm32,
 * no libc). See docs/core-abi.md. Input and reply buffers are static: one
 * message is handled at a time.
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

static uint8_t plex_input[PLEX_INPUT_BYTES] __attribute__((aligned(16)));
static uint8_t plex_reply[PLEX_REPLY_BYTES] __attribute__((aligned(16)));

/* The host asks for room for `size` input bytes; 0 when the message is too big. */
PLEX_EXPORT(plex_alloc) uint8_t *plex_alloc(int32_t size) {
  return size <= PLEX_INPUT_BYTES ? plex_input : 0;
}

PLEX_EXPORT(plex_reply_ptr) uint8_t *plex_reply_ptr(void) { return plex_reply; }

#endif
