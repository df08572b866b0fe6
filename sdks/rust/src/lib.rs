//! PlexSpaces for Rust: actors as `#![no_std]` core modules on the
//! [handle_message ABI](../../docs/core-abi.md#the-handle_message-abi), the
//! first article's calculator shape, with the runtime's host calls.
//!
//! ```ignore
//! #![no_std]
//! #![feature(alloc_error_handler)] // Rust 1.63 (Debian's wasm32 std): see README.md
//! extern crate alloc;
//! use plexspaces::{host, Message};
//!
//! #[no_mangle]
//! pub extern "C" fn handle_message(fp: *const u8, fl: usize, tp: *const u8, tl: usize, pp: *const u8, pl: usize) -> *const u8 {
//!     let message = unsafe { Message::from_raw(fp, fl, tp, tl, pp, pl) };
//!     match message.msg_type {
//!         "ping" => plexspaces::reply(b"pong"),
//!         _ => plexspaces::no_reply(),
//!     }
//! }
//! ```
//!
//! Host calls are synchronous for the actor; those that wait (`ask`,
//! `ts_take_wait`) block only its worker, which meanwhile runs messages to
//! the worker's other actors.
#![no_std]
#![cfg_attr(feature = "runtime", feature(alloc_error_handler))]

extern crate alloc;

pub mod host;
mod message;
#[cfg(feature = "runtime")]
mod runtime;

pub use host::HostError;
pub use message::{no_reply, reply, Message};
