//! The pipeline's transform stage, in Rust (`#![no_std]`, the handle_message
//! ABI, sdks/rust): told "orders" by the producer (Python), it takes every
//! ("order", id, sku, quantity, unit_cents) tuple there is, asks the tax
//! actor (C) for the tax on each amount, writes ("priced", id, sku,
//! total_cents) and tells the aggregator (Go) how many it priced.
//!
//! A tuple that is not an order of that shape is put back as
//! ("rejected", tuple) so nothing is lost, and counted.
#![no_std]
extern crate alloc;

use alloc::format;
use alloc::string::String;
use plexspaces::{host, Message};
use serde_json::Value;

static mut PRICED: u64 = 0;
static mut REJECTED: u64 = 0;

#[no_mangle]
pub extern "C" fn handle_message(from_ptr: *const u8, from_len: usize, type_ptr: *const u8, type_len: usize, payload_ptr: *const u8, payload_len: usize) -> *const u8 {
    let message = unsafe { Message::from_raw(from_ptr, from_len, type_ptr, type_len, payload_ptr, payload_len) };
    match message.msg_type {
        "orders" => match price_waiting_orders() {
            Ok(batch) => plexspaces::reply(format!("{{\"priced\": {}, \"rejected\": {}}}", batch.priced, batch.rejected).as_bytes()),
            Err(error) => plexspaces::reply(format!("{{\"error\": {}}}", Value::from(format!("{}", error))).as_bytes()),
        },
        "stats" => unsafe { plexspaces::reply(format!("{{\"priced\": {}, \"rejected\": {}}}", PRICED, REJECTED).as_bytes()) },
        _ => plexspaces::no_reply(),
    }
}

struct Batch {
    priced: u64,
    rejected: u64,
}

fn price_waiting_orders() -> Result<Batch, host::HostError> {
    let mut batch = Batch { priced: 0, rejected: 0 };
    let outcome = price_into(&mut batch);
    unsafe {
        PRICED += batch.priced;
        REJECTED += batch.rejected;
    }
    // What was priced goes on even when a later order failed.
    if batch.priced > 0 {
        host::tell("aggregator", "priced", &format!("{{\"count\": {}}}", batch.priced))?;
    }
    outcome.map(|_| batch)
}

fn price_into(batch: &mut Batch) -> Result<(), host::HostError> {
    while let Some(text) = host::ts_take(r#"["order", null, null, null, null]"#)? {
        match priced(&text) {
            Ok(Some(tuple)) => {
                host::ts_write(&tuple)?;
                batch.priced += 1;
            }
            Ok(None) => {
                host::ts_write(&format!("[\"rejected\", {}]", text))?;
                batch.rejected += 1;
            }
            Err(error) => {
                // The tax actor did not answer: the order goes back for the next "orders".
                host::ts_write(&text)?;
                return Err(error);
            }
        }
    }
    Ok(())
}

/// The ("priced", …) tuple for one order, or None when the order is malformed.
fn priced(order: &str) -> Result<Option<String>, host::HostError> {
    let fields: Value = match serde_json::from_str(order) {
        Ok(value) => value,
        Err(_) => return Ok(None),
    };
    let (id, sku, quantity, unit_cents) = match (fields.get(1), fields.get(2), fields.get(3).and_then(Value::as_u64), fields.get(4).and_then(Value::as_u64)) {
        (Some(Value::String(id)), Some(Value::String(sku)), Some(q), Some(u)) if q > 0 && q <= 1_000_000 && u <= 1_000_000_000 => (id, sku, q, u),
        _ => return Ok(None),
    };
    let amount = quantity * unit_cents;
    let tax: u64 = match host::ask("tax", "tax", &format!("{}", amount))?.parse() {
        Ok(tax) => tax,
        Err(_) => return Ok(None),
    };
    Ok(Some(format!("[\"priced\", {}, {}, {}]", Value::from(id.as_str()), Value::from(sku.as_str()), amount + tax)))
}
