//! The host functions, on the platform's interfaces (wit/platform/), with
//! `ERROR …` answers as `Err(HostError)`.
//!
//! Each function calls the interface of its capability. A component imports
//! only the interfaces whose functions it calls (wit-component drops the
//! rest), so an actor that only replies and logs is a `simple-actor`
//! component and one on the tuple space a `coordination-actor`: the node
//! holds it to that world.

use crate::bindings::plexspaces::platform::{key_value, logging, messaging, tuple_space};

/// A host function's refusal: the text after `ERROR ` (`PLEX_ERR_…: …`).
#[derive(Debug, Clone)]
pub struct HostError(pub String);

impl core::fmt::Display for HostError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HostError {}

fn checked(answer: String) -> Result<String, HostError> {
    match answer.strip_prefix("ERROR") {
        Some(rest) => Err(HostError(rest.trim_start().to_string())),
        None => Ok(answer),
    }
}

/// This actor's id.
pub fn self_id() -> String {
    messaging::self_id()
}

pub fn log(level: &str, message: &str) {
    logging::log(level, message)
}

pub fn now_ms() -> u64 {
    logging::now_ms()
}

/// Sends a message and waits up to `timeout_ms` for the reply (JSON text).
pub fn ask(to: &str, msg_type: &str, payload_json: &str, timeout_ms: u64) -> Result<String, HostError> {
    checked(messaging::ask(to, msg_type, payload_json, timeout_ms))
}

/// Sends a message without waiting.
pub fn tell(to: &str, msg_type: &str, payload_json: &str) -> Result<(), HostError> {
    checked(messaging::send(to, msg_type, payload_json)).map(|_| ())
}

/// Writes a tuple (a JSON array).
pub fn ts_write(tuple_json: &str) -> Result<(), HostError> {
    checked(tuple_space::write(tuple_json)).map(|_| ())
}

/// The oldest tuple matching the pattern (`null` = wildcard), left in the space; `None` when none does.
pub fn ts_read(pattern_json: &str) -> Result<Option<String>, HostError> {
    checked(tuple_space::read(pattern_json)).map(|t| if t.is_empty() { None } else { Some(t) })
}

/// Removes and answers the oldest match; `None` when none does. Never waits.
pub fn ts_take(pattern_json: &str) -> Result<Option<String>, HostError> {
    checked(tuple_space::take(pattern_json)).map(|t| if t.is_empty() { None } else { Some(t) })
}

pub fn kv_get(key: &str) -> Result<Option<String>, HostError> {
    checked(key_value::get(key)).map(|v| if v.is_empty() { None } else { Some(v) })
}

pub fn kv_put(key: &str, value: &str) -> Result<(), HostError> {
    checked(key_value::put(key, value)).map(|_| ())
}
