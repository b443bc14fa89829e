//! What the aliyun-upload-sdk 1.5.x layer (`aliyun.js`) asks of the SDK, so that credentials are
//! decoded, encoded and timed in one place: here, with the code that checks them.

use alloc::string::String;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::auth::{self, UploadAuth};

/// A loose value as text: a string as it is, a number as JavaScript writes it (Rust's float
/// formatting would add kilobytes to the wasm); anything else is none.
fn loose_text(value: &JsValue) -> Option<String> {
    value.as_string().or_else(|| {
        value
            .dyn_ref::<js_sys::Number>()
            .and_then(|n| n.to_string_with_radix(10).ok())
            .map(String::from)
    })
}

/// `uploadAddress` with the endpoint, bucket and object `addFile` named (those not empty) in
/// place of VOD's; as it was when it does not decode, so that the uploader names what is wrong.
#[wasm_bindgen(js_name = aliyunAddress)]
pub fn aliyun_address(
    upload_address: &str,
    endpoint: Option<String>,
    bucket: Option<String>,
    object: Option<String>,
) -> String {
    let Ok(mut address) = auth::decode_upload_address(upload_address) else {
        return upload_address.into();
    };
    let given = |value: Option<String>| value.filter(|v| !v.trim_ascii().is_empty());
    if let Some(endpoint) = given(endpoint).and_then(|e| auth::checked_endpoint(&e)) {
        address.endpoint = endpoint;
    }
    if let Some(bucket) = given(bucket) {
        address.bucket = bucket;
    }
    if let Some(object) = given(object) {
        address.file_name = object;
    }
    auth::encode_upload_address(&address)
}

/// The Region an UploadAuth names, if it decodes and names one.
#[wasm_bindgen(js_name = aliyunRegion)]
pub fn aliyun_region(upload_auth: &str) -> Option<String> {
    auth::decode_upload_auth(upload_auth).ok()?.region
}

/// `resumeUploadWithToken(accessKeyId, accessKeySecret, securityToken, expiration)` as an
/// UploadAuth; `expiration` is an ISO-8601 time, a lifetime in seconds, or missing (an hour).
#[wasm_bindgen(js_name = aliyunUploadAuth)]
pub fn aliyun_upload_auth(
    id: JsValue,
    secret: JsValue,
    token: JsValue,
    expiration: JsValue,
) -> String {
    let now = js_sys::Date::now();
    let at = auth::loose_expiry(loose_text(&expiration).as_deref(), now);
    let text = |value: JsValue| value.as_string().unwrap_or_default();
    auth::encode_upload_auth(&UploadAuth {
        access_key_id: text(id),
        access_key_secret: text(secret),
        security_token: text(token),
        expiration_secs: ((at - now) / 1000.0).max(0.0) as u64,
        expires_at_ms: Some(at),
        region: None,
    })
}

/// `setSTSToken` and `resumeUploadWithSTSToken`'s arguments as an STS token, with the same
/// loose `expiration`. The uploader checks it as it checks any, and names what is missing.
#[wasm_bindgen(js_name = aliyunStsToken)]
pub fn aliyun_sts_token(
    id: JsValue,
    secret: JsValue,
    token: JsValue,
    expiration: JsValue,
) -> JsValue {
    let at = auth::loose_expiry(loose_text(&expiration).as_deref(), js_sys::Date::now());
    let object = js_sys::Object::new();
    for (name, value) in [
        ("AccessKeyId", id),
        ("AccessKeySecret", secret),
        ("SecurityToken", token),
        ("Expiration", crate::date::iso8601(at as u64).into()),
    ] {
        let _ = js_sys::Reflect::set(&object, &name.into(), &value);
    }
    object.into()
}

/// The MD5 of `bytes` in hex: 1.5.x's `uploadInfo.fileHash` of a file's first MiB.
#[wasm_bindgen(js_name = aliyunFileHash)]
pub fn aliyun_file_hash(bytes: &[u8]) -> String {
    crate::encoding::hex(&<md5::Md5 as md5::Digest>::digest(bytes))
}
