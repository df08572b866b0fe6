//! The attributes of the PlexSpaces Rust SDK (`plexspaces-sdk`), in the
//! article's style:
//!
//! ```ignore
//! #[gen_server_actor]
//! struct Counter { count: i32 }
//!
//! #[plexspaces_handlers]
//! impl Counter {
//!     #[handler("increment")]
//!     async fn increment(&mut self, _ctx: &ActorContext, msg: &Message) -> Result<serde_json::Value, BehaviorError> { … }
//! }
//! ```
//!
//! `#[gen_server_actor]` makes the struct the component's actor: its state is
//! the struct as JSON (serde), it starts from `Default`, and the SDK's prelude
//! is brought into the module. `#[plexspaces_handlers]` turns the `#[handler]`
//! methods into the actor's dispatch: a message whose type names a handler
//! runs it; `#[handler("*")]` takes every other type.
use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, ImplItem, ItemImpl, ItemStruct, LitStr};

#[proc_macro_attribute]
pub fn gen_server_actor(_args: TokenStream, item: TokenStream) -> TokenStream {
    let item = parse_macro_input!(item as ItemStruct);
    let name = &item.ident;
    quote! {
        #[allow(unused_imports)]
        use ::plexspaces_sdk::prelude::*;

        #[derive(::core::default::Default, ::plexspaces_sdk::serde::Serialize, ::plexspaces_sdk::serde::Deserialize)]
        #[serde(crate = "::plexspaces_sdk::serde")]
        #item

        // The component's exports (init, handle, get-state, set-state) for this actor.
        ::plexspaces_sdk::export_actor!(#name);
    }
    .into()
}

/// Marks a method of a `#[plexspaces_handlers]` impl as the handler of a message type ("*": any other).
#[proc_macro_attribute]
pub fn handler(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}

#[proc_macro_attribute]
pub fn plexspaces_handlers(_args: TokenStream, item: TokenStream) -> TokenStream {
    let mut block = parse_macro_input!(item as ItemImpl);
    let self_ty = block.self_ty.clone();
    let mut arms = Vec::new();
    let mut wildcard = None;
    for entry in block.items.iter_mut() {
        let ImplItem::Fn(method) = entry else { continue };
        // The attribute stays on the method (it expands to the method itself), so the `use … handler` that names it is used.
        let Some(attribute) = method.attrs.iter().find(|a| a.path().is_ident("handler")) else { continue };
        let name: LitStr = match attribute.parse_args() {
            Ok(name) => name,
            Err(error) => return error.to_compile_error().into(),
        };
        let method_name = &method.sig.ident;
        let call = if method.sig.asyncness.is_some() {
            quote! { ::plexspaces_sdk::block_on(self.#method_name(ctx, msg)) }
        } else {
            quote! { self.#method_name(ctx, msg) }
        };
        if name.value() == "*" {
            wildcard = Some(call);
        } else {
            arms.push(quote! { #name => #call, });
        }
    }
    let fallback = match wildcard {
        Some(call) => quote! { _ => #call, },
        None => quote! { other => ::core::result::Result::Err(::plexspaces_sdk::BehaviorError::UnknownMessage(other.to_string())), },
    };
    quote! {
        #block

        impl ::plexspaces_sdk::Handlers for #self_ty {
            fn dispatch(&mut self, ctx: &::plexspaces_sdk::ActorContext, msg: &::plexspaces_sdk::Message) -> ::core::result::Result<::plexspaces_sdk::serde_json::Value, ::plexspaces_sdk::BehaviorError> {
                match msg.message_type.as_str() {
                    #(#arms)*
                    #fallback
                }
            }
        }
    }
    .into()
}
