// The message slot of a kernel on a shared WebAssembly.Memory (docs/core-abi.md,
// "Zero-copy data"): many instances share the memory, so a kernel allocates
// nothing; its input and reply buffers are the two halves of the private
// 64 KiB slot the runtime assigns it by setting `plex_base`.
// A kernel re-exports plex_base, plex_alloc and plex_reply_ptr from here.

/** Start of this instance's private slot (input, then reply); set by the runtime. */
export let plex_base: usize = 0;

/** Where the reply half of the slot starts, from `plex_base`. */
export const SLOT_HALF: usize = 32768;

export function plex_alloc(size: i32): usize {
  return <usize>size <= SLOT_HALF ? plex_base : 0;
}

export function plex_reply_ptr(): usize {
  return plex_base + SLOT_HALF;
}
