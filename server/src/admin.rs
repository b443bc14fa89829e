//! Test controls, for loopback clients only: faults in UploadPart, requests held until released,
//! expiring every credential, the lifetime of new credentials, the CORS rule's ETag exposure,
//! what the server holds, how often the backend refreshed credentials, and one reset of every
//! setting to the server's start.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::{Action, Rules};
use crate::hold::Release;
use crate::state::{AppState, UploadState};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/reset", post(reset))
        .route("/faults", post(set_faults).delete(clear_faults))
        .route("/hold", post(set_hold).get(hold_counts).delete(clear_hold))
        .route("/release", post(release))
        .route("/broken", post(set_broken).delete(clear_broken))
        .route("/expire-credentials", post(expire_credentials))
        .route("/token-ttl", post(set_token_ttl))
        .route("/counters", get(counters))
        .route("/cors", post(set_cors))
        .route("/csp", post(set_csp).delete(clear_csp))
        .route("/damage-parts", post(damage_parts).delete(undamage_parts))
        .route("/objects", get(objects))
        .route("/uploads", get(uploads))
        .layer(axum::middleware::from_fn(loopback_only))
}

/// Counts every request for the bucket, preflights and refused ones included, before anything
/// answers it: what "reaches OSS" means to a test.
pub async fn count_bucket_requests(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if crate::oss::addressing::locate(&request, &state.config.bucket).is_some() {
        state.bucket_requests.fetch_add(1, Ordering::Relaxed);
    }
    next.run(request).await
}

async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if peer.ip().is_loopback() {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "the test controls answer loopback clients only\n",
        )
            .into_response()
    }
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

async fn set_faults(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let rules = match serde_json::from_slice::<Rules>(&body) {
        Ok(rules) => rules.into_vec(),
        Err(e) => return bad_request(format!("a fault rule, or a list of them, is {{\"action\": \"fail\"|\"reset\"|\"stall\", \"status\"?, \"ms\"?, \"count\"?, \"fraction\"?}}: {e}")),
    };
    for rule in &rules {
        if let Action::Fail { status } = rule.action {
            if !(400..=599).contains(&status) {
                return bad_request(format!(
                    "status {status} is not an error status (400 to 599)"
                ));
            }
        }
        if let Some(message) = fraction_error(rule.fraction) {
            return bad_request(message);
        }
    }
    state.faults.lock().unwrap().set(rules);
    StatusCode::NO_CONTENT.into_response()
}

fn fraction_error(fraction: Option<f64>) -> Option<String> {
    fraction
        .is_some_and(|f| !(f > 0.0 && f <= 1.0))
        .then(|| "fraction is in (0, 1]".to_string())
}

async fn clear_faults(State(state): State<Arc<AppState>>) -> StatusCode {
    state.faults.lock().unwrap().set(Vec::new());
    StatusCode::NO_CONTENT
}

/// Every setting of the test controls back to what the server started with, whatever the test
/// before did: no fault, broken answer, damage, hold or policy; the CORS rule exposing both
/// headers; credentials minted with the configured lifetime. Requests still held are dropped:
/// they belong to a test that is over.
async fn reset(State(state): State<Arc<AppState>>) -> StatusCode {
    state.faults.lock().unwrap().set(Vec::new());
    state.broken.lock().unwrap().set(Vec::new());
    state.holds.clear(Release::Drop);
    state.damage_parts.store(0, Ordering::Relaxed);
    *state.csp.lock().unwrap() = None;
    state.expose_etag.store(true, Ordering::Relaxed);
    state.expose_crc64.store(true, Ordering::Relaxed);
    let ttl = state.config.token_ttl.as_secs();
    state.token_ttl_secs.store(ttl, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

async fn set_hold(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<crate::hold::Rules>(&body) {
        Ok(rules) => {
            state.holds.set(rules.into_vec());
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(format!("a hold rule, or a list of them, is {{\"operation\": \"initiate\"|\"upload-part\"|\"complete\"|\"put-object\"|\"list-parts\"|\"abort\"|\"head-object\"|\"vod\", \"after\"?, \"count\"?}}: {e}")),
    }
}

#[derive(Deserialize)]
struct HoldWait {
    waiting: Option<usize>,
    held: Option<u64>,
    /// How long to wait at most, in milliseconds: a minute unless less is asked for.
    within: Option<u64>,
}

/// How many requests are held now and in all; with `?waiting=N` or `?held=N`, once that many
/// are (or 408 with the counts after a minute, or `within` ms), so a test waits for an event,
/// not a duration.
async fn hold_counts(State(state): State<Arc<AppState>>, Query(wait): Query<HoldWait>) -> Response {
    let enough = |c: crate::hold::Counts| {
        wait.waiting.is_none_or(|n| c.waiting >= n) && wait.held.is_none_or(|n| c.held >= n)
    };
    let limit = wait
        .within
        .map_or(MINUTE, Duration::from_millis)
        .min(MINUTE);
    let status = waited(limit, || enough(state.holds.counts())).await;
    (status, Json(json!(state.holds.counts()))).into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Letting {
    count: Option<usize>,
    /// Reset the requests' connections unhandled instead of letting them go on.
    #[serde(default)]
    drop: bool,
}

impl Letting {
    fn how(&self) -> Release {
        if self.drop {
            Release::Drop
        } else {
            Release::GoOn
        }
    }
}

/// No hold any more; the held requests go on (`?drop=true`: they are dropped).
async fn clear_hold(
    State(state): State<Arc<AppState>>,
    Query(letting): Query<Letting>,
) -> StatusCode {
    state.holds.clear(letting.how());
    StatusCode::NO_CONTENT
}

/// Lets the oldest `count` held requests go on (all, without a count), or drops them; the
/// rules stay.
async fn release(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let letting = if body.is_empty() {
        Ok(Letting::default())
    } else {
        serde_json::from_slice::<Letting>(&body)
    };
    match letting {
        Ok(l) => Json(json!({ "released": state.holds.release(l.count, l.how()) })).into_response(),
        Err(e) => bad_request(format!("a release is {{\"count\"?, \"drop\"?}}: {e}")),
    }
}

async fn set_broken(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    use crate::broken::{Kind, Operation, Rules};
    let rules = match serde_json::from_slice::<Rules>(&body) {
        Ok(rules) => rules.into_vec(),
        Err(e) => return bad_request(format!("a broken-answer rule, or a list of them, is {{\"operation\": \"initiate\"|\"upload-part\"|\"complete\"|\"put-object\"|\"list-parts\"|\"abort\"|\"head-object\"|\"vod\", \"kind\": \"empty\"|\"truncated\"|\"binary\"|\"malformed\"|\"deep\"|\"wrong-document\"|\"bad-crc\"|\"huge-code\"|\"html\"|\"huge\", \"count\"?, \"fraction\"?, \"done\"?}}: {e}")),
    };
    if rules
        .iter()
        .any(|r| r.action.operation == Operation::Vod && r.action.kind == Kind::BadCrc)
    {
        return bad_request("VOD's answers carry no CRC-64 header".to_string());
    }
    if let Some(message) = rules.iter().find_map(|r| fraction_error(r.fraction)) {
        return bad_request(message);
    }
    state.broken.lock().unwrap().set(rules);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_broken(State(state): State<Arc<AppState>>) -> StatusCode {
    state.broken.lock().unwrap().set(Vec::new());
    StatusCode::NO_CONTENT
}

async fn expire_credentials(State(state): State<Arc<AppState>>) -> Json<Value> {
    let now = SystemTime::now();
    let mut credentials = state.credentials.lock().unwrap();
    for (id, credential) in credentials.iter_mut() {
        credential.expires = credential.expires.min(now);
        state.save_credential(id, credential);
    }
    Json(json!({ "expired": credentials.len() }))
}

#[derive(Deserialize)]
struct TokenTtl {
    seconds: u64,
}

/// The lifetime of credentials minted from now on.
async fn set_token_ttl(State(state): State<Arc<AppState>>, Json(ttl): Json<TokenTtl>) -> Response {
    if ttl.seconds == 0 {
        return bad_request("seconds must be at least 1".to_string());
    }
    state.token_ttl_secs.store(ttl.seconds, Ordering::Relaxed);
    StatusCode::NO_CONTENT.into_response()
}

async fn undamage_parts(State(state): State<Arc<AppState>>) -> StatusCode {
    state.damage_parts.store(0, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CounterWait {
    refreshes: Option<u64>,
    bodies_begun: Option<u64>,
}

/// How often the backend refreshed credentials, how many requests came for the bucket, and how
/// many bodies the server has begun writing to a file; with `?refreshes=N` or
/// `?bodiesBegun=N`, once that many were (or 408 after a minute), so a test waits for the
/// event, not a duration.
async fn counters(State(state): State<Arc<AppState>>, Query(wait): Query<CounterWait>) -> Response {
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let reached = || {
        wait.refreshes.is_none_or(|n| load(&state.refreshes) >= n)
            && wait
                .bodies_begun
                .is_none_or(|n| load(&state.bodies_begun) >= n)
    };
    let status = waited(MINUTE, reached).await;
    let counters = json!({
        "refreshes": load(&state.refreshes),
        "bucketRequests": load(&state.bucket_requests),
        "bodiesBegun": load(&state.bodies_begun),
    });
    (status, Json(counters)).into_response()
}

const MINUTE: Duration = Duration::from_secs(60);

/// The answer to a wait: 200 once `done` holds, 408 if it did not within `limit`.
async fn waited(limit: Duration, done: impl Fn() -> bool) -> StatusCode {
    if until(limit, done).await {
        StatusCode::OK
    } else {
        StatusCode::REQUEST_TIMEOUT
    }
}

/// Waits until `done` holds, looking every 20 ms, for `limit` at most; whether it held.
async fn until(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cors {
    expose_etag: Option<bool>,
    expose_crc64: Option<bool>,
}

async fn set_cors(State(state): State<Arc<AppState>>, Json(cors): Json<Cors>) -> StatusCode {
    if let Some(on) = cors.expose_etag {
        state.expose_etag.store(on, Ordering::Relaxed);
    }
    if let Some(on) = cors.expose_crc64 {
        state.expose_crc64.store(on, Ordering::Relaxed);
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Csp {
    policy: String,
}

/// The static files (the pages, the SDK) are served with this Content-Security-Policy, as a
/// strict site would serve them.
async fn set_csp(State(state): State<Arc<AppState>>, Json(csp): Json<Csp>) -> StatusCode {
    *state.csp.lock().unwrap() = Some(csp.policy);
    StatusCode::NO_CONTENT
}

async fn clear_csp(State(state): State<Arc<AppState>>) -> StatusCode {
    *state.csp.lock().unwrap() = None;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Damage {
    count: u64,
}

/// The next `count` stored parts or PutObject bodies are damaged, as a transfer corrupted on the way would damage
/// them: the stored bytes, and so the ETag and CRC answered, are not what was sent.
async fn damage_parts(
    State(state): State<Arc<AppState>>,
    Json(damage): Json<Damage>,
) -> StatusCode {
    state.damage_parts.store(damage.count, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

async fn objects(State(state): State<Arc<AppState>>) -> Json<Value> {
    let objects = state.objects.lock().unwrap();
    let list: Vec<Value> = objects
        .iter()
        .map(|((bucket, key), o)| {
            json!({
                "bucket": bucket,
                "key": key,
                "size": o.size,
                "md5": hex::encode(o.md5),
                "crc64": o.crc64.to_string(),
                "etag": o.etag,
                "contentType": o.content_type,
            })
        })
        .collect();
    Json(json!({ "objects": list }))
}

#[derive(Deserialize)]
struct UploadFilter {
    state: Option<UploadState>,
    key: Option<String>,
    /// Answer once no upload is left that the filter keeps (or after a minute, with those
    /// left): an Abort is sent without waiting for it, and a test waits for it to arrive.
    #[serde(default)]
    none: bool,
}

impl UploadFilter {
    fn keeps(&self, upload: &crate::state::Upload) -> bool {
        self.state.is_none_or(|s| s == upload.state)
            && self.key.as_ref().is_none_or(|k| *k == upload.key)
    }
}

async fn uploads(
    State(state): State<Arc<AppState>>,
    Query(filter): Query<UploadFilter>,
) -> Json<Value> {
    if filter.none {
        let uploads = &state.uploads;
        until(MINUTE, || {
            !uploads.lock().unwrap().values().any(|u| filter.keeps(u))
        })
        .await;
    }
    let uploads = state.uploads.lock().unwrap();
    let list: Vec<Value> = uploads
        .iter()
        .filter(|(_, u)| filter.keeps(u))
        .map(|(id, u)| {
            let parts: Vec<Value> = u
                .counts
                .iter()
                .map(|(number, count)| {
                    json!({
                        "partNumber": number,
                        "received": count.received,
                        "stored": count.stored,
                        "size": u.parts.get(number).map(|p| p.size),
                    })
                })
                .collect();
            json!({
                "uploadId": id,
                "bucket": u.bucket,
                "key": u.key,
                "state": u.state,
                "partRequests": u.counts.values().map(|c| c.received).sum::<u32>(),
                "parts": parts,
            })
        })
        .collect();
    Json(json!({ "uploads": list }))
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use crate::state::AppState;

    /// The router in-process, as a client at `peer` would reach it: no packet is sent.
    async fn status_for(peer: &str) -> StatusCode {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(
            crate::default_config(dir.path().into()),
            "127.0.0.1:1".parse().unwrap(),
        );
        let mut request = Request::post("/_admin/expire-credentials")
            .body(Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        crate::app(Arc::new(state.unwrap()))
            .oneshot(request)
            .await
            .unwrap()
            .status()
    }

    /// The router's answer to `request`, as a loopback client would get it.
    async fn answer(app: axum::Router, mut request: Request<Body>) -> axum::response::Response {
        request
            .extensions_mut()
            .insert(ConnectInfo("127.0.0.1:5000".parse::<SocketAddr>().unwrap()));
        app.oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn a_content_security_policy_set_by_the_controls_comes_with_the_static_files() {
        let dir = tempfile::tempdir().unwrap();
        let www = tempfile::tempdir().unwrap();
        std::fs::write(www.path().join("page.html"), "<!doctype html>").unwrap();
        let config = crate::Config {
            www: www.path().into(),
            ..crate::default_config(dir.path().into())
        };
        let state = AppState::new(config, "127.0.0.1:1".parse().unwrap());
        let app = crate::app(Arc::new(state.unwrap()));
        let policy = |app| async {
            let page = answer(app, Request::get("/page.html").body(Body::empty()).unwrap());
            let page = page.await;
            assert_eq!(page.status(), StatusCode::OK);
            let csp = page.headers().get("content-security-policy");
            csp.map(|v| v.to_str().unwrap().to_string())
        };
        assert_eq!(policy(app.clone()).await, None);
        let set = Request::post("/_admin/csp")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"policy": "worker-src 'none'"}"#))
            .unwrap();
        assert_eq!(
            answer(app.clone(), set).await.status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            policy(app.clone()).await.as_deref(),
            Some("worker-src 'none'")
        );
        let clear = Request::delete("/_admin/csp").body(Body::empty()).unwrap();
        assert_eq!(
            answer(app.clone(), clear).await.status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(policy(app).await, None);
    }

    #[tokio::test]
    async fn test_controls_answer_loopback_peers_only() {
        assert_eq!(status_for("127.0.0.1:5000").await, StatusCode::OK);
        assert_eq!(status_for("[::1]:5000").await, StatusCode::OK);
        assert_eq!(status_for("192.0.2.7:5000").await, StatusCode::FORBIDDEN);
    }
}
