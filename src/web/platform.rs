//! The engine's world in a browser: requests (`http.rs`; parts through the worker, `worker.rs`),
//! timers, the network events, storage, and the page's functions and callbacks.

use alloc::rc::Rc;
use alloc::{boxed::Box, format, string::String, vec::Vec};
use core::cell::RefCell;
use core::ops::Range;

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use super::http::{fetch, AbortOnDrop};
use super::js;
use super::network;
use super::stream::Held;
use super::timer::Timer;
use super::worker::{Job, Work};
use crate::auth::{decode_upload_auth, StsToken};
use crate::engine::{
    Clock, Connectivity, Credentials, Digest, Done, Event, FileInfo, Files, Grant, Hashed, Http,
    Network, Platform, Storage, Uploader,
};
use crate::error::{Code, TransportError, UploadError};
use crate::oss::request::Request;
use crate::oss::response::Response;
use crate::vec_map::VecMap;

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
    /// Each file's `File` (or stream) and the options it was added with, for the info objects.
    pub files: RefCell<VecMap<usize, (JsValue, JsValue)>>,
    pub offload: Rc<super::worker::Offload>,
}

#[derive(Clone)]
pub struct WebPlatform(pub Rc<Page>);

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
            set("file", file.clone());
            set("options", options.clone());
        }
        object.into()
    }
}

/// A request under way, on the page or in the worker: dropping it aborts it (each is held
/// for its `Drop`).
pub enum Sending {
    Page { _fetch: AbortOnDrop },
    Worker { _given: super::worker::Given },
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

/// What the page handed over: a `File`, or a stream's bytes as `stream.js` holds them.
#[derive(Clone)]
pub enum Source {
    File(File),
    Stream(Held),
}

impl Source {
    /// A job on `bytes`: a `File`'s slice is cut where the job runs, from the `File` the worker
    /// keeps; a stream's here, and given once.
    fn job(&self, bytes: Range<u64>, work: Work) -> Job {
        let (file, keep, bytes) = match self {
            Source::File(file) => (file.clone().into(), true, bytes),
            Source::Stream(held) => (
                held.slice(bytes.start as f64, bytes.end as f64),
                false,
                0..bytes.end - bytes.start,
            ),
        };
        Job {
            file,
            keep,
            bytes,
            work,
        }
    }
}

impl Files for WebPlatform {
    type File = Source;

    fn hash(
        &self,
        file: &Source,
        bytes: Range<u64>,
        digest: Digest,
        done: Done<Result<Hashed, TransportError>>,
    ) {
        let job = file.job(bytes, Work::Hash { digest, done });
        super::worker::give(&self.0.offload, job);
    }

    fn rest(&self) {
        super::worker::rest(&self.0.offload);
    }

    fn release(&self, file: &Source, bytes: Range<u64>) {
        if let Source::Stream(held) = file {
            held.release(bytes.start as f64, bytes.end as f64);
        }
    }
}

impl Http for WebPlatform {
    type Sending = Sending;

    /// A part goes from the worker, which reads its bytes itself; the other requests (small XML
    /// or none) from the page.
    fn send(
        &self,
        request: Request,
        body: Option<(Source, Range<u64>)>,
        done: Done<Result<Response, TransportError>>,
    ) -> Sending {
        if let Some((file, bytes)) = body {
            let job = file.job(bytes, Work::Send { request, done });
            let given = super::worker::send(&self.0.offload, job);
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
