//! What the page and its worker say to each other: one enum each way. Each message is an object
//! whose `kind` is its variant's number, the same in `worker.js`, which dispatches on it as
//! `FromWorker::read` does here.
//!
//! To the worker: 0 `start { module, read, max }` (the page's compiled module; the answer headers
//! a send posts back, and how much of an answer's text), then jobs on a slice of a file, `{ id,
//! key, file (the first time a key is used; every time, with no key, for a blob not to keep),
//! start, end }`: 1 `hash` with `md5` (and `fail`, in tests), 2 `send` with `url` and `init`
//! (the request as [`super::http::init`] made it). 3 `abort { id }` aborts a send.
//!
//! From the worker, `{ kind, id, value }`: 0 `ready`; 1 `failed`, the reason; 2 `done`, the
//! digest of a hash (8 bytes for a CRC-64, 16 for an MD5) or the answer to a send (`{ status,
//! headers, body }`); 3 `error`, what went wrong with job `id`.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use js_sys::{Array, JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, RequestInit, Worker};

use super::http::{response_of, READ_HEADERS};
use super::js::get;
use crate::oss::response::{Response, MAX_BODY};

/// Bytes of a file a job works on; `file` is given the first time its `key` is used, and every
/// time for a blob the worker is not to keep (no key).
pub struct Slice<'a> {
    pub id: u32,
    pub key: Option<u32>,
    pub file: Option<&'a Blob>,
    pub bytes: Range<u64>,
}

/// What the page posts to its worker.
pub enum ToWorker<'a> {
    /// The page's compiled module, which the worker instantiates.
    Start(&'a JsValue),
    /// Hash a slice, as MD5 or CRC-64; `fail`: fail on purpose, for the tests of the fallback.
    Hash {
        slice: Slice<'a>,
        md5: bool,
        fail: bool,
    },
    /// Send a slice as the body of a request.
    Send {
        slice: Slice<'a>,
        url: &'a str,
        init: RequestInit,
    },
    /// Abort the send of job `id`.
    Abort(u32),
}

impl ToWorker<'_> {
    pub fn post(&self, worker: &Worker) -> Result<(), JsValue> {
        let message = Object::new();
        let kind: u32 = match self {
            ToWorker::Start(module) => {
                set(&message, "module", module);
                let read: Array = READ_HEADERS.iter().map(|h| JsValue::from_str(h)).collect();
                set(&message, "read", &read);
                set(&message, "max", &(MAX_BODY as u32).into());
                0
            }
            ToWorker::Hash { slice, md5, fail } => {
                slice.write(&message);
                set(&message, "md5", &(*md5).into());
                if *fail {
                    set(&message, "fail", &true.into());
                }
                1
            }
            ToWorker::Send { slice, url, init } => {
                slice.write(&message);
                set(&message, "url", &JsValue::from_str(url));
                set(&message, "init", init);
                2
            }
            ToWorker::Abort(id) => {
                set(&message, "id", &(*id).into());
                3
            }
        };
        set(&message, "kind", &kind.into());
        worker.post_message(&message)
    }
}

impl Slice<'_> {
    fn write(&self, message: &Object) {
        if let Some(file) = self.file {
            set(message, "file", file);
        }
        set(message, "id", &self.id.into());
        if let Some(key) = self.key {
            set(message, "key", &key.into());
        }
        set(message, "start", &(self.bytes.start as f64).into());
        set(message, "end", &(self.bytes.end as f64).into());
    }
}

/// What the worker posts to the page.
pub enum FromWorker {
    /// The module is instantiated: jobs may go.
    Ready,
    /// The worker cannot work here, and why.
    Failed(String),
    /// Job `id` is done: its digest or its answer, as the job's kind reads it; or why it failed.
    Done(u32, Result<JsValue, String>),
}

impl FromWorker {
    /// The message the worker posted, `{ kind, id, value }`; `None` if it is not one.
    pub fn read(data: &JsValue) -> Option<FromWorker> {
        let value = get(data, "value");
        let id = get(data, "id").as_f64().map(|id| id as u32);
        let text = value.as_string().unwrap_or_default();
        Some(match get(data, "kind").as_f64()? as u32 {
            READY => FromWorker::Ready,
            FAILED => FromWorker::Failed(text),
            DONE => FromWorker::Done(id?, Ok(value)),
            _ => FromWorker::Done(id?, Err(text)),
        })
    }
}

/// The kinds of what the worker posts, as `worker.js` numbers them.
const READY: u32 = 0;
const FAILED: u32 = 1;
const DONE: u32 = 2;

/// A digest the worker posted: 8 bytes for a CRC-64, 16 for an MD5.
pub fn digest(value: JsValue) -> Option<Vec<u8>> {
    Some(value.dyn_into::<Uint8Array>().ok()?.to_vec())
}

/// The server's answer as the worker posted it: `{ status, headers: { name: value }, body }`.
pub fn response(answer: &JsValue) -> Option<Response> {
    let status = get(answer, "status").as_f64()?;
    let headers = get(answer, "headers");
    let body = get(answer, "body").dyn_into::<JsString>().ok()?;
    let header = |name: &str| get(&headers, name).as_string();
    Some(response_of(status as u16, header, body))
}

fn set(object: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(object, &name.into(), value);
}
