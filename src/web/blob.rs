//! A `File`'s bytes: slices of it, and reading one in pieces into buffers used over and over.

use alloc::vec::Vec;
use core::cell::RefCell;
use core::ops::Range;

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// Bytes `bytes` of `file`.
pub fn slice(file: &Blob, bytes: Range<u64>) -> Blob {
    // Slicing a Blob within its size does not throw. (The invariants' texts are comments: a
    // panic traps, and nobody reads its message.)
    file.slice_with_f64_and_f64(bytes.start as f64, bytes.end as f64)
        .unwrap_or_else(|_| unreachable!())
}

/// How much of a file is read at a time.
const PIECE: u32 = 256 * 1024;

/// Calls `method` of `target` with `args`.
fn call(target: &JsValue, method: &str, args: &js_sys::Array) -> Result<JsValue, JsValue> {
    let function: Function = js_sys::Reflect::get(target, &method.into())?.dyn_into()?;
    function.apply(target, args)
}

/// Reads `blob` in pieces through a BYOB reader that fills a buffer from `pieces` over and
/// over and gives it back at the end, so that hashing a large file allocates nothing per part:
/// fresh `ArrayBuffer`s pile up faster than the collector frees them. Where the stream has no
/// BYOB reader, the whole blob is read at once.
pub async fn read_pieces(
    blob: &Blob,
    pieces: &RefCell<Vec<js_sys::ArrayBuffer>>,
    each: &mut dyn FnMut(&[u8]),
) -> Result<(), JsValue> {
    let get = |value: &JsValue, name: &str| js_sys::Reflect::get(value, &name.into());
    let stream = call(blob, "stream", &js_sys::Array::new())?;
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"mode".into(), &"byob".into())?;
    let Ok(reader) = call(&stream, "getReader", &js_sys::Array::of1(&options)) else {
        let buffer = JsFuture::from(blob.array_buffer()).await?;
        each(&js_sys::Uint8Array::new(&buffer).to_vec());
        return Ok(());
    };
    let read: Function = get(&reader, "read")?.dyn_into()?;
    let spare = pieces.borrow_mut().pop();
    let mut buffer = spare.unwrap_or_else(|| js_sys::ArrayBuffer::new(PIECE));
    let mut piece = Vec::new();
    loop {
        let view = js_sys::Uint8Array::new_with_byte_offset_and_length(&buffer, 0, PIECE);
        let result = JsFuture::from(Promise::from(read.call1(&reader, &view)?)).await?;
        let filled = get(&result, "value")?.dyn_into::<js_sys::Uint8Array>();
        if get(&result, "done")?.is_truthy() {
            // At the end the stream hands the buffer back in an empty view.
            if let Some(buffer) = filled.ok().map(|empty| empty.buffer()) {
                if buffer.byte_length() == PIECE {
                    pieces.borrow_mut().push(buffer);
                }
            }
            return Ok(());
        }
        let filled = filled?;
        piece.resize(filled.length() as usize, 0);
        filled.copy_to(&mut piece);
        each(&piece);
        // The buffer was handed to the stream and comes back in the view it filled.
        buffer = filled.buffer();
    }
}
