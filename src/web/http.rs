//! Requests sent with the browser's `fetch` (the page's or a worker's global alike), aborted by
//! dropping them, and their answers read as the core takes them: the status, the few headers it
//! reads, and the start of the text.

use alloc::string::String;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, RequestInit};

use crate::error::TransportError;
use crate::oss::request::Request;
use crate::oss::response::{Response, MAX_BODY};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, in a window or a worker alike.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;
}

/// A failed fetch or read, as the core takes it.
pub fn transport_error(e: JsValue) -> TransportError {
    TransportError {
        message: super::js::describe(&e),
    }
}

/// A fetch under way on the page: dropping it aborts the fetch.
pub struct AbortOnDrop(Option<AbortController>);

impl AbortOnDrop {
    pub fn new() -> AbortOnDrop {
        AbortOnDrop(AbortController::new().ok())
    }

    pub fn signal(&self) -> Option<web_sys::AbortSignal> {
        self.0.as_ref().map(AbortController::signal)
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

/// The one place a request is made ready for `fetch`, on the page and in the worker alike: its
/// method, its headers (as pairs of strings, which can be posted to a worker) and its XML body if
/// it has one. A part's body (a slice of the file) and the abort signal are set where it is sent.
pub fn init(request: &Request) -> RequestInit {
    let headers = Array::new();
    for (name, value) in &request.headers {
        headers.push(&Array::of2(
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        ));
    }
    let init = RequestInit::new();
    init.set_method(request.method);
    init.set_headers(&headers);
    if let Some(xml) = &request.body {
        init.set_body(&JsValue::from_str(xml));
    }
    init
}

/// Sends `request`, with `body` if it has one, until `signal` aborts it.
pub async fn fetch(
    request: Request,
    body: Option<Blob>,
    signal: Option<web_sys::AbortSignal>,
) -> Result<Response, TransportError> {
    let init = init(&request);
    if let Some(blob) = body {
        init.set_body(&blob);
    }
    init.set_signal(signal.as_ref());
    let answer: web_sys::Response = JsFuture::from(global_fetch(&request.url, &init))
        .await
        .map_err(transport_error)?
        .unchecked_into();
    let text = JsFuture::from(answer.text().map_err(transport_error)?)
        .await
        .map_err(transport_error)?
        .unchecked_into();
    let headers = answer.headers();
    Ok(response_of(
        answer.status(),
        |name| headers.get(name).ok().flatten(),
        text,
    ))
}

/// The answer's headers that the core reads: the ETag, the CRC-64, and the length (HeadObject).
pub const READ_HEADERS: [&str; 3] = ["etag", "x-oss-hash-crc64ecma", "content-length"];

/// An answer as the core takes it, from the page's fetch or the worker's: its status, `header`
/// of each of [`READ_HEADERS`], and its text.
pub fn response_of(
    status: u16,
    header: impl Fn(&str) -> Option<String>,
    text: js_sys::JsString,
) -> Response {
    // Only the start of an overlong answer comes into the wasm (counted in UTF-16 units): no
    // answer the SDK reads is that long, so the cut one reads as broken.
    let text = match text.length() as usize {
        n if n > MAX_BODY => text.slice(0, MAX_BODY as u32),
        _ => text,
    };
    let [etag, crc64, length] = READ_HEADERS.map(header);
    Response {
        status,
        etag,
        crc64,
        length,
        body: text.as_string().unwrap_or_default(),
    }
}
