//! VOD's OpenAPI at `/vod/`, for STS mode: `CreateUploadVideo`, `RefreshUploadVideo`,
//! `CreateUploadImage` and `GetVideoInfo`, each a GET whose query is signed with the RPC
//! signature by an STS token from `/api/sts-token`. Checked as VOD checks: the signature (with
//! the SDK's own signing functions), the `Timestamp` within 15 minutes, a `SignatureNonce` never
//! seen in the last 15 minutes, the token's key, security token and expiry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use vod_upload::oss::limits::MAX_CLOCK_SKEW_MS;
use vod_upload::vod::meta::{IMAGE_EXTENSIONS, MAX_TAGS, MAX_TITLE_CHARS};

use crate::backend::{bad, create_image, create_video, refresh_video, request_id, ApiError};
use crate::signing::{hmac_sha1_base64, vod_string_to_sign};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/vod", get(call))
        .route("/vod/", get(call))
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
    }
}

/// The query's parameters, decoded.
fn params(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(name), decode(value))
        })
        .collect()
}

async fn call(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = params(query.as_deref().unwrap_or(""));
    let required = |name: &str| {
        params.get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "MissingParameter",
                format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."),
            )
        })
    };
    for name in [
        "Action",
        "AccessKeyId",
        "Signature",
        "SignatureNonce",
        "Timestamp",
        "Version",
        "Format",
        "SignatureMethod",
        "SignatureVersion",
    ] {
        required(name)?;
    }
    authenticate(&state, &params)?;
    let action = required("Action")?.as_str();
    match action {
        "CreateUploadVideo" => {
            let invalid =
                |message: String| error(StatusCode::BAD_REQUEST, "InvalidParameter", message);
            let title = params
                .get("Title")
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| {
                    invalid(
                        "The specified parameter \"Title\" is not valid: it is required.".into(),
                    )
                })?;
            if title.chars().count() > MAX_TITLE_CHARS {
                return Err(invalid(format!(
                    "Title is at most {MAX_TITLE_CHARS} characters."
                )));
            }
            let file_name = params
                .get("FileName")
                .filter(|f| f.rsplit_once('.').is_some_and(|(_, ext)| !ext.is_empty()))
                .ok_or_else(|| {
                    invalid(
                        "The specified parameter \"FileName\" is not valid: it needs an extension."
                            .into(),
                    )
                })?;
            if params
                .get("Tags")
                .is_some_and(|t| t.split(',').count() > MAX_TAGS)
            {
                return Err(invalid(format!("At most {MAX_TAGS} tags.")));
            }
            if let Some(data) = params.get("UserData") {
                serde_json::from_str::<serde_json::Map<String, Value>>(data)
                    .map_err(|_| invalid("UserData must be a JSON object.".into()))?;
            }
            const KEPT: [&str; 10] = [
                "Title",
                "Description",
                "CateId",
                "Tags",
                "CoverURL",
                "TemplateGroupId",
                "WorkflowId",
                "StorageLocation",
                "AppId",
                "UserData",
            ];
            let meta = params
                .iter()
                .filter(|(name, _)| KEPT.contains(&name.as_str()))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            Ok(Json(create_video(&state, file_name, meta)))
        }
        "RefreshUploadVideo" => refresh_video(&state, required("VideoId")?).map(Json),
        "CreateUploadImage" => {
            let ext = params
                .get("ImageExt")
                .map(|e| e.to_ascii_lowercase())
                .unwrap_or_else(|| "png".into());
            if !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "InvalidParameter",
                    "ImageExt must be png, jpg, jpeg or gif.",
                ));
            }
            if params
                .get("ImageType")
                .is_some_and(|t| t != "default" && t != "cover")
            {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "InvalidParameter",
                    "ImageType must be default or cover.",
                ));
            }
            Ok(Json(create_image(&state, &ext)))
        }
        "GetVideoInfo" => {
            let video_id = required("VideoId")?;
            let videos = state.videos.lock().unwrap();
            let video = videos.get(video_id.as_str()).ok_or_else(|| {
                error(
                    StatusCode::NOT_FOUND,
                    "InvalidVideo.NotFound",
                    format!("The video {video_id:?} does not exist."),
                )
            })?;
            let mut info = serde_json::Map::new();
            info.insert("VideoId".into(), json!(video_id));
            for (name, value) in &video.meta {
                info.insert(name.clone(), json!(value));
            }
            Ok(Json(json!({ "RequestId": request_id(), "Video": info })))
        }
        other => Err(error(
            StatusCode::NOT_FOUND,
            "InvalidAction.NotFound",
            format!("The action {other:?} is not one vod-local answers."),
        )),
    }
}

/// The token, the time, the nonce and the signature, in the order VOD checks them.
fn authenticate(state: &AppState, params: &BTreeMap<String, String>) -> Result<(), ApiError> {
    let now = SystemTime::now();
    let credentials = state.credentials.lock().unwrap();
    let id = &params["AccessKeyId"];
    let credential = credentials.get(id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })?;
    if params.get("SecurityToken") != credential.token.as_ref() {
        return Err(error(
            StatusCode::FORBIDDEN,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        ));
    }
    if now >= credential.expires {
        return Err(error(
            StatusCode::FORBIDDEN,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        ));
    }
    let sent = humantime::parse_rfc3339(&params["Timestamp"]).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    })?;
    let skew = now.duration_since(sent).unwrap_or_else(|e| e.duration());
    let window = Duration::from_millis(MAX_CLOCK_SKEW_MS);
    if skew > window {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    let string_to_sign = vod_string_to_sign(params);
    if hmac_sha1_base64(&format!("{}&", credential.secret), &string_to_sign) != params["Signature"]
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "SignatureDoesNotMatch",
            format!("Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"),
        ));
    }
    drop(credentials);
    let mut nonces = state.nonces.lock().unwrap();
    nonces.retain(|_, seen| now.duration_since(*seen).unwrap_or_default() <= window);
    if nonces
        .insert(params["SignatureNonce"].clone(), now)
        .is_some()
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    Ok(())
}

/// `POST /api/sts-token` `{"seconds": n}`: an STS token as STS `AssumeRole` gives one, valid
/// for VOD's OpenAPI only (it reaches no object in OSS), for `seconds` (default 3600).
pub async fn sts_token(
    State(state): State<Arc<AppState>>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let seconds = if body.is_empty() {
        3600
    } else {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("seconds").map(|s| s.as_u64()))
            .unwrap_or(Some(3600))
            .filter(|s| *s > 0)
            .ok_or_else(|| bad("InvalidParameter", "seconds is a whole number above 0."))?
    };
    Ok(Json(crate::backend::mint_sts_token(
        &state,
        Duration::from_secs(seconds),
    )))
}
