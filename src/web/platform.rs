//! The engine's world in a browser: fetch with an AbortController per request, `Blob.slice`,
//! timers, the network events, and the page's functions and callbacks.

use alloc::rc::Rc;
use alloc::{boxed::Box, format, string::String, vec::Vec};
use core::cell::RefCell;
use core::ops::Range;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, File, Headers, RequestInit};

use super::js;
use super::network;
use super::timer::Timer;
use super::worker::{Job, Work};
use crate::auth::{decode_upload_auth, StsToken};
use crate::engine::{
    Clock, Connectivity, Credentials, Digest, Done, Event, FileInfo, Files, Grant, Hashed, Http,
    Network, Platform, Storage, Uploader,
};
use crate::error::{Code, TransportError, UploadError};
use crate::oss::request::Request;
use crate::oss::response::{Response, MAX_BODY};
use crate::vec_map::VecMap;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, in a window or a worker alike.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;
}

/// The page's callbacks, as given in the options.
#[derive(Default)]
pub struct Callbacks {
    pub started: Option<Function>,
    pub succeed: Option<Function>,
    pub failed: Option<Function>,
    pub progress: Option<Function>,
    pub token_expired: Option<Function>,
    pub retry: Option<Function>,
    pub retry_resume: Option<Function>,
    pub end: Option<Function>,
}

pub struct Page {
    pub callbacks: Callbacks,
    /// `localStorage`, where the browser has it and lets the page use it.
    pub storage: Option<web_sys::Storage>,
    pub get_upload_auth: Option<Function>,
    pub refresh_upload_auth: Option<Function>,
    pub get_sts_token: Option<Function>,
    pub network: network::Watch,
    /// Each file's `File` and the options it was added with, for the info objects.
    pub files: RefCell<VecMap<usize, (File, JsValue)>>,
    /// Buffers that reads of parts fill and hand back: one per part being read at once, however
    /// many parts a file has.
    pub pieces: RefCell<Vec<js_sys::ArrayBuffer>>,
    pub offload: super::worker::Offload,
}

#[derive(Clone)]
pub struct WebPlatform(pub Rc<Page>);

fn transport_error(e: JsValue) -> TransportError {
    TransportError {
        message: js::describe(&e),
    }
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
async fn read_pieces(
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

impl WebPlatform {
    /// The plain object the page sees for a file: the engine's info, its `File` and options.
    pub fn info(&self, info: &FileInfo) -> JsValue {
        let object = js_sys::Object::new();
        let set = |name: &str, value: JsValue| {
            let _ = js_sys::Reflect::set(&object, &name.into(), &value);
        };
        let text =
            |value: &Option<String>| value.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        set("index", info.index.into());
        set("name", info.name.as_str().into());
        set("size", (info.size as f64).into());
        set("state", info.state.as_str().into());
        set("loaded", (info.loaded as f64).into());
        set("percent", info.percent.into());
        set("videoId", text(&info.video_id));
        set("endpoint", text(&info.endpoint));
        set("bucket", text(&info.bucket));
        set("object", text(&info.object));
        let error = info.error.as_ref();
        set(
            "errorCode",
            error.map_or(JsValue::NULL, |e| e.code.as_str().into()),
        );
        set(
            "errorMessage",
            error.map_or(JsValue::NULL, |e| e.message.as_str().into()),
        );
        set("resumed", info.resumed.into());
        set("isImage", info.is_image.into());
        let image = info.image.as_ref();
        set(
            "imageId",
            image.map_or(JsValue::NULL, |(id, _)| id.as_str().into()),
        );
        set(
            "imageUrl",
            image.map_or(JsValue::NULL, |(_, url)| url.as_str().into()),
        );
        if let Some((file, options)) = self.0.files.borrow().get(&info.index) {
            set("file", file.into());
            set("options", options.clone());
        }
        object.into()
    }
}

/// A fetch under way on the page: dropping it aborts the fetch.
pub struct AbortOnDrop(Option<AbortController>);

impl AbortOnDrop {
    fn new() -> AbortOnDrop {
        AbortOnDrop(AbortController::new().ok())
    }

    fn signal(&self) -> Option<web_sys::AbortSignal> {
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

/// A request under way, on the page or in the worker: dropping it aborts it (each is held
/// for its `Drop`).
pub enum Sending {
    Page { _fetch: AbortOnDrop },
    Worker { _given: super::worker::Given },
}

async fn fetch(
    request: Request,
    body: Option<Blob>,
    signal: Option<web_sys::AbortSignal>,
) -> Result<Response, TransportError> {
    let headers = Headers::new().map_err(transport_error)?;
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(transport_error)?;
    }
    let init = RequestInit::new();
    init.set_method(request.method);
    init.set_headers(&headers);
    init.set_signal(signal.as_ref());
    match (body, &request.body) {
        (Some(blob), _) => init.set_body(&blob),
        (None, Some(xml)) => init.set_body(&JsValue::from_str(xml)),
        (None, None) => {}
    }
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

/// Reads what the page answers for a file's credentials (`getUploadAuth`, `refreshUploadAuth`,
/// `resumeUploadWithToken`): an UploadAuth string; an answer of `CreateUploadVideo`,
/// `CreateUploadImage` or `RefreshUploadVideo` (with its UploadAddress, or only its
/// UploadAuth); or an STS token, with which the SDK asks VOD itself.
pub fn grant_of(answer: &JsValue) -> Result<Grant, UploadError> {
    let upload_auth = answer
        .as_string()
        .or_else(|| js::string(answer, &["UploadAuth", "uploadAuth"]));
    let Some(upload_auth) = upload_auth else {
        if js::string(answer, &["AccessKeyId", "accessKeyId"]).is_some() {
            return super::sts_token_of(answer).map(Grant::Sts);
        }
        return Err(UploadError::new(
            Code::InvalidUploadAuth,
            "expected an UploadAuth string, an answer with UploadAuth and UploadAddress, or an STS token",
        ));
    };
    let Some(upload_address) = js::string(answer, &["UploadAddress", "uploadAddress"]) else {
        return decode_upload_auth(&upload_auth).map(Grant::Auth);
    };
    let video_id = js::string(answer, &["VideoId", "videoId"]);
    let image = js::string(answer, &["ImageId", "imageId"])
        .zip(js::string(answer, &["ImageURL", "imageURL", "imageUrl"]));
    Credentials::decode(&upload_auth, &upload_address, video_id, image).map(Grant::Credentials)
}

impl WebPlatform {
    fn slice(file: &File, bytes: Range<u64>) -> Blob {
        // Slicing a File within its size does not throw. (The invariants' texts are comments:
        // a panic traps, and nobody reads its message.)
        file.slice_with_f64_and_f64(bytes.start as f64, bytes.end as f64)
            .unwrap_or_else(|_| unreachable!())
    }
}

/// Hashes a part on the page's thread: where a worker is refused, or its answer lost.
pub fn hash_on_page(
    page: &Rc<Page>,
    file: File,
    bytes: Range<u64>,
    digest: Digest,
    done: Done<Result<Hashed, TransportError>>,
) {
    let count = &page.offload.hashed_on_page;
    count.set(count.get() + 1);
    let blob = WebPlatform::slice(&file, bytes);
    let page = page.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let mut hasher = crate::engine::Hasher::new(digest);
        let read = read_pieces(&blob, &page.pieces, &mut |piece| hasher.update(piece)).await;
        done(read.map(|()| hasher.finish()).map_err(transport_error))
    });
}

/// Sends a part from the page's thread, in the worker's stead (job `id`): where a worker is
/// refused, or it went while the part was under way.
pub fn send_on_page(
    page: &Rc<Page>,
    id: u32,
    file: &File,
    bytes: Range<u64>,
    request: Request,
    done: Done<Result<Response, TransportError>>,
) {
    let count = &page.offload.sent_on_page;
    count.set(count.get() + 1);
    let sending = AbortOnDrop::new();
    let signal = sending.signal();
    page.offload.keep_page_send(id, sending);
    let body = WebPlatform::slice(file, bytes);
    let page = Rc::downgrade(page);
    wasm_bindgen_futures::spawn_local(async move {
        let answer = fetch(request, Some(body), signal).await;
        if let Some(page) = page.upgrade() {
            page.offload.forget_page_send(id);
        }
        done(answer)
    });
}

impl Files for WebPlatform {
    type File = File;

    fn hash(
        &self,
        file: &File,
        bytes: Range<u64>,
        digest: Digest,
        done: Done<Result<Hashed, TransportError>>,
    ) {
        let work = Work::Hash { digest, done };
        let file = file.clone();
        super::worker::give(&self.0, Job { file, bytes, work });
    }

    fn rest(&self) {
        super::worker::rest(&self.0);
    }
}

impl Http for WebPlatform {
    type Sending = Sending;

    /// A part goes from the worker, which reads its bytes itself; the other requests (small XML
    /// or none) from the page.
    fn send(
        &self,
        request: Request,
        body: Option<(File, Range<u64>)>,
        done: Done<Result<Response, TransportError>>,
    ) -> Sending {
        if let Some((file, bytes)) = body {
            let work = Work::Send { request, done };
            let given = super::worker::send(&self.0, Job { file, bytes, work });
            return Sending::Worker { _given: given };
        }
        let sending = AbortOnDrop::new();
        let signal = sending.signal();
        wasm_bindgen_futures::spawn_local(async move {
            done(fetch(request, None, signal).await);
        });
        Sending::Page { _fetch: sending }
    }
}

impl Clock for WebPlatform {
    type Timer = Timer;

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn set_timer(&self, millis: f64, fire: Done<()>) -> Timer {
        Timer::new(millis, fire)
    }

    fn entropy(&self) -> Option<[u8; 32]> {
        super::random::bytes()
    }
}

impl Storage for WebPlatform {
    fn load(&self, key: &str) -> Option<String> {
        self.0.storage.as_ref()?.get_item(key).ok().flatten()
    }

    fn store(&self, key: &str, value: &str) {
        if let Some(storage) = &self.0.storage {
            // A full or refused storage only costs the resume after a reload.
            let _ = storage.set_item(key, value);
        }
    }

    fn forget(&self, key: &str) {
        if let Some(storage) = &self.0.storage {
            let _ = storage.remove_item(key);
        }
    }

    fn stored_keys(&self) -> Vec<String> {
        let Some(storage) = &self.0.storage else {
            return Vec::new();
        };
        let count = storage.length().unwrap_or(0);
        (0..count)
            .filter_map(|i| storage.key(i).ok().flatten())
            .collect()
    }
}

impl Connectivity for WebPlatform {
    fn network(&self) -> Network {
        self.0.network.now()
    }

    fn watch_network(&self, changed: Box<dyn Fn()>) {
        self.0.network.watch(changed);
    }
}

impl crate::engine::Page for WebPlatform {
    fn upload_auth(&self, file: &FileInfo, done: Done<Result<Grant, UploadError>>) {
        let function = self.0.get_upload_auth.as_ref();
        self.ask(function, "getUploadAuth", file, done);
    }

    fn sts_token(&self, done: Done<Result<StsToken, UploadError>>) {
        let called = self
            .0
            .get_sts_token
            .as_ref()
            .map(|f| f.call0(&JsValue::NULL));
        let failed = |e: JsValue| {
            UploadError::new(
                Code::GetStsTokenFailed,
                format!("getSTSToken failed: {}", js::describe(&e)),
            )
        };
        let called = called.unwrap_or_else(|| Err("no getSTSToken was given".into()));
        wasm_bindgen_futures::spawn_local(async move {
            let answer = match called {
                Ok(promise) => JsFuture::from(Promise::resolve(&promise)).await,
                Err(e) => Err(e),
            };
            done(answer.map_err(failed).and_then(|a| super::sts_token_of(&a)))
        });
    }

    fn can_refresh(&self) -> bool {
        self.0.refresh_upload_auth.is_some()
    }

    fn refresh_upload_auth(&self, file: &FileInfo, done: Done<Result<Grant, UploadError>>) {
        let function = self.0.refresh_upload_auth.as_ref();
        self.ask(
            function,
            "refreshUploadAuth",
            file,
            Box::new(|refreshed| {
                if let Err(e) = &refreshed {
                    web_sys::console::warn_1(
                        &format!("vod-upload: {e}; the upload stops until resumeUploadWithToken")
                            .into(),
                    );
                }
                done(refreshed)
            }),
        );
    }

    fn warn(&self, message: &str) {
        web_sys::console::warn_1(&message.into());
    }
}

impl Platform for WebPlatform {
    fn wake(&self, uploader: Uploader<WebPlatform>) {
        let platform = self.clone();
        // A task of its own: the page's callbacks run after the engine has let go.
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(event) = uploader.poll_event() {
                platform.deliver(event);
            }
        });
    }
}

impl WebPlatform {
    /// Calls one of the page's functions (`name`) with a file's info; `done` gets what it
    /// returns or resolves to, as a grant.
    fn ask(
        &self,
        function: Option<&Function>,
        name: &'static str,
        file: &FileInfo,
        done: Done<Result<Grant, UploadError>>,
    ) {
        let called = match function {
            Some(f) => f.call1(&JsValue::NULL, &self.info(file)),
            None => Err(JsValue::from_str(&format!("no {name} was given"))),
        };
        wasm_bindgen_futures::spawn_local(async move {
            let answer = match called {
                Ok(promise) => JsFuture::from(Promise::resolve(&promise)).await,
                Err(e) => Err(e),
            };
            let answer = answer.map_err(|e| {
                UploadError::new(
                    Code::GetUploadAuthFailed,
                    format!("{name} failed: {}", js::describe(&e)),
                )
            });
            done(answer.and_then(|answer| grant_of(&answer)))
        });
    }
    /// Tells the page, through its callback.
    fn deliver(&self, event: Event) {
        let c = &self.0.callbacks;
        let error_args = |info: &FileInfo, e: &UploadError| {
            [
                self.info(info),
                JsValue::from_str(e.code.as_str()),
                JsValue::from_str(&e.message),
            ]
        };
        match &event {
            Event::Started(info) => js::call(&c.started, "onUploadStarted", &[self.info(info)]),
            Event::Progress(info) => {
                let fraction = info.loaded as f64 / info.size.max(1) as f64;
                js::call(
                    &c.progress,
                    "onUploadProgress",
                    &[self.info(info), (info.size as f64).into(), fraction.into()],
                );
            }
            Event::Succeeded(info) => js::call(&c.succeed, "onUploadSucceed", &[self.info(info)]),
            Event::Failed(info, e) => js::call(&c.failed, "onUploadFailed", &error_args(info, e)),
            Event::TokenExpired(info) => {
                js::call(&c.token_expired, "onUploadTokenExpired", &[self.info(info)])
            }
            Event::Retry(info, e) => js::call(&c.retry, "onUploadRetry", &error_args(info, e)),
            Event::RetryResume(info) => {
                js::call(&c.retry_resume, "onUploadRetryResume", &[self.info(info)])
            }
            Event::End => js::call(&c.end, "onUploadEnd", &[]),
        }
    }
}
