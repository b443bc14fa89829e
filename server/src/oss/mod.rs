//! OSS: every request is located, fault-checked (UploadPart only), signature-verified, then
//! handled; every answer carries `x-oss-request-id`, errors an OSS error document.

pub mod addressing;
mod auth;
mod error;
mod multipart;
mod object;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::http::{HeaderValue, Method};
use axum::response::Response;

use crate::connection::Reset;
use crate::faults::Action;
use crate::state::{random_string, AppState, HEX_UPPER};
use addressing::Target;
use error::{invalid_argument, OssError};

/// Longest object key OSS accepts, in bytes.
const MAX_KEY: usize = 1023;

pub async fn handle(state: Arc<AppState>, target: Target, request: Request) -> Response {
    let request_id = random_string(HEX_UPPER, 24);
    let host_id = format!("{}.localhost", target.bucket);
    let mut response = match route(&state, target, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(&request_id, &host_id),
    };
    let headers = response.headers_mut();
    headers.insert(
        "x-oss-request-id",
        HeaderValue::from_str(&request_id).expect("hex"),
    );
    headers.insert("server", HeaderValue::from_static("AliyunOSS"));
    response
}

async fn route(state: &AppState, target: Target, request: Request) -> Result<Response, OssError> {
    if target.bucket != state.config.bucket {
        return Err(
            OssError::new(404, "NoSuchBucket", "The specified bucket does not exist.")
                .with("BucketName", target.bucket),
        );
    }
    let key = object_key(&target.key)?;
    let method = request.method().clone();
    let upload_id = target.param("uploadId").map(str::to_string);
    let part_number = target.param("partNumber").map(str::to_string);

    if let (&Method::PUT, Some(id), Some(number)) = (&method, &upload_id, &part_number) {
        multipart::count_received(state, id, number);
        inject_fault(state, request.extensions().get::<Reset>().cloned()).await?;
    }
    auth::verify(
        state,
        SystemTime::now(),
        &method,
        request.headers(),
        &target.bucket,
        &key,
        &target.query,
    )?;

    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let bucket = &target.bucket;
    match (&method, upload_id, part_number) {
        (&Method::POST, None, None) if target.param("uploads").is_some() => {
            multipart::initiate(state, bucket, &key, headers)
        }
        (&Method::PUT, Some(id), Some(number)) => {
            multipart::upload_part(state, bucket, &key, &id, &number, headers, body).await
        }
        (&Method::POST, Some(id), None) => {
            multipart::complete(state, bucket, &key, &id, body).await
        }
        (&Method::DELETE, Some(id), None) => multipart::abort(state, bucket, &key, &id),
        (&Method::GET, Some(id), None) => multipart::list_parts(state, bucket, &key, &id, &target),
        (_, None, Some(_)) | (&Method::PUT, Some(_), None) => {
            Err(invalid_argument("partNumber and uploadId go together."))
        }
        (&Method::PUT, None, None) => object::put(state, bucket, &key, headers, body).await,
        (&Method::GET, None, None) => object::get(state, bucket, &key, false).await,
        (&Method::HEAD, None, None) => object::get(state, bucket, &key, true).await,
        (&Method::DELETE, None, None) => object::delete(state, bucket, &key),
        _ => Err(OssError::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )),
    }
}

/// A key is UTF-8, 1 to 1023 bytes, and starts with neither `/` nor `\`.
fn object_key(raw: &[u8]) -> Result<String, OssError> {
    let invalid = |why: &str| {
        OssError::new(
            400,
            "InvalidObjectName",
            format!("The object name is invalid: {why}."),
        )
    };
    if raw.is_empty() {
        return Err(OssError::new(
            501,
            "NotImplemented",
            "vod-local serves object operations only; bucket operations are not implemented.",
        ));
    }
    if raw.len() > MAX_KEY {
        return Err(invalid("longer than 1023 bytes"));
    }
    if raw[0] == b'/' || raw[0] == b'\\' {
        return Err(invalid("it starts with a slash or backslash"));
    }
    String::from_utf8(raw.to_vec()).map_err(|_| invalid("not UTF-8"))
}

/// Applies the test controls' fault rule to one UploadPart request.
async fn inject_fault(state: &AppState, reset: Option<Reset>) -> Result<(), OssError> {
    let action = state.faults.lock().unwrap().next();
    match action {
        None => Ok(()),
        Some(Action::Stall { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            Ok(())
        }
        Some(Action::Reset) => {
            if let Some(reset) = reset {
                reset.now();
            }
            std::future::pending().await
        }
        Some(Action::Fail { status }) => {
            let code = match status {
                403 => "AccessDenied",
                500 => "InternalError",
                502 => "BadGateway",
                503 => "ServiceUnavailable",
                504 => "GatewayTimeout",
                _ => "InjectedFault",
            };
            Err(OssError::new(
                status,
                code,
                "Injected by vod-local's test controls.",
            ))
        }
    }
}
