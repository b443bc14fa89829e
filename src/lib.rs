//! vod-upload: browser upload SDK for ApsaraVideo VOD.
//!
//! The protocol is plain Rust, usable natively (the local stand-in server verifies signatures
//! with the very functions the SDK signs with) and from WebAssembly.

pub mod auth;
pub mod engine;
pub mod error;
pub mod oss;
#[cfg(target_arch = "wasm32")]
mod web;

use wasm_bindgen::prelude::wasm_bindgen;

/// The SDK's version, as published in its npm package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
