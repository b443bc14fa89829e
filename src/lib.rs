//! vod-upload: browser upload SDK for ApsaraVideo VOD.
//!
//! `auth`, `oss` and `engine` are plain Rust, tested natively (the local stand-in server even
//! verifies signatures with the very functions the SDK signs with); `web` is the thin browser
//! edge and the JavaScript facade, compiled for wasm32 only.

pub mod auth;
mod base64;
pub mod crc64;
mod date;
pub mod engine;
pub mod error;
mod json;
pub mod oss;
mod percent;
mod vec_map;
pub mod vod;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub use web::VodUploader;

use wasm_bindgen::prelude::wasm_bindgen;

/// The SDK's version, as published in its npm package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
