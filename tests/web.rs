//! The SDK in headless Chromium against vod-local, which `cargo xtask test` starts and names in
//! VOD_LOCAL_URL. Real fetch, real files, a real server that checks every signature.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Promise, Reflect, Uint8Array};
use md5::{Digest, Md5};
use vod_upload::VodUploader;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod harness;
use harness::*;

const KIB: usize = 1024;

fn base() -> &'static str {
    env!(
        "VOD_LOCAL_URL",
        "run the browser tests through `cargo xtask test`, which starts vod-local and sets VOD_LOCAL_URL"
    )
}

async fn wait(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => value,
        Err(e) => match e.dyn_ref::<js_sys::Error>() {
            Some(error) => panic!("{}", String::from(error.message())),
            None => panic!("{e:?}"),
        },
    }
}

async fn admin(method: &str, path: &str, body: JsValue) -> JsValue {
    wait(api(base(), method, &format!("/_admin/{path}"), &body)).await
}

/// Sets vod-local's fault for the requests that follow (see its `/_admin/faults`).
async fn fault(spec: &str) {
    admin("POST", "faults", json(spec)).await;
}

/// Every test starts from the server's start: every setting of its test controls (faults,
/// holds, damage, CORS rule, credential lifetime, …) back to its default.
async fn reset() {
    admin("POST", "reset", JsValue::NULL).await;
}

/// Holds part requests at the server until released: the first `after` go through, every later
/// one waits. A test decides when an upload is mid-way instead of racing a stall.
async fn hold_parts(after: u32) {
    let rule = format!(r#"{{"operation": "upload-part", "after": {after}}}"#);
    admin("POST", "hold", json(&rule)).await;
}

/// Returns once `waiting` part requests are held at the server.
async fn held(waiting: u32) {
    admin("GET", &format!("hold?waiting={waiting}"), JsValue::NULL).await;
}

/// No more holds; the held requests go on, or with `drop` are reset unhandled (for requests
/// the page aborted, which must not be stored after all).
async fn unhold(drop: bool) {
    admin("DELETE", &format!("hold?drop={drop}"), JsValue::NULL).await;
}

/// How many requests vod-local has had for the bucket, of every kind, once no multipart upload
/// is open (an Abort is sent without waiting for it, so an earlier test's may be on its way).
async fn bucket_requests() -> f64 {
    admin("GET", "uploads?state=open&none=true", JsValue::NULL).await;
    let counters = admin("GET", "counters", JsValue::NULL).await;
    get(&counters, "bucketRequests").as_f64().unwrap()
}

fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

fn get(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &name.into()).unwrap()
}

fn text(value: &JsValue, name: &str) -> String {
    get(value, name).as_string().unwrap_or_default()
}

fn bytes(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 ^ seed as u8)
        .collect()
}

fn file(content: &[u8], name: &str) -> JsValue {
    make_file(&Uint8Array::from(content), name)
}

fn uploader(recorder: &Recorder, extra: &str) -> VodUploader {
    VodUploader::new(recorder.options(&json(extra)))
        .unwrap_or_else(|e| panic!("{}", text(&e, "message")))
}

fn thrown_code(result: Result<impl Sized, JsValue>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            assert_eq!(text(&e, "name"), "VodUploadError");
            text(&e, "code")
        }
    }
}

/// The object vod-local holds under `key`.
async fn object(key: &str) -> JsValue {
    let objects = get(&admin("GET", "objects", JsValue::NULL).await, "objects");
    Array::from(&objects)
        .iter()
        .find(|o| text(o, "key") == key)
        .unwrap_or_else(|| panic!("no object {key}"))
}

/// How many multipart uploads vod-local has seen, of any key.
async fn upload_count() -> u32 {
    Array::from(&get(
        &admin("GET", "uploads", JsValue::NULL).await,
        "uploads",
    ))
    .length()
}

/// The multipart uploads of `key`, as vod-local saw them.
async fn uploads_of(key: &str) -> Vec<JsValue> {
    let uploads = get(&admin("GET", "uploads", JsValue::NULL).await, "uploads");
    Array::from(&uploads)
        .iter()
        .filter(|u| text(u, "key") == key)
        .collect()
}

fn md5_hex(content: &[u8]) -> String {
    Md5::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file info of the `index`-th event of `kind`.
fn info_of(recorder: &Recorder, kind: &str, index: u32) -> JsValue {
    Array::from(&recorder.args(kind).get(index)).get(0)
}

/// The object key a file went to.
fn key_of(recorder: &Recorder, kind: &str, index: u32) -> String {
    text(&info_of(recorder, kind, index), "object")
}

/// The object key the file called `name` went to, from its success event.
fn key_named(recorder: &Recorder, name: &str) -> String {
    recorder
        .args("succeed")
        .iter()
        .map(|args| Array::from(&args).get(0))
        .find(|info| text(info, "name") == name)
        .map(|info| text(&info, "object"))
        .unwrap_or_else(|| panic!("{name} did not succeed"))
}

/// The one multipart upload of `key` is aborted. An Abort is sent without waiting for it: the
/// server answers once none of `key` is open (or after a minute).
async fn assert_aborted_soon(key: &str) {
    let open = format!("uploads?state=open&none=true&key={}", encode(key));
    admin("GET", &open, JsValue::NULL).await;
    let states: Vec<String> = uploads_of(key)
        .await
        .iter()
        .map(|u| text(u, "state"))
        .collect();
    assert_eq!(states, ["aborted"]);
}

fn encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

/// The first file that succeeded is on the server byte for byte, no part of it stored twice.
async fn assert_arrived_once(recorder: &Recorder, content: &[u8]) {
    let key = key_of(recorder, "succeed", 0);
    assert_eq!(text(&object(&key).await, "md5"), md5_hex(content));
    assert_each_part_stored_once(&key).await;
}

/// No part the server stored and acknowledged was ever sent again.
async fn assert_each_part_stored_once(key: &str) {
    for upload in uploads_of(key).await {
        for part in Array::from(&get(&upload, "parts")).iter() {
            let stored = get(&part, "stored").as_f64().unwrap();
            assert!(
                stored <= 1.0,
                "part {:?} of {key} was stored {stored} times",
                get(&part, "partNumber")
            );
        }
    }
}

/// The names of the files in the events of `kind`, in order.
fn names_of(recorder: &Recorder, kind: &str) -> Vec<String> {
    recorder
        .names(kind)
        .iter()
        .map(|n| n.as_string().unwrap())
        .collect()
}

/// Adds every file, starts, and waits for the end: none may fail.
async fn upload_all(up: &VodUploader, recorder: &Recorder, files: &[(Vec<u8>, String)]) {
    for (content, name) in files {
        up.add_file(file(content, name), JsValue::UNDEFINED)
            .unwrap();
    }
    up.start().unwrap();
    wait(recorder.until("end", 1, 120_000)).await;
    assert_eq!(recorder.count("failed"), 0, "{}", recorder.everything());
}

#[wasm_bindgen_test]
async fn files_of_edge_sizes_arrive_byte_identical() {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, "{}");
    let files = [
        (bytes(1, 1), "one byte.bin"),
        (bytes(99 * KIB, 2), "99k.mp4"),
        (bytes(1024 * KIB, 3), "exactly 1 MiB.mp4"),
        (
            bytes(7 * 1024 * KIB + 300 * KIB, 4),
            "vidéo d'été 7,3 MiB — 测试.mp4",
        ),
    ]
    .map(|(content, name)| (content, name.to_string()));
    upload_all(&up, &recorder, &files).await;
    for (content, name) in &files {
        let key = key_named(&recorder, name);
        assert!(key.ends_with(name), "{key}");
        let stored = object(&key).await;
        assert_eq!(get(&stored, "size").as_f64(), Some(content.len() as f64));
        assert_eq!(text(&stored, "md5"), md5_hex(content), "{name}");
    }
    let listed = up.list_files();
    assert_eq!(listed.length(), 4);
    for info in listed.iter() {
        assert_eq!(text(&info, "state"), "Success");
        assert_eq!(get(&info, "percent").as_f64(), Some(100.0));
        assert!(!text(&info, "videoId").is_empty());
    }
}

#[wasm_bindgen_test]
async fn three_files_added_at_once_start_in_order_and_all_succeed() {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, "{}");
    for (i, name) in ["first.mp4", "second.mp4", "third.mp4"].iter().enumerate() {
        assert_eq!(
            up.add_file(file(&bytes(250 * KIB, i as u32), name), JsValue::UNDEFINED)
                .unwrap(),
            i
        );
    }
    up.start().unwrap();
    wait(recorder.until("end", 1, 60_000)).await;
    let order = ["first.mp4", "second.mp4", "third.mp4"];
    assert_eq!(names_of(&recorder, "started"), order);
    // The next file is under way before one is done, so successes may come in any order.
    let mut succeeded = names_of(&recorder, "succeed");
    succeeded.sort();
    assert_eq!(succeeded, order);
}

#[wasm_bindgen_test]
async fn expired_credentials_leave_nothing_running_and_resume_with_refreshed_ones_without_resending_parts(
) {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"parallel": 2}"#);
    let content = bytes(3 * 1024 * KIB, 5);
    up.add_file(file(&content, "expiring.mp4"), JsValue::UNDEFINED)
        .unwrap();
    // Two parts go through and the next wait at the server: the expiry lands mid-upload.
    hold_parts(2).await;
    up.start().unwrap();
    wait(recorder.until("progress", 2, 30_000)).await;
    held(1).await;
    admin("POST", "expire-credentials", JsValue::NULL).await;
    // The held parts meet the credential check now, after the expiry.
    unhold(false).await;
    wait(recorder.until("expired", 1, 30_000)).await;
    assert_eq!(recorder.count("expired"), 1);
    let info = info_of(&recorder, "expired", 0);
    assert_eq!(text(&up.list_files().get(0), "state"), "Expired");
    // Nothing more can be sent while expired: no request, timer or Worker job is left that
    // could send one; only the page's resume can.
    assert!(!up.something_running(), "something runs while expired");
    let key = text(&info, "object");

    reset().await;
    let video_id = text(&info, "videoId");
    assert!(!video_id.is_empty());
    let refreshed = wait(api(
        base(),
        "POST",
        "/api/refresh-upload-auth",
        &json(&format!(r#"{{"videoId": "{video_id}"}}"#)),
    ))
    .await;
    up.resume_upload_with_token(get(&refreshed, "UploadAuth"))
        .unwrap();
    wait(recorder.until("succeed", 1, 60_000)).await;
    assert_eq!(text(&object(&key).await, "md5"), md5_hex(&content));
    assert_each_part_stored_once(&key).await;
}

#[wasm_bindgen_test]
async fn stop_mid_upload_leaves_nothing_running_then_start_completes() {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"parallel": 2}"#);
    let content = bytes(3 * 1024 * KIB, 6);
    up.add_file(file(&content, "stopped.mp4"), JsValue::UNDEFINED)
        .unwrap();
    hold_parts(3).await;
    up.start().unwrap();
    wait(recorder.until("progress", 3, 30_000)).await;
    held(1).await;
    up.stop();
    assert_eq!(text(&up.list_files().get(0), "state"), "Stopped");
    let loaded = get(&up.list_files().get(0), "loaded").as_f64().unwrap();
    assert!(loaded > 0.0);
    // Nothing more can be sent: no request, timer or Worker job is left that could send one.
    assert!(!up.something_running(), "something runs after stop()");
    // The parts held at the stop were aborted by the page: they never reach the handler.
    unhold(true).await;
    assert_eq!(recorder.count("succeed"), 0);
    up.start().unwrap();
    wait(recorder.until("succeed", 1, 60_000)).await;
    assert_arrived_once(&recorder, &content).await;
}

#[wasm_bindgen_test]
async fn deleting_an_uploading_file_leaves_no_open_upload() {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"parallel": 1}"#);
    up.add_file(
        file(&bytes(3 * 1024 * KIB, 7), "deleted.mp4"),
        JsValue::UNDEFINED,
    )
    .unwrap();
    up.start().unwrap();
    wait(recorder.until("progress", 2, 30_000)).await;
    let key = key_of(&recorder, "progress", 0);
    up.delete_file(0).unwrap();
    assert_eq!(up.list_files().length(), 0);
    assert_aborted_soon(&key).await;
    assert_eq!(thrown_code(up.delete_file(0)), "NoSuchFile");
}

#[wasm_bindgen_test]
async fn thirty_percent_503s_still_succeed_with_retry_events() {
    reset().await;
    fault(r#"{"action": "fail", "status": 503, "fraction": 0.3}"#).await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"retryCount": 5, "retryDuration": 20}"#);
    let content = bytes(2 * 1024 * KIB, 8);
    up.add_file(file(&content, "flaky.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("end", 1, 60_000)).await;
    reset().await;
    assert_eq!(recorder.count("succeed"), 1, "{}", recorder.everything());
    assert!(
        recorder.count("retry") >= 3,
        "{} retries",
        recorder.count("retry")
    );
    assert!(recorder.count("retryResume") >= 1);
    let retry = recorder.args("retry").get(0);
    assert_eq!(
        Array::from(&retry).get(1).as_string().as_deref(),
        Some("ServiceUnavailable")
    );
    let key = key_of(&recorder, "succeed", 0);
    assert_eq!(text(&object(&key).await, "md5"), md5_hex(&content));
}

#[wasm_bindgen_test]
async fn a_bucket_that_hides_etag_fails_naming_the_cors_rule() {
    reset().await;
    admin("POST", "cors", json(r#"{"exposeEtag": false}"#)).await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, "{}");
    up.add_file(file(&bytes(150 * KIB, 9), "cors.mp4"), JsValue::UNDEFINED)
        .unwrap();
    // A file of one part is one PutObject, which needs no ETag: it goes through.
    up.add_file(file(&bytes(10, 9), "one part.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("end", 1, 30_000)).await;
    reset().await;
    assert_eq!(recorder.count("succeed"), 1, "{}", recorder.everything());
    let failed = Array::from(&recorder.args("failed").get(0));
    assert_eq!(
        failed.get(1).as_string().as_deref(),
        Some("CorsEtagNotExposed")
    );
    let message = failed.get(2).as_string().unwrap();
    assert!(
        message.contains("CORS") && message.contains("ETag"),
        "{message}"
    );
}

#[wasm_bindgen_test]
async fn bad_arguments_throw_named_errors() {
    reset().await;
    let recorder = Recorder::new(base());
    assert_eq!(
        thrown_code(VodUploader::new(
            recorder.options(&json(r#"{"partSize": 1000}"#))
        )),
        "InvalidPartSize"
    );
    assert_eq!(
        thrown_code(VodUploader::new(json(r#"{}"#))),
        "InvalidArgument"
    );
    // The first wrong option is the one named, whatever follows it.
    let wrong = recorder.options(&json(r#"{"parallel": 0, "checkCrc64": "yes"}"#));
    Reflect::set(&wrong, &"onUploadEnd".into(), &5.into()).unwrap();
    let error = VodUploader::new(wrong).err().unwrap();
    assert_eq!(text(&error, "code"), "InvalidArgument");
    assert_eq!(
        text(&error, "message"),
        "options.parallel must be a whole number from 1 to 100"
    );
    let not_a_function = recorder.options(&json("{}"));
    Reflect::set(&not_a_function, &"onUploadEnd".into(), &5.into()).unwrap();
    let error = VodUploader::new(not_a_function).err().unwrap();
    assert_eq!(
        text(&error, "message"),
        "options.onUploadEnd must be a function"
    );
    let up = uploader(&recorder, "{}");
    let error = up
        .add_file(
            file(&bytes(10, 1), "a.mp4"),
            json(r#"{"cateId": 1.5, "title": 7}"#),
        )
        .unwrap_err();
    assert_eq!(
        text(&error, "message"),
        "the file option cateId must be a whole number from 0 to 9007199254740991"
    );
    assert_eq!(
        thrown_code(up.add_file(json(r#"{"name": "fake.mp4"}"#), JsValue::UNDEFINED)),
        "InvalidFile"
    );
    assert_eq!(
        thrown_code(up.add_file(file(&[], "empty.mp4"), JsValue::UNDEFINED)),
        "EmptyFile"
    );
    let options_not_object = up.add_file(file(&bytes(10, 1), "a.mp4"), "My film".into());
    assert_eq!(thrown_code(options_not_object), "InvalidArgument");
    assert_eq!(up.list_files().length(), 0, "a refused file is not queued");
    assert_eq!(thrown_code(up.delete_file(7)), "NoSuchFile");
    assert_eq!(
        thrown_code(up.resume_upload_with_token("anything".into())),
        "InvalidUploadAuth"
    );
    let answer = wait(api(
        base(),
        "POST",
        "/api/upload-auth",
        &json(r#"{"title": "t", "fileName": "x.mp4"}"#),
    ))
    .await;
    // Once in WebKit this was refused as InvalidUploadAuth, and not again in nine runs: the
    // messages below say what vod-local answered and what the SDK said, should it recur.
    let valid_auth = text(&answer, "UploadAuth");
    let answered = js_sys::JSON::stringify(&answer).map(String::from);
    assert!(!valid_auth.is_empty(), "vod-local answered {answered:?}");
    let error = up.resume_upload_with_token(valid_auth.into()).unwrap_err();
    assert_eq!(
        text(&error, "code"),
        "NotExpired",
        "{} (vod-local answered {answered:?})",
        text(&error, "message")
    );
    up.add_file(file(&bytes(300 * KIB, 1), "twice.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    assert_eq!(thrown_code(up.start()), "AlreadyStarted");
    wait(recorder.until("end", 1, 30_000)).await;
}

/// getUploadAuth answers that must fail the file before any request reaches OSS.
#[wasm_bindgen_test]
async fn bad_credentials_fail_with_named_errors_and_send_nothing() {
    reset().await;
    let requests_before = bucket_requests().await;
    let recorder = Recorder::new(base());
    // harness.js's `badAuth` option makes getUploadAuth spoil its answer by file name.
    let up = uploader(
        &recorder,
        r#"{"badAuth": true, "retryCount": 2, "retryDuration": 10}"#,
    );
    for name in [
        "malformed-auth.mp4",
        "incomplete-auth.mp4",
        "malformed-address.mp4",
        "reject.mp4",
        "unreachable.mp4",
    ] {
        up.add_file(file(&bytes(10, 1), name), JsValue::UNDEFINED)
            .unwrap();
    }
    up.start().unwrap();
    wait(recorder.until("end", 1, 60_000)).await;
    // Files overlap: they may fail in another order than they were added.
    let mut failures: Vec<(String, String)> = recorder
        .args("failed")
        .iter()
        .map(|a| {
            let a = Array::from(&a);
            (text(&a.get(0), "name"), a.get(1).as_string().unwrap())
        })
        .collect();
    failures.sort();
    assert_eq!(
        failures,
        [
            ("incomplete-auth.mp4".into(), "InvalidUploadAuth".into()),
            (
                "malformed-address.mp4".into(),
                "InvalidUploadAddress".into()
            ),
            ("malformed-auth.mp4".into(), "InvalidUploadAuth".into()),
            ("reject.mp4".into(), "GetUploadAuthFailed".into()),
            ("unreachable.mp4".into(), "NetworkError".into()),
        ]
    );
    assert_eq!(
        recorder.count("retry"),
        2,
        "the unreachable endpoint is retried retryCount times"
    );
    assert_eq!(
        bucket_requests().await,
        requests_before,
        "a request reached OSS with bad credentials"
    );
}

#[wasm_bindgen_test]
async fn a_throwing_callback_does_not_break_the_upload_and_no_secret_leaks() {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(
        &recorder,
        r#"{"throwIn": ["onUploadProgress", "onUploadStarted"]}"#,
    );
    up.add_file(file(&bytes(400 * KIB, 3), "throws.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("end", 1, 30_000)).await;
    assert_eq!(recorder.count("succeed"), 1);
    let everything = recorder.everything()
        + &js_sys::JSON::stringify(&up.list_files())
            .unwrap()
            .as_string()
            .unwrap();
    for secret in recorder.secrets().iter() {
        let secret = secret.as_string().unwrap();
        assert!(!everything.contains(&secret), "the AccessKeySecret leaked");
    }
}

#[wasm_bindgen_test]
async fn an_answered_request_leaves_no_time_out_timer_behind() {
    reset().await;
    // Delays no one else uses: the requests' time limit, less the milliseconds that passed
    // since a request went out.
    let timers = watch_timers(46_111, 47_111);
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"timeout": 47111}"#);
    up.add_file(file(&bytes(500 * KIB, 4), "timers.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("end", 1, 30_000)).await;
    let (set, live) = (timers.set(), timers.live());
    timers.restore();
    assert_eq!(recorder.count("succeed"), 1);
    // The driver keeps one timer, for the earliest time limit: one was set when a request went
    // out with nothing else pending (the Initiate, at least), and every one was cleared.
    assert!(set >= 1, "no time-out timer was set");
    assert_eq!(live, 0, "{live} time-out timers still running");
}

/// A GetVideoInfo answer from vod-local's VOD, signed in Rust with the SDK's own functions and
/// a fresh STS token.
async fn get_video_info(video_id: &str) -> JsValue {
    use vod_upload::vod::request::timestamp;
    use vod_upload::vod::signature::{canonical_query, encode, sign, string_to_sign};
    let token = wait(api(base(), "POST", "/api/sts-token", &json("{}"))).await;
    let nonce = format!("{}", js_sys::Math::random());
    let stamp = timestamp(js_sys::Date::now());
    let (id, secret, security) = (
        text(&token, "AccessKeyId"),
        text(&token, "AccessKeySecret"),
        text(&token, "SecurityToken"),
    );
    let params = [
        ("Action", "GetVideoInfo"),
        ("VideoId", video_id),
        ("Format", "JSON"),
        ("Version", "2017-03-21"),
        ("AccessKeyId", id.as_str()),
        ("SecurityToken", security.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce.as_str()),
        ("Timestamp", stamp.as_str()),
    ];
    let query = canonical_query(&params);
    let signature = sign(&secret, &string_to_sign("GET", &query));
    let path = format!("/vod/?{query}&Signature={}", encode(&signature));
    wait(api(base(), "GET", &path, &JsValue::NULL)).await
}

/// Adds a video with every metadata field, an image and an audio file; uploads them; checks
/// the ids each got and the bytes that arrived. Returns the video's info.
async fn upload_video_image_and_audio(recorder: &Recorder, up: &VodUploader) -> JsValue {
    let video = bytes(700 * KIB, 20);
    let image = bytes(3 * KIB, 21);
    let audio = bytes(300 * KIB, 22);
    let meta = json(
        r#"{"title": "我的 视频 *+/~(1)", "description": "a trip", "cateId": 1000,
            "tags": ["travel", "summer"], "coverUrl": "https://cover.invalid/c.png",
            "templateGroupId": "tg1", "workflowId": "wf1", "storageLocation": "store-1",
            "appId": "app-1", "userData": {"Extend": {"k": "v"}}}"#,
    );
    up.add_file(file(&video, "trip.mp4"), meta).unwrap();
    up.add_file(file(&image, "cover.png"), json(r#"{"imageType": "cover"}"#))
        .unwrap();
    up.add_file(file(&audio, "song.mp3"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("end", 1, 60_000)).await;
    assert_eq!(recorder.count("succeed"), 3, "{}", recorder.everything());
    let infos: Vec<JsValue> = up.list_files().iter().collect();
    let id = |i: usize, name: &str| get(&infos[i], name).as_string();
    assert!(id(0, "videoId").is_some() && id(0, "imageId").is_none());
    assert!(id(1, "imageId").is_some() && id(1, "videoId").is_none());
    assert!(id(1, "imageUrl").unwrap().ends_with(".png"));
    assert!(id(2, "videoId").is_some());
    for (info, content) in infos.iter().zip([&video, &image, &audio]) {
        let stored = object(&text(info, "object")).await;
        assert_eq!(text(&stored, "md5"), md5_hex(content));
    }
    infos[0].clone()
}

#[wasm_bindgen_test]
async fn sts_mode_uploads_video_image_and_audio_with_every_metadata_field() {
    reset().await;
    let console = capture_console();
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"sts": {"seconds": 3600}}"#);
    let video = upload_video_image_and_audio(&recorder, &up).await;
    let info = get_video_info(&text(&video, "videoId")).await;
    let stored = get(&info, "Video");
    assert_eq!(text(&stored, "Title"), "我的 视频 *+/~(1)");
    assert_eq!(text(&stored, "Description"), "a trip");
    assert_eq!(text(&stored, "CateId"), "1000");
    assert_eq!(text(&stored, "Tags"), "travel,summer");
    assert_eq!(text(&stored, "UserData"), r#"{"Extend":{"k":"v"}}"#);
    for name in [
        "CoverURL",
        "TemplateGroupId",
        "WorkflowId",
        "StorageLocation",
        "AppId",
    ] {
        assert!(!text(&stored, name).is_empty(), "{name}");
    }
    assert_eq!(
        recorder.sts_calls(),
        1,
        "one STS token served the three files"
    );
    assert_no_secret_anywhere(&recorder, &up, &console);
}

/// No secret or security token handed out is in any event, `listFiles()` or the console.
fn assert_no_secret_anywhere(recorder: &Recorder, up: &VodUploader, console: &Console) {
    let everything = recorder.everything()
        + &js_sys::JSON::stringify(&up.list_files())
            .unwrap()
            .as_string()
            .unwrap()
        + &console.text();
    let secrets = recorder.secrets();
    assert!(secrets.length() > 0);
    for secret in secrets.iter() {
        let secret = secret.as_string().unwrap();
        assert!(!everything.contains(&secret), "a secret leaked");
    }
}

#[wasm_bindgen_test]
async fn the_default_mode_uploads_video_image_and_audio_too() {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, "{}");
    upload_video_image_and_audio(&recorder, &up).await;
}

#[wasm_bindgen_test]
async fn an_sts_token_expiring_mid_upload_is_renewed_through_get_sts_token() {
    reset().await;
    // Upload credentials of 10 s are renewed at half their life; the STS token, of 4 s, is
    // gone by then, so the renewal needs a new one. The parts wait at the server until the
    // renewal came: the upload surely spans it, and the held parts' credentials still live 5 s.
    admin("POST", "token-ttl", json(r#"{"seconds": 10}"#)).await;
    hold_parts(0).await;
    let refreshes = get(&admin("GET", "counters", JsValue::NULL).await, "refreshes");
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"sts": {"seconds": 4}, "parallel": 2}"#);
    let content = bytes(3 * 1024 * KIB, 23);
    up.add_file(file(&content, "sts long.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    held(1).await;
    let renewed = format!("counters?refreshes={}", refreshes.as_f64().unwrap() + 1.0);
    admin("GET", &renewed, JsValue::NULL).await;
    unhold(false).await;
    wait(recorder.until("end", 1, 90_000)).await;
    reset().await;
    assert_eq!(recorder.count("succeed"), 1, "{}", recorder.everything());
    assert_eq!(recorder.count("expired"), 0);
    assert!(
        recorder.sts_calls() >= 2,
        "{} getSTSToken calls",
        recorder.sts_calls()
    );
    assert_arrived_once(&recorder, &content).await;
}

#[wasm_bindgen_test]
async fn a_failing_get_sts_token_waits_for_resume_upload_with_token() {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"sts": {"fail": true}}"#);
    let content = bytes(400 * KIB, 24);
    up.add_file(file(&content, "sts later.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("expired", 1, 30_000)).await;
    assert_eq!(text(&up.list_files().get(0), "state"), "Expired");
    let token = wait(api(base(), "POST", "/api/sts-token", &json("{}"))).await;
    assert_eq!(
        thrown_code(up.resume_upload_with_token(json(r#"{"AccessKeyId": "x"}"#))),
        "InvalidStsToken"
    );
    up.resume_upload_with_token(token).unwrap();
    wait(recorder.until("succeed", 1, 30_000)).await;
    let key = key_of(&recorder, "succeed", 0);
    assert_eq!(text(&object(&key).await, "md5"), md5_hex(&content));
}

#[wasm_bindgen_test]
async fn a_wrong_sts_secret_fails_with_vods_signature_error_and_reaches_no_oss() {
    reset().await;
    let console = capture_console();
    let requests_before = bucket_requests().await;
    let recorder = Recorder::new(base());
    let up = uploader(
        &recorder,
        r#"{"sts": {"wrongSecret": true}, "retryCount": 1}"#,
    );
    up.add_file(file(&bytes(10, 25), "sts denied.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("failed", 1, 30_000)).await;
    let failed = Array::from(&recorder.args("failed").get(0));
    assert_eq!(
        failed.get(1).as_string().as_deref(),
        Some("SignatureDoesNotMatch")
    );
    assert_eq!(
        bucket_requests().await,
        requests_before,
        "a request reached OSS"
    );
    assert_no_secret_anywhere(&recorder, &up, &console);
}

#[wasm_bindgen_test]
async fn sts_mode_bad_options_and_metadata_are_named_errors() {
    reset().await;
    let recorder = Recorder::new(base());
    let both = recorder.options(&json(r#"{"sts": {}}"#));
    Reflect::set(
        &both,
        &"getUploadAuth".into(),
        &js_sys::Function::new_no_args(""),
    )
    .unwrap();
    assert_eq!(thrown_code(VodUploader::new(both)), "InvalidArgument");
    assert_eq!(
        thrown_code(VodUploader::new(
            recorder.options(&json(r#"{"sts": {}, "region": "Shanghai!"}"#))
        )),
        "InvalidArgument"
    );
    let up = uploader(&recorder, r#"{"sts": {}}"#);
    for bad in [
        r#"{"title": 5}"#,
        r#"{"tags": "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"}"#,
        r#"{"userData": "not an object"}"#,
        r#"{"imageType": "banner"}"#,
    ] {
        let result = up.add_file(file(&bytes(10, 26), "meta.mp4"), json(bad));
        assert_eq!(thrown_code(result), "InvalidArgument", "{bad}");
    }
    let long_title = format!(r#"{{"title": "{}"}}"#, "x".repeat(129));
    let result = up.add_file(file(&bytes(10, 26), "meta.mp4"), json(&long_title));
    assert_eq!(thrown_code(result), "InvalidArgument");
    assert_eq!(up.list_files().length(), 0);
}

/// How often vod-local received and stored each part of `key`, summed: (received, stored).
async fn part_counts(key: &str) -> (f64, f64) {
    let mut counts = (0.0, 0.0);
    for upload in uploads_of(key).await {
        for part in Array::from(&get(&upload, "parts")).iter() {
            counts.0 += get(&part, "received").as_f64().unwrap();
            counts.1 += get(&part, "stored").as_f64().unwrap();
        }
    }
    counts
}

/// Uploads `content` while vod-local damages the next body it stores, with the worker failing
/// its first `worker_fails` parts: the file must arrive intact after one `Crc64Mismatch` retry.
/// Returns the object's key and the uploader.
async fn upload_damaged_once(
    content: &[u8],
    name: &str,
    worker_fails: u32,
) -> (String, VodUploader) {
    reset().await;
    admin("POST", "damage-parts", json(r#"{"count": 1}"#)).await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, "{}");
    up.fail_worker_jobs(worker_fails);
    up.add_file(file(content, name), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("end", 1, 60_000)).await;
    reset().await;
    assert_eq!(recorder.count("succeed"), 1, "{}", recorder.everything());
    let retry = Array::from(&recorder.args("retry").get(0));
    assert_eq!(retry.get(1).as_string().as_deref(), Some("Crc64Mismatch"));
    let key = key_of(&recorder, "succeed", 0);
    assert_eq!(text(&object(&key).await, "md5"), md5_hex(content));
    assert!(!up.something_running(), "nothing runs after the end");
    (key, up)
}

#[wasm_bindgen_test]
async fn a_part_damaged_on_the_way_is_sent_again_and_the_object_is_intact() {
    let (key, up) = upload_damaged_once(&bytes(500 * KIB, 30), "damaged once.mp4", 0).await;
    // Five parts; the damaged one was received and stored twice.
    assert_eq!(part_counts(&key).await, (6.0, 6.0));
    // Found through the worker: the page hashed nothing, and sent no part.
    assert_eq!(up.hashed_on_page(), 0);
    assert_eq!(up.sent_on_page(), 0);
}

#[wasm_bindgen_test]
async fn a_part_the_worker_fails_to_hash_is_hashed_on_the_page_and_still_checked() {
    // The worker fails every part it is given: the page hashes each of the five parts once, the
    // damaged one's among them, and finds the damage.
    let (key, up) = upload_damaged_once(&bytes(500 * KIB, 31), "worker failed.mp4", 100).await;
    assert_eq!(part_counts(&key).await, (6.0, 6.0));
    assert_eq!(up.hashed_on_page(), 5);
    // Failing to hash is no reason to send from the page.
    assert_eq!(up.sent_on_page(), 0);
}

/// Starts a 2 MiB upload whose first part goes through and whose later parts the server holds,
/// and waits until one is held.
async fn held_upload(name: &str) -> (Recorder, VodUploader) {
    reset().await;
    hold_parts(1).await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, "{}");
    up.add_file(file(&bytes(2048 * KIB, 34), name), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("progress", 1, 60_000)).await;
    held(1).await;
    assert_eq!(up.hashed_on_page(), 0, "parts are hashed in the worker");
    assert_eq!(up.sent_on_page(), 0, "parts are sent from the worker");
    assert!(up.something_running());
    (recorder, up)
}

#[wasm_bindgen_test]
async fn after_stop_or_delete_file_no_worker_and_no_timer_is_left_running() {
    let (recorder, up) = held_upload("stopped.mp4").await;
    up.stop();
    assert!(!up.something_running(), "after stop()");
    // No upload is left open for the tests after this one.
    up.delete_file(0).unwrap();
    assert_aborted_soon(&key_of(&recorder, "progress", 0)).await;
    let (recorder, up) = held_upload("deleted.mp4").await;
    up.delete_file(0).unwrap();
    assert!(!up.something_running(), "after deleteFile()");
    assert_aborted_soon(&key_of(&recorder, "progress", 0)).await;
    reset().await;
}

#[wasm_bindgen_test]
async fn a_small_file_damaged_on_the_way_is_put_again_and_intact() {
    let uploads_before = upload_count().await;
    upload_damaged_once(&bytes(60 * KIB, 33), "small damaged.mp4", 0).await;
    assert_eq!(
        upload_count().await,
        uploads_before,
        "one PutObject, no multipart upload"
    );
}

#[wasm_bindgen_test]
async fn a_part_damaged_on_every_try_fails_with_crc64_mismatch_and_leaves_no_open_upload() {
    reset().await;
    admin("POST", "damage-parts", json(r#"{"count": 100}"#)).await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, r#"{"retryCount": 2}"#);
    up.add_file(
        file(&bytes(150 * KIB, 31), "always damaged.mp4"),
        JsValue::UNDEFINED,
    )
    .unwrap();
    up.start().unwrap();
    wait(recorder.until("failed", 1, 60_000)).await;
    reset().await;
    let failed = Array::from(&recorder.args("failed").get(0));
    assert_eq!(failed.get(1).as_string().as_deref(), Some("Crc64Mismatch"));
    let key = text(&failed.get(0), "object");
    assert_aborted_soon(&key).await;
}

#[wasm_bindgen_test]
async fn a_hidden_crc_header_skips_the_check_and_names_the_cors_rule() {
    reset().await;
    admin("POST", "cors", json(r#"{"exposeCrc64": false}"#)).await;
    let console = capture_console();
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, "{}");
    let content = bytes(300 * KIB, 32);
    up.add_file(file(&content, "hidden crc.mp4"), JsValue::UNDEFINED)
        .unwrap();
    up.start().unwrap();
    wait(recorder.until("end", 1, 60_000)).await;
    reset().await;
    assert_eq!(recorder.count("succeed"), 1, "{}", recorder.everything());
    let said = console.text();
    assert!(
        said.contains("ExposeHeader: x-oss-hash-crc64ecma"),
        "{said}"
    );
    assert_eq!(
        said.matches("x-oss-hash-crc64ecma header").count(),
        1,
        "said once"
    );
}

#[wasm_bindgen_test]
async fn twenty_small_files_and_two_large_ones_mixed_all_arrive() {
    reset().await;
    let recorder = Recorder::new(base());
    let up = uploader(&recorder, "{}");
    let uploads_before = upload_count().await;
    // Parts are 100 KiB: the small files go in one PutObject each, the large in 15 and 11 parts.
    let mut files = Vec::new();
    for i in 0..22u32 {
        let size = match i {
            5 => 1500 * KIB,
            15 => 1000 * KIB + 1,
            0 => 1,
            1 => 100 * KIB,
            _ => (i as usize * 4999) % (100 * KIB) + 1,
        };
        files.push((bytes(size, i), format!("mixed {i:02}.mp4")));
    }
    upload_all(&up, &recorder, &files).await;
    let added: Vec<String> = files.iter().map(|(_, name)| name.clone()).collect();
    assert_eq!(
        names_of(&recorder, "started"),
        added,
        "onUploadStarted in the order added"
    );
    let mut succeeded = names_of(&recorder, "succeed");
    succeeded.sort();
    assert_eq!(succeeded, added);
    // Every file byte for byte where its success event said.
    for (content, name) in &files {
        let key = key_named(&recorder, name);
        assert_eq!(text(&object(&key).await, "md5"), md5_hex(content), "{key}");
        assert_each_part_stored_once(&key).await;
    }
    // Only the two large files used a multipart upload, and neither is left open.
    assert_eq!(upload_count().await - uploads_before, 2);
    for i in [5, 15] {
        let key = key_named(&recorder, &files[i].1);
        let states: Vec<String> = uploads_of(&key)
            .await
            .iter()
            .map(|u| text(u, "state"))
            .collect();
        assert_eq!(states, ["completed"]);
    }
}

#[wasm_bindgen_test]
fn signature_nonces_from_the_browsers_entropy_are_distinct_and_use_every_hex_digit_everywhere() {
    // 100 uploaders, each seeded from crypto.getRandomValues, 1,000 nonces each.
    let recorder = Recorder::new(base());
    let mut seen = std::collections::HashSet::new();
    let mut digits = [[false; 16]; 32];
    for _ in 0..100 {
        for nonce in uploader(&recorder, "{}").signature_nonces(1000) {
            assert_eq!(nonce.len(), 32, "{nonce}");
            for (at, c) in nonce.chars().enumerate() {
                let digit = c.to_digit(16).unwrap_or_else(|| panic!("{nonce}"));
                digits[at][digit as usize] = true;
            }
            assert!(seen.insert(nonce), "a nonce came twice");
        }
    }
    assert_eq!(seen.len(), 100_000);
    assert!(digits.iter().all(|position| position.iter().all(|&d| d)));
}
