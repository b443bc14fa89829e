//! Broken answers on purpose, set through `/_admin/broken`: the next answers to one operation
//! come back broken in a named way, as a broken proxy or a buggy server would send them. By
//! default the server carries the call out first and breaks the answer on its way back (so a
//! broken answer to Complete leaves a completed object behind it); with `"done": false` it
//! answers broken instead.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::faults::Faults;
use crate::oss::addressing;
use crate::state::AppState;

/// The calls whose answers can be broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Initiate,
    UploadPart,
    Complete,
    PutObject,
    ListParts,
    Abort,
    HeadObject,
    /// VOD's OpenAPI (`CreateUploadVideo`, `RefreshUploadVideo`, `CreateUploadImage`).
    Vod,
}

/// How an answer is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// 200 with no body.
    Empty,
    /// The answer's body cut in half.
    Truncated,
    /// 200 with bytes that are not text.
    Binary,
    /// 200 with a document that is not well-formed.
    Malformed,
    /// 200 with a document nested 300,000 deep.
    Deep,
    /// 200 with a well-formed document that is not the answer: for another key, or of
    /// another call.
    WrongDocument,
    /// The `x-oss-hash-crc64ecma` header is not a number.
    BadCrc,
    /// 400 with an error document whose code is 300 KB long.
    HugeCode,
    /// 502 with a proxy's HTML page.
    Html,
    /// 200 with a 5 MB body.
    Huge,
}

/// What a rule of `/_admin/broken` does, picked as fault rules are (a `count`, a `fraction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Breaking {
    pub operation: Operation,
    pub kind: Kind,
    /// Whether the call is carried out before its answer is broken (default true).
    #[serde(default = "carried_out")]
    pub done: bool,
}

fn carried_out() -> bool {
    true
}

pub type Broken = Faults<Breaking>;
pub type Rules = crate::faults::Rules<Breaking>;

/// Which call a request is, if it is one whose answer can be broken (or that can be held).
pub fn operation(request: &Request, bucket: &str) -> Option<Operation> {
    let path = request.uri().path();
    if path == "/vod" || path == "/vod/" {
        return Some(Operation::Vod);
    }
    let target = addressing::locate(request, bucket)?;
    let (upload, part) = (target.param("uploadId"), target.param("partNumber"));
    Some(match (request.method(), upload, part) {
        (&Method::POST, None, None) if target.param("uploads").is_some() => Operation::Initiate,
        (&Method::PUT, Some(_), Some(_)) => Operation::UploadPart,
        (&Method::POST, Some(_), None) => Operation::Complete,
        (&Method::DELETE, Some(_), None) => Operation::Abort,
        (&Method::GET, Some(_), None) => Operation::ListParts,
        (&Method::PUT, None, None) => Operation::PutObject,
        (&Method::HEAD, None, None) => Operation::HeadObject,
        _ => return None,
    })
}

pub async fn middleware(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(operation) = operation(&request, &state.config.bucket) else {
        return next.run(request).await;
    };
    let picked = state
        .broken
        .lock()
        .unwrap()
        .next_of(|b| b.operation == operation);
    let Some(Breaking { kind, done, .. }) = picked else {
        return next.run(request).await;
    };
    let (status, headers, body) = if done {
        let answer = next.run(request).await;
        let (parts, body) = answer.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        (parts.status, parts.headers, body)
    } else {
        (StatusCode::OK, HeaderMap::new(), Bytes::new())
    };
    let json = operation == Operation::Vod;
    let (status, mut headers, body) = breaking(kind, json, status, headers, body);
    // A HEAD's Content-Length is the object's, whatever its (absent) body.
    if operation != Operation::HeadObject {
        headers.remove(header::CONTENT_LENGTH);
    }
    (status, headers, Body::from(body)).into_response()
}

/// The answer `status`, `headers`, `body` broken as `kind` says; `json` for VOD's answers.
fn breaking(
    kind: Kind,
    json: bool,
    status: StatusCode,
    mut headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Bytes) {
    const DEEP: usize = 300_000;
    let ok = StatusCode::OK;
    let text = |s: String| Bytes::from(s.into_bytes());
    match kind {
        Kind::Empty => (ok, headers, Bytes::new()),
        Kind::Truncated => {
            let half = body.slice(..body.len() / 2);
            (status, headers, half)
        }
        Kind::Binary => {
            let bytes: Vec<u8> = (0..=255u8).rev().cycle().take(4096).collect();
            (ok, headers, Bytes::from(bytes))
        }
        Kind::Malformed if json => (ok, headers, text(r#"{"RequestId": [}"#.into())),
        Kind::Malformed => (ok, headers, text("<Result><Bucket>b</Key></Result>".into())),
        Kind::Deep if json => {
            let deep = r#"{"a":"#.repeat(DEEP) + "1" + &"}".repeat(DEEP);
            (ok, headers, text(deep))
        }
        Kind::Deep => (ok, headers, text("<a>".repeat(DEEP) + &"</a>".repeat(DEEP))),
        Kind::WrongDocument if json => (
            ok,
            headers,
            text(r#"{"RequestId":"wrong","VideoId":"v"}"#.into()),
        ),
        Kind::WrongDocument => (
            ok,
            headers,
            text(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult>\
                 <Bucket>another-bucket</Bucket><Key>another/key.mp4</Key>\
                 </CompleteMultipartUploadResult>"
                    .into(),
            ),
        ),
        Kind::BadCrc => {
            headers.insert(
                "x-oss-hash-crc64ecma",
                HeaderValue::from_static("not-a-number"),
            );
            (status, headers, body)
        }
        Kind::HugeCode => {
            let code = "Denied".repeat(50_000);
            let document = if json {
                format!(r#"{{"RequestId":"r","Code":"{code}","Message":"m"}}"#)
            } else {
                format!("<Error><Code>{code}</Code><Message>m</Message></Error>")
            };
            (StatusCode::BAD_REQUEST, HeaderMap::new(), text(document))
        }
        Kind::Html => {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            let page = "<html><head><title>502 Bad Gateway</title></head>\
                        <body><h1>502 Bad Gateway</h1></body></html>";
            (StatusCode::BAD_GATEWAY, headers, text(page.into()))
        }
        Kind::Huge => (ok, headers, text(" ".repeat(5 << 20))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_used_up_per_operation() {
        let mut broken = Broken::default();
        let rules = r#"[{"operation":"complete","kind":"empty","count":2},
            {"operation":"vod","kind":"deep","done":false},
            {"operation":"put-object","kind":"html","fraction":0.25}]"#;
        broken.set(serde_json::from_str::<Rules>(rules).unwrap().into_vec());
        let mut next = |operation| {
            broken
                .next_of(|b| b.operation == operation)
                .map(|b| (b.kind, b.done))
        };
        assert_eq!(next(Operation::UploadPart), None);
        assert_eq!(next(Operation::Complete), Some((Kind::Empty, true)));
        assert_eq!(next(Operation::Vod), Some((Kind::Deep, false)));
        assert_eq!(next(Operation::Vod), None);
        assert_eq!(next(Operation::Complete), Some((Kind::Empty, true)));
        assert_eq!(next(Operation::Complete), None);
        let puts: Vec<bool> = (0..8)
            .map(|_| next(Operation::PutObject).is_some())
            .collect();
        assert_eq!(puts, [false, false, false, true, false, false, false, true]);
    }

    #[test]
    fn every_kind_breaks_the_answer() {
        let body = Bytes::from_static(b"<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>");
        let kinds = [
            Kind::Empty,
            Kind::Truncated,
            Kind::Binary,
            Kind::Malformed,
            Kind::Deep,
            Kind::WrongDocument,
            Kind::BadCrc,
            Kind::HugeCode,
            Kind::Html,
            Kind::Huge,
        ];
        for kind in kinds {
            for json in [false, true] {
                let (status, headers, broken) =
                    breaking(kind, json, StatusCode::OK, HeaderMap::new(), body.clone());
                let same = status == StatusCode::OK && broken == body && headers.is_empty();
                assert!(!same, "{kind:?} changed nothing");
            }
        }
    }
}
