//! A stream's bytes, held by `stream.js` on the page as they are read: a part's body is cut from
//! them, and what OSS holds is let go.

use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Blob;

#[wasm_bindgen]
extern "C" {
    /// `stream.js`'s `Held`: the chunks of a stream not yet let go.
    #[derive(Clone)]
    pub type Held;

    /// Bytes `start..end`, as one `Blob` (the engine never asks for bytes it released). It
    /// cannot throw: it slices the `Blob`s it holds and makes one of them.
    #[wasm_bindgen(method)]
    pub fn slice(this: &Held, start: f64, end: f64) -> Blob;

    /// OSS holds bytes `start..end`: they need not be kept.
    #[wasm_bindgen(method)]
    pub fn release(this: &Held, start: f64, end: f64);
}
