//! The runtime's host calls (`plex.call`, docs/core-abi.md): logging, the
//! actor's id, messages to other actors and the tuple space. Requests are
//! newline-separated fields, the last of which may hold newlines; tuples and
//! patterns are JSON (`null` in a pattern is a wildcard).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

#[link(wasm_import_module = "plex")]
extern "C" {
    fn call(op: i32, ptr: *const u8, len: i32) -> i32;
    fn result(dst: *mut u8);
    fn log(level: i32, ptr: *const u8, len: i32);
}

// Operation codes of plex.call (HostOp in src/runtime/core-abi.ts).
const TS_WRITE: i32 = 1;
const TS_READ: i32 = 2;
const TS_TAKE: i32 = 3;
const TS_READ_ALL: i32 = 4;
const SEND: i32 = 5;
const ASK: i32 = 6;
const SELF_ID: i32 = 7;
const TS_TAKE_WAIT: i32 = 8;
const KV_GET: i32 = 16;
const KV_PUT: i32 = 17;
const SENDER: i32 = 36;

/// How long `ask` waits for a reply by default.
pub const DEFAULT_ASK_TIMEOUT_MS: u32 = 5000;

/// A host call that failed: its operation, the runtime's status (-1 failed,
/// -2 unknown operation, -3 too large) and what the runtime said about it
/// (`PLEX_ERR_…: …`, empty when it said nothing).
#[derive(Debug, Clone)]
pub struct HostError {
    pub op: i32,
    pub status: i32,
    pub message: String,
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host call {} failed with status {}", self.op, self.status)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// One host call: the result bytes, or the failure. Coordination calls that
/// fail answer a result starting `ERROR `, which is a failure here too.
pub fn raw_call(op: i32, request: &[u8]) -> Result<Vec<u8>, HostError> {
    let n = unsafe { call(op, request.as_ptr(), request.len() as i32) };
    if n < 0 {
        return Err(HostError { op, status: n, message: String::new() });
    }
    let mut out = Vec::with_capacity(n as usize);
    if n > 0 {
        unsafe {
            result(out.as_mut_ptr());
            out.set_len(n as usize);
        }
    }
    if out.starts_with(b"ERROR ") {
        let message = String::from_utf8_lossy(&out[6..]).into_owned();
        return Err(HostError { op, status: -1, message });
    }
    Ok(out)
}

fn fields(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(part);
    }
    out
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_default()
}

/// An empty result is "nothing matched".
fn found(bytes: Vec<u8>) -> Option<String> {
    if bytes.is_empty() { None } else { Some(text(bytes)) }
}

/// Log levels of [`log_line`].
#[derive(Clone, Copy)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

/// A line in the actor's log (the node writes it to stderr as `[actor id] line`).
pub fn log_line(level: Level, message: &str) {
    unsafe { log(level as i32, message.as_ptr(), message.len() as i32) }
}

pub fn info(message: &str) {
    log_line(Level::Info, message)
}

/// This actor's id.
pub fn actor_id() -> String {
    raw_call(SELF_ID, &[]).map(text).unwrap_or_default()
}

/// The actor that sent the message being handled; empty for the runtime and the node's HTTP routes.
pub fn sender() -> String {
    raw_call(SENDER, &[]).map(text).unwrap_or_default()
}

/// Sends a message and does not wait (delivered after the current message).
pub fn tell(to: &str, msg_type: &str, payload: &str) -> Result<(), HostError> {
    raw_call(SEND, &fields(&[to.as_bytes(), msg_type.as_bytes(), payload.as_bytes()])).map(|_| ())
}

/// Sends a message and waits up to `DEFAULT_ASK_TIMEOUT_MS` for its reply.
pub fn ask(to: &str, msg_type: &str, payload: &str) -> Result<String, HostError> {
    ask_timeout(to, msg_type, payload, DEFAULT_ASK_TIMEOUT_MS)
}

pub fn ask_timeout(to: &str, msg_type: &str, payload: &str, timeout_ms: u32) -> Result<String, HostError> {
    let timeout = alloc::format!("{}", timeout_ms);
    raw_call(ASK, &fields(&[to.as_bytes(), msg_type.as_bytes(), timeout.as_bytes(), payload.as_bytes()])).map(text)
}

/// Writes a tuple (JSON array).
pub fn ts_write(tuple_json: &str) -> Result<(), HostError> {
    raw_call(TS_WRITE, tuple_json.as_bytes()).map(|_| ())
}

/// The oldest tuple matching `pattern_json`, left in the space; `None` when none does.
pub fn ts_read(pattern_json: &str) -> Result<Option<String>, HostError> {
    raw_call(TS_READ, pattern_json.as_bytes()).map(found)
}

/// Removes and answers the oldest tuple matching `pattern_json`; `None` when none does. Never waits.
pub fn ts_take(pattern_json: &str) -> Result<Option<String>, HostError> {
    raw_call(TS_TAKE, pattern_json.as_bytes()).map(found)
}

/// Like [`ts_take`], waiting up to `timeout_ms` for a match.
pub fn ts_take_wait(pattern_json: &str, timeout_ms: u32) -> Result<Option<String>, HostError> {
    let timeout = alloc::format!("{}", timeout_ms);
    raw_call(TS_TAKE_WAIT, &fields(&[pattern_json.as_bytes(), timeout.as_bytes()])).map(found)
}

/// Every tuple matching `pattern_json`, as one JSON array.
pub fn ts_read_all(pattern_json: &str) -> Result<String, HostError> {
    raw_call(TS_READ_ALL, pattern_json.as_bytes()).map(text)
}

/// The value under `key` in the actor's tenant and namespace; `None` when absent.
pub fn kv_get(key: &str) -> Result<Option<String>, HostError> {
    raw_call(KV_GET, key.as_bytes()).map(found)
}

pub fn kv_put(key: &str, value: &str) -> Result<(), HostError> {
    raw_call(KV_PUT, &fields(&[key.as_bytes(), b"", value.as_bytes()])).map(|_| ())
}
