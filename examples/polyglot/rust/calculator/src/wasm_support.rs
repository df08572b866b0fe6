//! What the article's listing leaves out and a `#![no_std]` cdylib for
//! wasm32-unknown-unknown needs: a global allocator, a panic handler and an
//! allocation-error handler, which the PlexSpaces Rust SDK's `runtime`
//! feature provides (sdks/rust). Also a `get_state` export, so the runtime
//! can snapshot the calculator (it restores a snapshot through the article's
//! `init(state_ptr, state_len)`), and a durable application of calculators
//! keeps its count across crashes.

use alloc::vec::Vec;
use core::ptr;

// Linked for its allocator and panic handler; the calculator makes no host call.
extern crate plexspaces;

/// The snapshot the runtime keeps: the state as JSON, behind its
/// little-endian u32 length (the handle_message ABI's reply layout).
static mut SNAPSHOT: Vec<u8> = Vec::new();

#[no_mangle]
pub extern "C" fn get_state() -> *const u8 {
    unsafe {
        let json = match serde_json::to_vec(&crate::STATE) {
            Ok(json) => json,
            Err(_) => return ptr::null(),
        };
        SNAPSHOT.clear();
        SNAPSHOT.extend_from_slice(&(json.len() as u32).to_le_bytes());
        SNAPSHOT.extend_from_slice(&json);
        SNAPSHOT.as_ptr()
    }
}
