//! The polyglot benchmark's actor in Rust (../README.md): ping and spin.
#![no_std]
extern crate alloc;

use plexspaces::Message;

#[no_mangle]
pub extern "C" fn handle_message(from_ptr: *const u8, from_len: usize, type_ptr: *const u8, type_len: usize, payload_ptr: *const u8, payload_len: usize) -> *const u8 {
    let message = unsafe { Message::from_raw(from_ptr, from_len, type_ptr, type_len, payload_ptr, payload_len) };
    match message.msg_type {
        "ping" => plexspaces::reply(b"{\"pong\": true}"),
        "spin" => {
            let n = serde_json::from_slice::<serde_json::Value>(message.payload).ok().and_then(|v| v.get("n").and_then(|n| n.as_i64())).unwrap_or(0);
            plexspaces::reply(alloc::format!("{{\"result\": {}}}", spin(n)).as_bytes())
        }
        _ => plexspaces::no_reply(),
    }
}

fn spin(n: i64) -> i64 {
    let mut acc = 1.0f64;
    for i in 0..n {
        let v = (i % 7) as f64 + 1.0;
        acc = match i % 4 {
            0 => acc + v,
            1 => acc - v * 0.5,
            2 => acc * 1.0000001,
            _ => acc / 1.0000002,
        };
    }
    (acc * 1e6) as i64
}
