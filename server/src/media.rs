//! What was uploaded, read back: the customer's backend answers where to watch a video or image
//! and what the server holds of it (size, MD5, CRC-64), as its VOD `GetPlayInfo` or
//! `GetImageInfo` would, and serves the stored bytes (with ranges, for a `<video>` that seeks).
//! The demo shows the stored copy from here, not the file the page picked.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::backend::{bad, parse, ApiError};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/media", post(info))
        .route("/media/{id}", get(bytes))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaRequest {
    video_id: Option<String>,
    image_id: Option<String>,
}

/// What the server holds for one VideoId or ImageId.
struct Stored {
    file: PathBuf,
    size: u64,
    md5: [u8; 16],
    crc64: u64,
    content_type: String,
}

fn not_found(message: String) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        code: "MediaNotFound",
        message,
    }
}

/// The object of a video (its key is remembered since CreateUploadVideo) or of an image (its key
/// holds its ImageId); not found until its upload has completed.
fn stored(state: &AppState, id: &str) -> Result<Stored, ApiError> {
    let bucket = &state.config.bucket;
    let video_key = state.videos.lock().unwrap().get(id).map(|v| v.key.clone());
    let objects = state.objects.lock().unwrap();
    let image_prefix = format!("image/default/{}.", id.to_ascii_uppercase());
    let object = match &video_key {
        Some(key) => objects.get(&(bucket.clone(), key.clone())),
        None => objects
            .iter()
            .find(|((b, key), _)| b == bucket && key.starts_with(&image_prefix))
            .map(|(_, object)| object),
    };
    let object = object.ok_or_else(|| match video_key {
        Some(_) => not_found(format!("The video {id:?} has no completed upload yet.")),
        None => not_found(format!("No video or image {id:?} is stored.")),
    })?;
    Ok(Stored {
        file: object.file.clone(),
        size: object.size,
        md5: object.md5,
        crc64: object.crc64,
        content_type: object.content_type.clone(),
    })
}

async fn info(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let request: MediaRequest = parse(&body)?;
    let id = request
        .video_id
        .or(request.image_id)
        .ok_or_else(|| bad("MissingId", "videoId or imageId is required."))?;
    let stored = stored(&state, &id)?;
    Ok(Json(json!({
        "RequestId": crate::backend::request_id(),
        "URL": format!("/api/media/{id}"),
        "Size": stored.size,
        "MD5": hex::encode(stored.md5),
        "CRC64": stored.crc64.to_string(),
        "ContentType": stored.content_type,
    })))
}

async fn bytes(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let stored = match stored(&state, &id) {
        Ok(stored) => stored,
        Err(e) => return e.into_response(),
    };
    let mime = stored
        .content_type
        .parse()
        .unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let served = ServeFile::new_with_mime(stored.file, &mime)
        .oneshot(request)
        .await;
    served
        .expect("ServeFile is infallible")
        .map(axum::body::Body::new)
}
