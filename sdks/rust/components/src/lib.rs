//! PlexSpaces for Rust, components: an actor is a WebAssembly component of
//! the narrowest platform world that covers the host functions it calls
//! (wit/platform/, bound with wit-bindgen; `host` explains how), written in
//! the article's style:
//!
//! ```ignore
//! use plexspaces_sdk::{gen_server_actor, plexspaces_handlers, handler, json};
//!
//! #[gen_server_actor]
//! struct Counter { count: i32 }
//!
//! #[plexspaces_handlers]
//! impl Counter {
//!     #[handler("increment")]
//!     async fn increment(&mut self, _ctx: &ActorContext, msg: &Message)
//!         -> Result<serde_json::Value, BehaviorError> {
//!         let payload: serde_json::Value = serde_json::from_slice(&msg.payload)?;
//!         self.count += payload["amount"].as_i64().unwrap_or(1) as i32;
//!         Ok(json!({ "count": self.count }))
//!     }
//! }
//! ```
//!
//! The actor's state is its struct as JSON (so a durable application
//! snapshots and restores it); a handler's `Ok` value is the reply, an `Err`
//! replies `{"error": "…"}`; a panic traps the actor (PLEX_ERR_ACTOR_TRAPPED).
//! `host` has the world's functions. Build with `plexspaces build DIR`.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

pub use plexspaces_sdk_macros::{gen_server_actor, handler, plexspaces_handlers};
pub use serde;
pub use serde_json;
pub use serde_json::json;

pub mod host;

/// The world's bindings (wit-bindgen); actors use `host` and the macros instead.
#[doc(hidden)]
pub mod bindings {
    // The platform's widest world: wit-component keeps only the interfaces whose functions the
    // actor's code calls, so the component imports the narrowest world that covers it by itself.
    wit_bindgen::generate!({
        path: "../../../wit/platform",
        world: "plexspaces-actor",
        pub_export_macro: true,
        export_macro_name: "__export_actor_world",
        default_bindings_module: "plexspaces_sdk::bindings",
    });
}

/// What the handlers of an actor see besides the message.
pub struct ActorContext {
    /// This actor's id (`tenant/namespace/name`).
    pub actor_id: String,
}

/// One message: its sender (empty for the node's HTTP routes), type and payload (JSON from the routes).
pub struct Message {
    pub from: String,
    pub message_type: String,
    pub payload: Vec<u8>,
}

/// Why a handler failed; the caller gets `{"error": "<this, as text>"}`.
#[derive(Debug)]
pub enum BehaviorError {
    ProcessingError(String),
    /// No handler for this message type (and no `#[handler("*")]`).
    UnknownMessage(String),
    Serialization(serde_json::Error),
    /// A host call answered an error (`ERROR <code>: …`).
    Host(String),
}

impl core::fmt::Display for BehaviorError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BehaviorError::ProcessingError(message) => write!(f, "{message}"),
            BehaviorError::UnknownMessage(kind) => write!(f, "unknown message type: {kind}"),
            BehaviorError::Serialization(error) => write!(f, "bad JSON: {error}"),
            BehaviorError::Host(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for BehaviorError {}

impl From<serde_json::Error> for BehaviorError {
    fn from(error: serde_json::Error) -> Self {
        BehaviorError::Serialization(error)
    }
}

impl From<host::HostError> for BehaviorError {
    fn from(error: host::HostError) -> Self {
        BehaviorError::Host(error.0)
    }
}

/// The dispatch `#[plexspaces_handlers]` writes for an actor.
pub trait Handlers {
    fn dispatch(&mut self, ctx: &ActorContext, msg: &Message) -> Result<serde_json::Value, BehaviorError>;
}

/// What `#[gen_server_actor]` brings into the actor's module.
pub mod prelude {
    pub use crate::{ActorContext, BehaviorError, Message};
}

/// Runs an `async` handler to its end. Host calls are synchronous for a
/// component (an ask waits inside the call), so a handler's future never
/// waits on anything else: it is ready the first time it is polled.
pub fn block_on<F: Future>(future: F) -> F::Output {
    fn clone(_: *const ()) -> RawWaker {
        RawWaker::new(core::ptr::null(), &VTABLE)
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: the vtable's functions ignore the data pointer.
    let waker = unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) };
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        // Only a future that waits on something other than the host can get here; there is nothing to wait for.
        std::hint::spin_loop();
    }
}

/// The component's four exports for an actor type (what `#[gen_server_actor]` expands to).
#[doc(hidden)]
pub mod runtime {
    use crate::{ActorContext, Handlers, Message};
    use serde::{de::DeserializeOwned, Serialize};

    pub fn init<A: Default>(slot: &mut Option<A>, _config_json: String) -> String {
        *slot = Some(A::default());
        String::new()
    }

    pub fn handle<A: Handlers + Default>(slot: &mut Option<A>, from: String, message_type: String, payload_json: String) -> String {
        let actor = slot.get_or_insert_with(A::default);
        let ctx = ActorContext { actor_id: crate::host::self_id() };
        let msg = Message { from, message_type, payload: payload_json.into_bytes() };
        match actor.dispatch(&ctx, &msg) {
            Ok(value) => value.to_string(),
            Err(error) => serde_json::json!({ "error": error.to_string() }).to_string(),
        }
    }

    pub fn get_state<A: Serialize + Default>(slot: &mut Option<A>) -> String {
        serde_json::to_string(slot.get_or_insert_with(A::default)).unwrap_or_else(|error| format!("ERROR cannot serialize the state: {error}"))
    }

    pub fn set_state<A: DeserializeOwned>(slot: &mut Option<A>, state_json: String) -> String {
        match serde_json::from_str::<A>(&state_json) {
            Ok(state) => {
                *slot = Some(state);
                String::new()
            }
            Err(error) => format!("ERROR the state does not fit the actor: {error}"),
        }
    }
}

/// The exports of the component for `$actor` (`#[gen_server_actor]` calls it).
#[macro_export]
macro_rules! export_actor {
    ($actor:ty) => {
        #[doc(hidden)]
        struct __PlexSpacesActorExports;

        #[doc(hidden)]
        static mut __PLEXSPACES_ACTOR: ::core::option::Option<$actor> = ::core::option::Option::None;

        #[doc(hidden)]
        fn __plexspaces_actor() -> &'static mut ::core::option::Option<$actor> {
            // SAFETY: a component instance runs one export call at a time, on one thread.
            unsafe { &mut *::core::ptr::addr_of_mut!(__PLEXSPACES_ACTOR) }
        }

        impl $crate::bindings::exports::plexspaces::platform::actor::Guest for __PlexSpacesActorExports {
            fn init(config_json: ::std::string::String) -> ::std::string::String {
                $crate::runtime::init(__plexspaces_actor(), config_json)
            }
            fn handle(from_actor: ::std::string::String, msg_type: ::std::string::String, payload_json: ::std::string::String) -> ::std::string::String {
                $crate::runtime::handle(__plexspaces_actor(), from_actor, msg_type, payload_json)
            }
            fn get_state() -> ::std::string::String {
                $crate::runtime::get_state(__plexspaces_actor())
            }
            fn set_state(state_json: ::std::string::String) -> ::std::string::String {
                $crate::runtime::set_state(__plexspaces_actor(), state_json)
            }
        }

        $crate::bindings::__export_actor_world!(__PlexSpacesActorExports with_types_in $crate::bindings);
    };
}
