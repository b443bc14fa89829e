//! A stream the page hands over (`addStream`): read chunk by chunk as the uploader wants bytes,
//! each chunk kept as a `Blob` until OSS holds every byte of it, and a part's body cut from
//! them. (`recorder.js` makes such a stream of a `MediaRecorder`.)

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::ops::Range;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::js;
use super::platform::WebPlatform;
use crate::engine::Uploader;
use crate::error::{Code, UploadError};

/// A stream's bytes as they came, but those OSS holds.
#[derive(Default)]
pub struct Recording {
    /// The chunks still held, in order, with the bytes of the stream each is.
    chunks: RefCell<Vec<(Range<u64>, Blob)>>,
    /// The bytes OSS holds, as few ranges as they merge into.
    released: RefCell<Vec<Range<u64>>>,
    /// What resolves the reader's wait for the uploader to want bytes again.
    waiting: RefCell<Option<Function>>,
    /// The file was deleted: the stream is cancelled.
    pub cancelled: Cell<bool>,
}

impl Recording {
    /// Bytes `bytes` of the stream, as one `Blob` of the chunks' slices.
    pub fn slice(&self, bytes: Range<u64>) -> Blob {
        let pieces: Array = self
            .chunks
            .borrow()
            .iter()
            .filter(|(range, _)| range.start < bytes.end && bytes.start < range.end)
            .map(|(range, blob)| {
                let from = bytes.start.max(range.start) - range.start;
                let to = bytes.end.min(range.end) - range.start;
                super::blob::slice(blob, from..to)
            })
            .collect();
        // A Blob made of Blobs does not throw.
        Blob::new_with_blob_sequence(&pieces).unwrap_or_else(|_| unreachable!())
    }

    /// OSS holds `bytes`: the chunks it covers whole are let go, and the reader may read on.
    pub fn release(&self, bytes: Range<u64>) {
        let mut released = self.released.borrow_mut();
        // Kept in order, each merged with its neighbours where they touch.
        let at = released.partition_point(|r| r.end < bytes.start);
        released.insert(at, bytes);
        while at + 1 < released.len() && released[at + 1].start <= released[at].end {
            let next = released.remove(at + 1);
            released[at] = released[at].start.min(next.start)..released[at].end.max(next.end);
        }
        let covered = |c: &Range<u64>| released.iter().any(|r| r.start <= c.start && c.end <= r.end);
        self.chunks.borrow_mut().retain(|(range, _)| !covered(range));
        self.wake();
    }

    /// The uploader may want bytes again.
    pub fn wake(&self) {
        if let Some(resolve) = self.waiting.take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// Waits for [`Recording::wake`].
    async fn woken(&self) {
        let promise = Promise::new(&mut |resolve, _| *self.waiting.borrow_mut() = Some(resolve));
        let _ = JsFuture::from(promise).await;
    }
}

/// Calls `method` of `target` with no arguments.
fn call(target: &JsValue, method: &str) -> Result<JsValue, JsValue> {
    let function: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    function.call0(target)
}

/// The stream's reader, if `stream` is a `ReadableStream` (anything with `getReader`).
pub fn reader(stream: &JsValue) -> Result<JsValue, UploadError> {
    call(stream, "getReader").map_err(|_| {
        UploadError::new(
            Code::InvalidArgument,
            "addStream takes a ReadableStream (of Blobs or bytes), such as recorderStream(mediaRecorder) makes",
        )
    })
}

/// Reads stream `index` into `recording` while the uploader wants its bytes, and tells the
/// uploader of each chunk, the end, or the failure (its upload kept if `keep`).
pub fn read(
    reader: JsValue,
    recording: Rc<Recording>,
    uploader: Uploader<WebPlatform>,
    index: usize,
    keep: bool,
) {
    wasm_bindgen_futures::spawn_local(async move {
        let mut size = 0u64;
        let failed = loop {
            while !uploader.wants_bytes(index) && !recording.cancelled.get() {
                recording.woken().await;
            }
            if recording.cancelled.get() {
                let _ = call(&reader, "cancel");
                return;
            }
            let read = match call(&reader, "read") {
                Ok(promise) => JsFuture::from(Promise::from(promise)).await,
                Err(error) => Err(error),
            };
            let chunk = match read {
                Ok(read) if js::get(&read, "done").is_truthy() => break None,
                Ok(read) => blob_of(js::get(&read, "value")),
                Err(error) => break Some(js::describe(&error)),
            };
            let Some(chunk) = chunk else {
                break Some("the stream gave something that is neither bytes nor a Blob".into());
            };
            let end = size + chunk.size() as u64;
            if end > size {
                recording.chunks.borrow_mut().push((size..end, chunk));
                size = end;
                uploader.stream_grew(index, size, false);
            }
        };
        match failed {
            None => uploader.stream_grew(index, size, true),
            Some(why) => {
                let message = alloc::format!("the stream failed: {why}");
                let error = UploadError::new(Code::StreamFailed, message);
                uploader.stream_failed(index, error, keep)
            }
        }
    });
}

/// A chunk as a `Blob`: a `Blob` as it is, bytes (a typed array, a `DataView`, an
/// `ArrayBuffer`) copied into one.
fn blob_of(value: JsValue) -> Option<Blob> {
    if value.is_instance_of::<Blob>() {
        return value.dyn_into().ok();
    }
    let bytes = value.is_instance_of::<js_sys::ArrayBuffer>()
        || js_sys::ArrayBuffer::is_view(&value);
    bytes
        .then(|| Blob::new_with_buffer_source_sequence(&Array::of1(&value)).ok())
        .flatten()
}
