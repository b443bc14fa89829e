//! The browser edge: the `VodUploader` class the page uses. It only translates between
//! JavaScript values and the engine.

use alloc::{format, string::String};
mod aliyun;
mod blob;
mod http;
mod js;
mod message;
mod network;
mod platform;
mod random;
mod stream;
mod timer;
mod worker;

use alloc::rc::Rc;
use core::cell::RefCell;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::File;

use crate::auth::StsToken;
use crate::engine::checkpoint::Checkpoint;
use crate::engine::{Described, Options, Stream, Uploader, DEFAULT_CHECKPOINT_MAX_AGE_MS};
use crate::error::{Code, UploadError};
use crate::vod::meta::Meta;
use platform::{Callbacks, Page, Source, WebPlatform};

type JsResult<T> = Result<T, JsValue>;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

fn thrown(e: UploadError) -> JsValue {
    js::error(&e)
}

#[wasm_bindgen]
pub struct VodUploader {
    uploader: Uploader<WebPlatform>,
    platform: WebPlatform,
}

/// The page's functions that answer for credentials: `getUploadAuth` (and maybe
/// `refreshUploadAuth`), or in STS mode `getSTSToken`.
struct Sources {
    get_upload_auth: Option<js_sys::Function>,
    refresh_upload_auth: Option<js_sys::Function>,
    get_sts_token: Option<js_sys::Function>,
}

/// An STS token as the page gives it: `{ AccessKeyId, AccessKeySecret, SecurityToken,
/// Expiration }`, or the same names in camelCase.
fn sts_token_of(value: &JsValue) -> Result<StsToken, UploadError> {
    let field = |pascal: &str, camel: &str| js::string(value, &[pascal, camel]);
    StsToken::new(
        field("AccessKeyId", "accessKeyId"),
        field("AccessKeySecret", "accessKeySecret"),
        field("SecurityToken", "securityToken"),
        field("Expiration", "expiration"),
    )
}

/// VOD's endpoint, for files that go through an STS token: `vodEndpoint`, else the region's.
fn vod_endpoint(region: Option<String>, endpoint: Option<String>) -> Result<String, UploadError> {
    let invalid = |message: String| UploadError::new(Code::InvalidArgument, message);
    let region = region.unwrap_or_else(|| "cn-shanghai".into());
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid(format!(
            "options.region \"{region}\" is not a region id such as \"cn-shanghai\""
        )));
    }
    let endpoint = endpoint.unwrap_or_else(|| format!("https://vod.{region}.aliyuncs.com"));
    if !endpoint.starts_with("https://") && !endpoint.starts_with("http://") {
        return Err(invalid(format!(
            "options.vodEndpoint \"{endpoint}\" is not an http(s) URL"
        )));
    }
    Ok(endpoint)
}

/// The page's `localStorage`; none in a worker, or where the browser refuses it.
fn local_storage() -> Option<web_sys::Storage> {
    let storage = js_sys::Reflect::get(&js_sys::global(), &"localStorage".into()).ok()?;
    storage
        .is_object()
        .then(|| storage.unchecked_into::<web_sys::Storage>())
}

fn read_options(options: &JsValue) -> Result<(Options, Callbacks, Sources), UploadError> {
    let defaults = Options::default();
    let mut r = js::Reader::new(options, "options.");
    let sources = Sources {
        get_upload_auth: r.function("getUploadAuth"),
        refresh_upload_auth: r.function("refreshUploadAuth"),
        get_sts_token: r.function("getSTSToken"),
    };
    let mut number = |name, range, default: f64| r.number(name, range).unwrap_or(default);
    let part_size = number(
        "partSize",
        0.0..=(5u64 << 30) as f64,
        defaults.part_size as f64,
    ) as u64;
    let parallel = number("parallel", 1.0..=100.0, defaults.parallel as f64) as usize;
    let retry_count = number("retryCount", 0.0..=100.0, defaults.retry_count as f64) as u32;
    let retry_duration_ms = number(
        "retryDuration",
        0.0..=600_000.0,
        defaults.retry_duration_ms as f64,
    ) as u32;
    let timeout_ms = number("timeout", 1.0..=3_600_000.0, defaults.timeout_ms as f64) as u32;
    let checkpoint_max_age_ms = match r.boolean("checkpoint") {
        Some(false) => None,
        _ => Some(
            r.number("checkpointMaxAge", 1.0..=3650.0 * 24.0 * 3600.0 * 1000.0)
                .unwrap_or(DEFAULT_CHECKPOINT_MAX_AGE_MS),
        ),
    };
    let pause_on_cellular = r.boolean("pauseOnCellular");
    let check_crc64 = r.boolean("checkCrc64");
    let callbacks = Callbacks {
        started: r.function("onUploadStarted"),
        succeed: r.function("onUploadSucceed"),
        failed: r.function("onUploadFailed"),
        progress: r.function("onUploadProgress"),
        token_expired: r.function("onUploadTokenExpired"),
        retry: r.function("onUploadRetry"),
        retry_resume: r.function("onUploadRetryResume"),
        end: r.function("onUploadEnd"),
    };
    let (region, endpoint) = (r.text("region"), r.text("vodEndpoint"));
    r.finish()?;
    if sources.get_upload_auth.is_some() == sources.get_sts_token.is_some() {
        return Err(UploadError::new(
            Code::InvalidArgument,
            "give exactly one of options.getUploadAuth (your backend's CreateUploadVideo answer) and options.getSTSToken (an STS token, for STS mode)",
        ));
    }
    let vod_endpoint = vod_endpoint(region, endpoint)?;
    let options = Options {
        part_size,
        parallel,
        retry_count,
        retry_duration_ms,
        timeout_ms,
        pause_on_cellular: pause_on_cellular.unwrap_or(defaults.pause_on_cellular),
        checkpoint_max_age_ms,
        check_crc64: check_crc64.unwrap_or(defaults.check_crc64),
        sts: sources.get_sts_token.is_some(),
        vod_endpoint,
    };
    Ok((options, callbacks, sources))
}

#[wasm_bindgen]
impl VodUploader {
    /// `new VodUploader({ getUploadAuth, refreshUploadAuth } or { getSTSToken, region,
    /// vodEndpoint }, and partSize, parallel, retryCount, retryDuration, timeout,
    /// pauseOnCellular, checkpoint, checkpointMaxAge, checkCrc64, and the callbacks)`
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "VodUploaderOptions")] options: JsValue,
    ) -> JsResult<VodUploader> {
        let (engine_options, callbacks, sources) = read_options(&options).map_err(thrown)?;
        let platform = WebPlatform(Rc::new(Page {
            callbacks,
            get_upload_auth: sources.get_upload_auth,
            refresh_upload_auth: sources.refresh_upload_auth,
            get_sts_token: sources.get_sts_token,
            network: network::Watch::new(),
            storage: local_storage(),
            files: RefCell::default(),
            offload: worker::Offload::new(),
        }));
        let uploader = Uploader::new(platform.clone(), engine_options).map_err(thrown)?;
        Ok(VodUploader { uploader, platform })
    }

    /// Queues a `File`; returns its index. `options` (title, tags, …) reach `getUploadAuth`
    /// as `info.options`.
    #[wasm_bindgen(js_name = addFile)]
    pub fn add_file(
        &self,
        #[wasm_bindgen(unchecked_param_type = "File")] file: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "UploadFileOptions")] options: JsValue,
    ) -> JsResult<usize> {
        let file: File = file.dyn_into().map_err(|_| {
            thrown(UploadError::new(
                Code::InvalidFile,
                "addFile takes a File (from an <input type=file> or a drop)",
            ))
        })?;
        let options = if options.is_undefined() || options.is_null() {
            js_sys::Object::new().into()
        } else if options.is_object() {
            options
        } else {
            return Err(thrown(UploadError::new(
                Code::InvalidArgument,
                "addFile's options must be an object, such as { title: \"My film\" }",
            )));
        };
        let described = described(&file);
        self.add(
            Source::File(file.clone()),
            described,
            file.into(),
            options,
            None,
        )
    }

    /// Queues what the page handed over (`shown` in its info, with `options`), its VOD options
    /// read from `options`; a stream named `stream`.
    #[inline(never)]
    fn add(
        &self,
        source: Source,
        mut described: Described,
        shown: JsValue,
        options: JsValue,
        stream: Option<String>,
    ) -> JsResult<usize> {
        described.meta = js::meta(&options).map_err(thrown)?;
        let index = self
            .uploader
            .add(source, described, stream.as_deref())
            .map_err(thrown)?;
        self.platform
            .0
            .files
            .borrow_mut()
            .insert(index, (shown, options));
        Ok(index)
    }

    /// Queues a stream whose bytes `stream.js` reads from the page's `stream` and holds in
    /// `held`, named `id` across pages; `info`: its `name`, `type` and the VOD options `addFile`
    /// takes. `addStream` (in `stream.js`) is what the page calls.
    #[wasm_bindgen(js_name = _addStream, skip_typescript)]
    pub fn add_stream(
        &self,
        held: stream::Held,
        stream: JsValue,
        info: JsValue,
        id: String,
    ) -> JsResult<usize> {
        let described = Described {
            name: js::string(&info, &["name"]).unwrap_or_default(),
            size: 0,
            content_type: js::string(&info, &["type"])
                .unwrap_or_else(|| "application/octet-stream".into()),
            last_modified: 0.0,
            meta: Meta::default(),
        };
        self.add(Source::Stream(held), described, stream, info, Some(id))
    }

    /// Stream `index` has `size` bytes so far, and no more if `ended`; or it `failed`, as that
    /// says (its upload kept for a later page if `keep`). Whether it is to be read further.
    #[wasm_bindgen(js_name = _stream, skip_typescript)]
    pub fn stream(
        &self,
        index: usize,
        size: f64,
        ended: bool,
        failed: Option<String>,
        keep: bool,
    ) -> bool {
        let news = match failed {
            None => Stream::Grew {
                size: size as u64,
                ended,
            },
            Some(why) => {
                let message = format!("the stream failed: {why}");
                Stream::Failed(UploadError::new(Code::StreamFailed, message), keep)
            }
        };
        self.uploader.stream(index, news)
    }

    /// Takes a file out of the list; an upload under way stops and is aborted on the server.
    #[wasm_bindgen(js_name = deleteFile)]
    pub fn delete_file(&self, index: usize) -> JsResult<()> {
        self.uploader.delete_file(index).map_err(thrown)?;
        self.platform.0.files.borrow_mut().remove(&index);
        Ok(())
    }

    /// Every file with its state, bytes sent, VideoId and last error; never a secret.
    #[wasm_bindgen(js_name = listFiles, unchecked_return_type = "UploadInfo[]")]
    pub fn list_files(&self) -> js_sys::Array {
        self.uploader
            .list_files()
            .iter()
            .map(|info| self.platform.info(info))
            .collect()
    }

    /// Uploads every ready file, resuming stopped ones from their last completed part.
    pub fn start(&self) -> JsResult<()> {
        self.uploader.start().map_err(thrown)
    }

    /// Stops now: requests in flight are aborted; completed parts are kept for `start()`.
    pub fn stop(&self) {
        self.uploader.stop();
    }

    /// After `onUploadTokenExpired`: a refreshed UploadAuth (the string, or the whole
    /// `RefreshUploadVideo` answer), in STS mode a new STS token; the upload goes on where it
    /// was.
    #[wasm_bindgen(js_name = resumeUploadWithToken)]
    pub fn resume_upload_with_token(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | UploadAuthAnswer | StsToken")]
        token: JsValue,
    ) -> JsResult<()> {
        let grant = platform::grant_of(&token).map_err(|e| {
            thrown(UploadError::new(
                e.code,
                format!("resumeUploadWithToken: {}", e.message),
            ))
        })?;
        self.uploader.resume_with_token(grant).map_err(thrown)
    }
}

/// What the browser tests ask of the SDK.
#[cfg(feature = "probes")]
#[wasm_bindgen]
impl VodUploader {
    /// Parts hashed on the page's thread so far.
    #[wasm_bindgen(js_name = hashedOnPage)]
    pub fn hashed_on_page(&self) -> u32 {
        self.platform.0.offload.hashed_on_page.get()
    }

    /// Makes the worker fail the next `count` parts it is given, as if it could not read them.
    #[wasm_bindgen(js_name = failWorkerJobs)]
    pub fn fail_worker_jobs(&self, count: u32) {
        self.platform.0.offload.fail.set(count);
    }

    /// Parts sent from the page's thread so far.
    #[wasm_bindgen(js_name = sentOnPage)]
    pub fn sent_on_page(&self) -> u32 {
        self.platform.0.offload.sent_on_page.get()
    }

    /// `count` SignatureNonces, drawn as VOD calls draw them.
    #[wasm_bindgen(js_name = signatureNonces)]
    pub fn signature_nonces(&self, count: u32) -> alloc::vec::Vec<String> {
        (0..count).map(|_| self.uploader.nonce()).collect()
    }

    /// Whether a worker or a timer is running now.
    #[wasm_bindgen(js_name = somethingRunning)]
    pub fn something_running(&self) -> bool {
        worker::running(&self.platform.0.offload) || self.uploader.timer_set()
    }
}

/// What the engine is told of a `File`.
fn described(file: &File) -> Described {
    let content_type = Some(file.type_())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "application/octet-stream".into());
    Described {
        name: file.name(),
        size: file.size() as u64,
        content_type,
        last_modified: file.last_modified(),
        meta: Meta::default(),
    }
}

/// What an earlier page left of this file's upload, found as `addFile` would find it (in STS
/// mode when `sts` is true): `{ videoId, endpoint, bucket, object, loaded, partSize, saved }`,
/// or `null`. No secret is kept there.
#[wasm_bindgen(js_name = findCheckpoint, unchecked_return_type = "StoredCheckpoint | null")]
pub fn find_checkpoint(
    #[wasm_bindgen(unchecked_param_type = "File")] file: JsValue,
    sts: Option<bool>,
) -> JsValue {
    let (Some(file), Some(storage)) = (file.dyn_ref::<File>(), local_storage()) else {
        return JsValue::NULL;
    };
    let key = described(file).checkpoint_key(sts.unwrap_or(false));
    let found = storage.get_item(&key).ok().flatten();
    let Some(checkpoint) = found.as_deref().and_then(Checkpoint::decode) else {
        return JsValue::NULL;
    };
    let object = js_sys::Object::new();
    let text = |value: &str| JsValue::from_str(value);
    for (name, value) in [
        (
            "videoId",
            checkpoint.video_id.as_deref().map_or(JsValue::NULL, text),
        ),
        ("endpoint", text(&checkpoint.endpoint)),
        ("bucket", text(&checkpoint.bucket)),
        ("object", text(&checkpoint.object)),
        ("loaded", (checkpoint.loaded as f64).into()),
        ("partSize", (checkpoint.part_size as f64).into()),
        ("saved", (checkpoint.saved_ms as f64).into()),
    ] {
        let _ = js_sys::Reflect::set(&object, &name.into(), &value);
    }
    object.into()
}
