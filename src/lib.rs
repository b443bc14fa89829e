//! vod-upload: browser upload SDK for ApsaraVideo VOD.
//!
//! `auth`, `oss` and `engine` are plain Rust, tested natively (the local stand-in server even
//! verifies signatures with the very functions the SDK signs with); `web` is the thin browser
//! edge and the JavaScript facade, compiled for wasm32 only.
//!
//! The crate needs only `core` and `alloc`, so that the shipped wasm can leave `std` out (see
//! the `std` feature).

#![no_std]
// Indexing a `str` by a range can panic, and its panic message alone brings some 8 KB of
// formatting code into the wasm; `str::get`, `split_at_checked` and `text::split_once` cannot.
#![cfg_attr(not(test), deny(clippy::string_slice))]
// Likewise `char` patterns and number parsing: see clippy.toml.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod auth;
pub mod crc64;
mod date;
mod encoding;
pub mod engine;
pub mod error;
#[cfg(test)]
mod fuzz;
mod json;
pub mod oss;
mod text;
mod vec_map;
pub mod vod;
#[cfg(target_arch = "wasm32")]
mod web;
mod worker_abi;

#[cfg(target_arch = "wasm32")]
pub use web::VodUploader;

use alloc::string::{String, ToString};

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    /// Repeatable pseudo-random numbers for the tests (xorshift64).
    pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
        let mut next = xorshift(seed);
        (0..len).map(|_| next() as u8).collect()
    }
}
use wasm_bindgen::prelude::wasm_bindgen;

/// Without `std`, an allocator of its own: talc, which merges freed blocks, so a long session's
/// memory follows what it holds, and is 1.9 KB gzip smaller than `std`'s dlmalloc (2026-12-07).
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Without `std`, a panic (a bug) traps at once, as `std`'s would after formatting a message
/// nobody reads: the wasm has no console, and the trap surfaces as a JavaScript error.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The SDK's version, as published in its npm package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
