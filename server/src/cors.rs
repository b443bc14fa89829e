//! CORS as a bucket rule that allows every origin would answer (docs/protocol.md, "CORS"), on
//! preflights and on every answer, errors included.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const METHODS: &str = "GET, PUT, POST, DELETE, HEAD";

pub async fn middleware(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        preflight_response(request.headers())
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        origin.unwrap_or(HeaderValue::from_static("*")),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    // The bucket's rule exposes these; the test controls can take ETag or the CRC out.
    let exposed: Vec<&str> = [
        ("ETag", state.expose_etag.load(Ordering::Relaxed)),
        ("x-oss-request-id", true),
        (
            "x-oss-hash-crc64ecma",
            state.expose_crc64.load(Ordering::Relaxed),
        ),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_str(&exposed.join(", ")).expect("header names"),
    );
    response
}

fn preflight_response(request: &HeaderMap) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(METHODS),
    );
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    (StatusCode::OK, headers).into_response()
}
