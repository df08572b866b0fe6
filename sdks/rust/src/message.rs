//! One message of the handle_message ABI, and the reply a handler answers.

use alloc::vec::Vec;
use core::slice;

/// The message being handled: who sent it (empty for the runtime and the
/// node's HTTP routes), its type and its payload (JSON for the HTTP routes).
pub struct Message<'a> {
    pub from: &'a str,
    pub msg_type: &'a str,
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// Reads `handle_message`'s six arguments. The runtime writes them into
    /// pages it owns and keeps them until the handler returns.
    ///
    /// # Safety
    /// The pointers and lengths must be those the runtime passed to `handle_message`.
    pub unsafe fn from_raw(from_ptr: *const u8, from_len: usize, type_ptr: *const u8, type_len: usize, payload_ptr: *const u8, payload_len: usize) -> Message<'a> {
        Message {
            from: text(from_ptr, from_len),
            msg_type: text(type_ptr, type_len),
            payload: bytes(payload_ptr, payload_len),
        }
    }

    /// The payload as UTF-8 text ("" when it is not).
    pub fn payload_str(&self) -> &'a str {
        core::str::from_utf8(self.payload).unwrap_or("")
    }
}

unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 { &[] } else { slice::from_raw_parts(ptr, len) }
}

unsafe fn text<'a>(ptr: *const u8, len: usize) -> &'a str {
    core::str::from_utf8(bytes(ptr, len)).unwrap_or("")
}

/// The last reply, kept until the runtime copied it (the next message replaces it).
static mut REPLY: Vec<u8> = Vec::new();

/// Answers `body`: what `handle_message` returns (a little-endian u32 length, then the bytes).
pub fn reply(body: &[u8]) -> *const u8 {
    unsafe {
        REPLY.clear();
        REPLY.extend_from_slice(&(body.len() as u32).to_le_bytes());
        REPLY.extend_from_slice(body);
        REPLY.as_ptr()
    }
}

/// An empty reply (an ask gets an empty body; a tell needs nothing).
pub fn no_reply() -> *const u8 {
    core::ptr::null()
}
