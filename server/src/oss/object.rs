//! Whole objects: PutObject, GetObject, HeadObject, DeleteObject, and what UploadPart shares
//! with PutObject (Content-MD5 checks, the answer's integrity headers).

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::{engine::general_purpose::STANDARD, Engine};
use tokio_util::io::ReaderStream;

use super::error::{internal, OssError};
use crate::state::{AppState, Object};
use crate::store::{self, WriteError, Written};

/// Writes a PutObject's or an UploadPart's body to a new file in `folder`, damaged if the
/// admin asked for damage, and checks it against its Content-MD5 if it has one.
pub async fn receive(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    folder: &str,
    max_size: u64,
) -> Result<Written, OssError> {
    let expected_md5 = content_md5(headers)?;
    let began = || {
        state.bodies_begun.fetch_add(1, Ordering::Relaxed);
    };
    let mut written = store::write_body(body, state.new_file(folder), max_size, began)
        .await
        .map_err(store_error)?;
    let damage = state
        .damage_parts
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    if damage.is_ok() {
        written = store::damage(written).await.map_err(internal)?;
    }
    check_md5(written, expected_md5).await
}

/// A PutObject is at most 5 GiB.
const MAX_OBJECT_SIZE: u64 = 5 << 30;

/// The answer to a successful PutObject or UploadPart.
pub struct Stored {
    pub etag: String,
    pub crc64: u64,
    pub md5: [u8; 16],
}

impl IntoResponse for Stored {
    fn into_response(self) -> Response {
        let headers = [
            (header::ETAG, self.etag),
            (
                HeaderName::from_static("x-oss-hash-crc64ecma"),
                self.crc64.to_string(),
            ),
            (
                HeaderName::from_static("content-md5"),
                STANDARD.encode(self.md5),
            ),
        ];
        (headers, ()).into_response()
    }
}

/// `x-oss-meta-*` headers, kept with an object.
pub fn meta_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-oss-meta-"))
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn invalid_digest(message: &str) -> OssError {
    OssError::new(400, "InvalidDigest", message)
}

/// The digest a Content-MD5 header promises: base64 of 16 raw bytes.
fn content_md5(headers: &HeaderMap) -> Result<Option<[u8; 16]>, OssError> {
    let Some(value) = headers.get("content-md5") else {
        return Ok(None);
    };
    STANDARD
        .decode(value.as_bytes())
        .ok()
        .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
        .map(Some)
        .ok_or_else(|| invalid_digest("The Content-MD5 you specified is not valid."))
}

/// Keeps what was written only if it matches the promised digest.
async fn check_md5(written: Written, expected: Option<[u8; 16]>) -> Result<Written, OssError> {
    match expected {
        Some(md5) if md5 != written.md5 => {
            let _ = tokio::fs::remove_file(&written.file).await;
            Err(
                invalid_digest("The Content-MD5 you specified did not match what we received.")
                    .with("CalculatedDigest", STANDARD.encode(written.md5)),
            )
        }
        _ => Ok(written),
    }
}

fn store_error(error: WriteError) -> OssError {
    match error {
        WriteError::TooLarge => OssError::new(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size.",
        ),
        WriteError::Io(e) => OssError::new(
            400,
            "IncompleteBody",
            format!("The request body could not be read whole: {e}"),
        ),
    }
}

/// Stores an object under its key, replacing (and deleting the file of) any older one.
pub fn insert(state: &AppState, bucket: &str, key: &str, object: Object) {
    let mut objects = state.objects.lock().unwrap();
    state.save_object(bucket, key, &object);
    let old = objects.insert((bucket.to_string(), key.to_string()), object);
    drop(objects);
    if let Some(old) = old {
        let _ = std::fs::remove_file(old.file);
    }
}

pub async fn put(
    state: &AppState,
    bucket: &str,
    key: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OssError> {
    let written = receive(state, headers, body, "objects", MAX_OBJECT_SIZE).await?;
    let stored = Stored {
        etag: store::etag(&written.md5),
        crc64: written.crc64,
        md5: written.md5,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let object = Object {
        file: written.file,
        size: written.size,
        md5: written.md5,
        etag: stored.etag.clone(),
        crc64: written.crc64,
        content_type: content_type.to_string(),
        meta: meta_headers(headers),
        last_modified: SystemTime::now(),
        multipart: false,
    };
    insert(state, bucket, key, object);
    Ok(stored.into_response())
}

fn no_such_key() -> OssError {
    OssError::new(404, "NoSuchKey", "The specified key does not exist.")
}

/// GetObject, or HeadObject when `head_only`: the bytes streamed from the object's file.
pub async fn get(
    state: &AppState,
    bucket: &str,
    key: &str,
    head_only: bool,
) -> Result<Response, OssError> {
    let (file, mut headers) = {
        let objects = state.objects.lock().unwrap();
        let object = objects
            .get(&(bucket.to_string(), key.to_string()))
            .ok_or_else(no_such_key)?;
        let mut headers = HeaderMap::new();
        let mut put = |name: &str, value: &str| {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
                headers.insert(n, v);
            }
        };
        put("content-type", &object.content_type);
        put("content-length", &object.size.to_string());
        put("etag", &object.etag);
        put("x-oss-hash-crc64ecma", &object.crc64.to_string());
        put(
            "last-modified",
            &httpdate::fmt_http_date(object.last_modified),
        );
        put(
            "x-oss-object-type",
            if object.multipart {
                "Multipart"
            } else {
                "Normal"
            },
        );
        for (name, value) in &object.meta {
            put(name, value);
        }
        (object.file.clone(), headers)
    };
    let body = if head_only {
        Body::empty()
    } else {
        let file = tokio::fs::File::open(file).await.map_err(internal)?;
        Body::from_stream(ReaderStream::with_capacity(file, 256 * 1024))
    };
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().extend(headers.drain());
    Ok(response)
}

pub fn delete(state: &AppState, bucket: &str, key: &str) -> Result<Response, OssError> {
    let mut objects = state.objects.lock().unwrap();
    let removed = objects.remove(&(bucket.to_string(), key.to_string()));
    if removed.is_some() {
        state.remove_object(bucket, key);
    }
    drop(objects);
    if let Some(object) = removed {
        let _ = std::fs::remove_file(object.file);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
