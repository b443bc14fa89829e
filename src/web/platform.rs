//! The engine's world in a browser: fetch with an AbortController per request, `Blob.slice`,
//! `setTimeout`, and the page's callbacks.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, File, Headers, RequestInit};

use super::js;
use crate::engine::{Credentials, Event, FileInfo, Platform};
use crate::error::{code, UploadError};
use crate::oss::request::Request;
use crate::oss::response::Response;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, in a window or a worker alike.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, millis: i32) -> JsValue;
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
    pub get_upload_auth: Function,
    /// Each file's `File` and the options it was added with, for the info objects.
    pub files: RefCell<BTreeMap<usize, (File, JsValue)>>,
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
        set("bucket", text(&info.bucket));
        set("object", text(&info.object));
        set("errorCode", text(&info.error_code));
        set("errorMessage", text(&info.error_message));
        if let Some((file, options)) = self.0.files.borrow().get(&info.index) {
            set("file", file.into());
            set("options", options.clone());
        }
        object.into()
    }
}

/// Aborts the fetch if its future is dropped before the answer is read.
struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

async fn fetch(request: Request, body: Option<Blob>) -> Result<Response, String> {
    let fail = |e: JsValue| js::describe(&e);
    let headers = Headers::new().map_err(fail)?;
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(fail)?;
    }
    let controller = AbortController::new().map_err(fail)?;
    let init = RequestInit::new();
    init.set_method(request.method);
    init.set_headers(&headers);
    init.set_signal(Some(&controller.signal()));
    match (body, &request.body) {
        (Some(blob), _) => init.set_body(&blob),
        (None, Some(xml)) => init.set_body(&JsValue::from_str(xml)),
        (None, None) => {}
    }
    let mut guard = AbortOnDrop(Some(controller));
    let answer: web_sys::Response = JsFuture::from(global_fetch(&request.url, &init))
        .await
        .map_err(fail)?
        .unchecked_into();
    let etag = answer.headers().get("etag").ok().flatten();
    let text = JsFuture::from(answer.text().map_err(fail)?)
        .await
        .map_err(fail)?;
    guard.0 = None;
    Ok(Response {
        status: answer.status(),
        etag,
        body: text.as_string().unwrap_or_default(),
    })
}

fn sleep(millis: u32) -> JsFuture {
    let millis = millis.min(i32::MAX as u32) as i32;
    JsFuture::from(Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, millis);
    }))
}

/// Reads `getUploadAuth`'s answer: what `CreateUploadVideo` returned.
fn credentials(answer: &JsValue) -> Result<Credentials, UploadError> {
    let upload_auth = js::string(answer, &["UploadAuth", "uploadAuth"]).ok_or_else(|| {
        UploadError::new(
            code::INVALID_UPLOAD_AUTH,
            "getUploadAuth's answer has no UploadAuth string",
        )
    })?;
    let upload_address =
        js::string(answer, &["UploadAddress", "uploadAddress"]).ok_or_else(|| {
            UploadError::new(
                code::INVALID_UPLOAD_ADDRESS,
                "getUploadAuth's answer has no UploadAddress string",
            )
        })?;
    let video_id = js::string(answer, &["VideoId", "videoId", "ImageId", "imageId"]);
    Credentials::decode(&upload_auth, &upload_address, video_id)
}

impl Platform for WebPlatform {
    type File = File;
    type Body = Blob;

    fn slice(&self, file: &File, bytes: Range<u64>) -> Blob {
        file.slice_with_f64_and_f64(bytes.start as f64, bytes.end as f64)
            .expect("slicing a File within its size")
    }

    fn send(
        &self,
        request: Request,
        body: Option<Blob>,
    ) -> LocalBoxFuture<'static, Result<Response, String>> {
        Box::pin(fetch(request, body))
    }

    fn sleep(&self, millis: u32) -> LocalBoxFuture<'static, ()> {
        let timer = sleep(millis);
        Box::pin(async move {
            let _ = timer.await;
        })
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn spawn(&self, task: LocalBoxFuture<'static, ()>) {
        wasm_bindgen_futures::spawn_local(task);
    }

    fn upload_auth(
        &self,
        file: &FileInfo,
    ) -> LocalBoxFuture<'static, Result<Credentials, UploadError>> {
        let called = self
            .0
            .get_upload_auth
            .call1(&JsValue::NULL, &self.info(file));
        Box::pin(async move {
            let failed = |e: JsValue| {
                UploadError::new(
                    code::GET_UPLOAD_AUTH_FAILED,
                    format!("getUploadAuth failed: {}", js::describe(&e)),
                )
            };
            let answer = JsFuture::from(Promise::resolve(&called.map_err(failed)?))
                .await
                .map_err(failed)?;
            credentials(&answer)
        })
    }

    fn emit(&self, event: Event) {
        let c = &self.0.callbacks;
        let error_args = |info: &FileInfo, e: &UploadError| {
            [
                self.info(info),
                JsValue::from_str(&e.code),
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
