//! The customer's backend: what a real one gets from VOD's `CreateUploadVideo`,
//! `CreateUploadImage` and `RefreshUploadVideo`, minted here with short-lived credentials
//! scoped to the one object they are for; and (`media`) what was uploaded, read back.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::Deserialize;
use serde_json::{json, Value};

use vod_upload::vod::meta::{IMAGE_EXTENSIONS, MAX_TITLE_CHARS};

use crate::state::{
    random_string, AppState, Credential, Video, ALPHANUMERIC, HEX_LOWER, HEX_UPPER,
};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/upload-auth", post(upload_auth))
        .route("/refresh-upload-auth", post(refresh_upload_auth))
        .route("/sts-token", post(crate::vod::sts_token))
        .merge(crate::media::router())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadAuthRequest {
    kind: Option<String>,
    title: Option<String>,
    file_name: Option<String>,
    file_size: Option<u64>,
    image_ext: Option<String>,
    user_data: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshRequest {
    video_id: Option<String>,
}

pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

pub(crate) fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        code,
        message: message.into(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "RequestId": request_id(),
            "HostId": "vod.localhost",
            "Code": self.code,
            "Message": self.message,
        });
        (self.status, Json(body)).into_response()
    }
}

pub(crate) fn request_id() -> String {
    random_string(HEX_UPPER, 32)
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        bad(
            "MalformedJSON",
            format!("The request body is not the JSON expected: {e}"),
        )
    })
}

/// `a/b\c.mp4` → `c.mp4`: an object key takes only the file's own name.
fn base_name(file_name: &str) -> &str {
    file_name.rsplit(['/', '\\']).next().unwrap_or(file_name)
}

fn extension(file_name: &str) -> Option<&str> {
    base_name(file_name)
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty())
}

async fn upload_auth(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: UploadAuthRequest = parse(&body)?;
    let title = request
        .title
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| bad("MissingTitle", "title is required."))?;
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(bad(
            "InvalidTitle.Length",
            "title is at most 128 characters.",
        ));
    }
    if let Some(user_data) = &request.user_data {
        serde_json::from_str::<serde_json::Map<String, Value>>(user_data).map_err(|_| {
            bad(
                "InvalidUserData",
                "userData must be a JSON object, as a string.",
            )
        })?;
    }
    if request.file_size == Some(0) {
        return Err(bad("InvalidFileSize", "fileSize must be more than 0."));
    }
    match request.kind.as_deref().unwrap_or("video") {
        "video" => {
            let file_name = request
                .file_name
                .filter(|f| !f.is_empty())
                .ok_or_else(|| bad("MissingFileName", "fileName is required."))?;
            if extension(&file_name).is_none() {
                return Err(bad(
                    "InvalidFileName.Extension",
                    format!("fileName {file_name:?} has no extension."),
                ));
            }
            let meta = BTreeMap::from([("Title".to_string(), title)]);
            Ok(Json(create_video(&state, &file_name, meta)))
        }
        "image" => {
            let ext = request
                .image_ext
                .or_else(|| {
                    request
                        .file_name
                        .as_deref()
                        .and_then(extension)
                        .map(str::to_string)
                })
                .map(|e| e.to_ascii_lowercase())
                .filter(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
                .ok_or_else(|| {
                    bad(
                        "InvalidImageExt",
                        "imageExt (or fileName's extension) must be png, jpg, jpeg or gif.",
                    )
                })?;
            Ok(Json(create_image(&state, &ext)))
        }
        other => Err(bad(
            "InvalidKind",
            format!("kind is \"video\" or \"image\", not {other:?}."),
        )),
    }
}

async fn refresh_upload_auth(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: RefreshRequest = parse(&body)?;
    let video_id = request
        .video_id
        .ok_or_else(|| bad("MissingVideoId", "videoId is required."))?;
    refresh_video(&state, &video_id).map(Json)
}

/// What `CreateUploadVideo` answers: a new video, its object and credentials for it.
pub(crate) fn create_video(
    state: &AppState,
    file_name: &str,
    meta: BTreeMap<String, String>,
) -> Value {
    let video_id = random_string(HEX_LOWER, 32);
    let key = format!(
        "sv/{}-{}/{}",
        random_string(HEX_LOWER, 8),
        random_string(HEX_LOWER, 11),
        base_name(file_name)
    );
    let video = Video {
        key: key.clone(),
        meta,
    };
    let mut videos = state.videos.lock().unwrap();
    state.save_video(&video_id, &video);
    videos.insert(video_id.clone(), video);
    drop(videos);
    let bucket = &state.config.bucket;
    json!({
        "RequestId": request_id(),
        "VideoId": video_id,
        "UploadAddress": upload_address(state, &key),
        "UploadAuth": mint(state, bucket, &key),
    })
}

/// What `CreateUploadImage` answers for an image with extension `ext`.
pub(crate) fn create_image(state: &AppState, ext: &str) -> Value {
    let bucket = &state.config.bucket;
    let image_id = random_string(HEX_LOWER, 32);
    let key = format!("image/default/{}.{ext}", image_id.to_ascii_uppercase());
    let url = format!(
        "{}/{key}",
        state.endpoint.replacen("://", &format!("://{bucket}."), 1)
    );
    json!({
        "RequestId": request_id(),
        "ImageId": image_id,
        "ImageURL": url,
        "UploadAddress": upload_address(state, &key),
        "UploadAuth": mint(state, bucket, &key),
    })
}

/// What `RefreshUploadVideo` answers: the same address, new credentials.
pub(crate) fn refresh_video(state: &AppState, video_id: &str) -> Result<Value, ApiError> {
    let key = state
        .videos
        .lock()
        .unwrap()
        .get(video_id)
        .map(|v| v.key.clone())
        .ok_or_else(|| ApiError {
            status: StatusCode::NOT_FOUND,
            code: "InvalidVideo.NotFound",
            message: format!("The video {video_id:?} does not exist."),
        })?;
    state.refreshes.fetch_add(1, Ordering::Relaxed);
    Ok(json!({
        "RequestId": request_id(),
        "VideoId": video_id,
        "UploadAddress": upload_address(state, &key),
        "UploadAuth": mint(state, &state.config.bucket, &key),
    }))
}

fn base64_json(value: Value) -> String {
    STANDARD.encode(value.to_string())
}

fn upload_address(state: &AppState, key: &str) -> String {
    base64_json(
        json!({ "Endpoint": state.endpoint, "Bucket": state.config.bucket, "FileName": key }),
    )
}

/// An STS token for VOD's OpenAPI: its key reaches no object in OSS.
pub(crate) fn mint_sts_token(state: &AppState, ttl: Duration) -> Value {
    let id = format!("STS.{}", random_string(ALPHANUMERIC, 24));
    let expires = SystemTime::now() + ttl;
    let credential = Credential {
        secret: random_string(ALPHANUMERIC, 30),
        token: Some(random_string(ALPHANUMERIC, 160)),
        expires,
        bucket: String::new(),
        key: String::new(),
    };
    let token = json!({
        "AccessKeyId": id,
        "AccessKeySecret": credential.secret,
        "SecurityToken": credential.token,
        "Expiration": humantime::format_rfc3339_seconds(expires).to_string(),
    });
    let mut credentials = state.credentials.lock().unwrap();
    state.save_credential(&id, &credential);
    credentials.insert(id, credential);
    token
}

/// New STS-style credentials for one object, as an UploadAuth string.
fn mint(state: &AppState, bucket: &str, key: &str) -> String {
    let id = format!("STS.{}", random_string(ALPHANUMERIC, 24));
    let ttl = Duration::from_secs(state.token_ttl_secs.load(Ordering::Relaxed));
    let expires = SystemTime::now() + ttl;
    let credential = Credential {
        secret: random_string(ALPHANUMERIC, 30),
        token: Some(random_string(ALPHANUMERIC, 160)),
        expires,
        bucket: bucket.to_string(),
        key: key.to_string(),
    };
    let auth = json!({
        "AccessKeyId": id,
        "AccessKeySecret": credential.secret,
        "SecurityToken": credential.token,
        "Expiration": ttl.as_secs().to_string(),
        "ExpireUTCTime": humantime::format_rfc3339_seconds(expires).to_string(),
        "Region": state.config.region,
    });
    let mut credentials = state.credentials.lock().unwrap();
    state.save_credential(&id, &credential);
    credentials.insert(id, credential);
    base64_json(auth)
}
