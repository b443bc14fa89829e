//! The test controls: injected faults in UploadPart, and the part counts.

mod common;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

async fn part(
    h: &Harness,
    c: &Creds,
    id: &str,
    n: u32,
) -> Result<reqwest::Response, reqwest::Error> {
    h.http
        .put(h.url(&format!(
            "/{}/{}?partNumber={n}&uploadId={id}",
            c.bucket, c.key
        )))
        .send()
        .await
}

/// A signed one-byte UploadPart, whatever the answer.
async fn send_part(h: &Harness, c: &Creds, id: &str, n: u32) -> reqwest::Response {
    h.oss(c, "PUT", &format!("partNumber={n}&uploadId={id}"))
        .body("x")
        .send()
        .await
}

/// Each of `rules` is refused by `/_admin/{path}` with 400.
async fn assert_refused(h: &Harness, path: &str, rules: &[serde_json::Value]) {
    for rule in rules {
        let response = h
            .http
            .post(h.url(&format!("/_admin/{path}")))
            .json(rule)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{rule}");
    }
}

#[tokio::test]
async fn next_n_parts_fail_with_the_chosen_status() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    h.fault(json!({"action": "fail", "status": 503, "count": 2}))
        .await;
    for _ in 0..2 {
        let response = send_part(&h, &c, &id, 1).await;
        let (status, code, _) = error_of(response).await;
        assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"));
    }
    put_part(&h, &c, &id, 1, b"x".to_vec()).await;
    let uploads = h.uploads().await;
    assert_eq!(uploads[0]["partRequests"], 3);
    assert_eq!(uploads[0]["parts"][0]["received"], 3);
    assert_eq!(uploads[0]["parts"][0]["stored"], 1);
}

#[tokio::test]
async fn a_fraction_of_parts_fails_and_clearing_stops_it() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    h.fault(json!({"action": "fail", "status": 500, "fraction": 0.3}))
        .await;
    let mut failed = 0;
    for n in 1..=20 {
        let response = send_part(&h, &c, &id, n).await;
        if response.status() == 500 {
            failed += 1;
        }
    }
    assert_eq!(failed, 6);
    h.admin(reqwest::Method::DELETE, "faults", None).await;
    for n in 1..=5 {
        put_part(&h, &c, &id, n, b"x".to_vec()).await;
    }
}

#[tokio::test]
async fn reset_drops_the_connection_without_an_answer() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    h.fault(json!({"action": "reset"})).await;
    let error = part(&h, &c, &id, 1).await.unwrap_err();
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    let mut reset = false;
    while let Some(e) = source {
        reset |= e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionReset);
        source = e.source();
    }
    assert!(reset, "expected a TCP reset: {error:?}");
    // Only the next one: the server goes on answering.
    put_part(&h, &c, &id, 1, b"x".to_vec()).await;
}

#[tokio::test]
async fn stall_delays_then_succeeds() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    h.fault(json!({"action": "stall", "ms": 700})).await;
    let started = Instant::now();
    put_part(&h, &c, &id, 1, b"x".to_vec()).await;
    assert!(started.elapsed() >= Duration::from_millis(700));
}

#[tokio::test]
async fn faults_apply_to_upload_part_only() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    h.fault(json!({"action": "fail", "status": 503})).await;
    let id = initiate(&h, &c).await;
    assert_eq!(
        h.oss(&c, "GET", &format!("uploadId={id}"))
            .send()
            .await
            .status(),
        200
    );
    let response = send_part(&h, &c, &id, 1).await;
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn bad_fault_rules_are_refused() {
    let h = Harness::start().await;
    let rules = [
        json!({"action": "explode"}),
        json!({"action": "fail", "status": 200}),
        json!({"action": "fail"}),
        json!({"action": "stall", "ms": 10, "fraction": 1.5}),
    ];
    assert_refused(&h, "faults", &rules).await;
}

#[tokio::test]
async fn a_403_fault_answers_access_denied() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    h.fault(json!({"action": "fail", "status": 403})).await;
    let response = send_part(&h, &c, &id, 1).await;
    let (status, code, _) = error_of(response).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
}

#[tokio::test]
async fn several_fault_rules_apply_at_once() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    h.fault(json!([
        {"action": "fail", "status": 503, "fraction": 0.5},
        {"action": "fail", "status": 500, "count": 1}
    ]))
    .await;
    let mut statuses = Vec::new();
    for n in 1..=4 {
        let response = send_part(&h, &c, &id, n).await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [500, 503, 200, 503]);
}

#[tokio::test]
async fn the_lifetime_of_new_credentials_can_be_changed_and_refreshes_are_counted() {
    let h = Harness::start().await;
    h.admin(
        reqwest::Method::POST,
        "token-ttl",
        Some(json!({"seconds": 5})),
    )
    .await;
    let (_, answer) = h
        .api(
            "/api/upload-auth",
            json!({"title": "t", "fileName": "short.mp4"}),
        )
        .await;
    let auth = decode(&answer["UploadAuth"]);
    assert_eq!(auth["Expiration"], "5");
    let counters = h.admin(reqwest::Method::GET, "counters", None).await;
    assert_eq!(counters["refreshes"], 0);
    for _ in 0..2 {
        let (status, _) = h
            .api(
                "/api/refresh-upload-auth",
                json!({"videoId": answer["VideoId"]}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let counters = h.admin(reqwest::Method::GET, "counters", None).await;
    assert_eq!(counters["refreshes"], 2);
}

#[tokio::test]
async fn every_request_for_the_bucket_is_counted_refused_and_preflight_ones_too() {
    let h = Harness::start().await;
    let count = || async {
        h.admin(reqwest::Method::GET, "counters", None).await["bucketRequests"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count().await, 0);
    let c = h.creds_for("counted.mp4").await;
    assert_eq!(count().await, 0, "the backend is not the bucket");
    let unsigned = h.http.put(h.url(&format!("/{}/{}", c.bucket, c.key)));
    assert_eq!(unsigned.send().await.unwrap().status(), 403);
    let preflight = h
        .http
        .request(
            reqwest::Method::OPTIONS,
            h.url(&format!("/{}/{}", c.bucket, c.key)),
        )
        .header("Origin", "http://localhost:1")
        .header("Access-Control-Request-Method", "PUT");
    assert!(preflight.send().await.unwrap().status().is_success());
    initiate(&h, &c).await;
    assert_eq!(count().await, 3);
}

#[tokio::test]
async fn damaged_parts_are_stored_and_answered_as_they_arrived() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    h.admin(
        reqwest::Method::POST,
        "damage-parts",
        Some(json!({"count": 1})),
    )
    .await;
    let sent = bytes(1000, 3);
    let damaged = put_part(&h, &c, &id, 1, sent.clone()).await;
    let intact = put_part(&h, &c, &id, 2, sent.clone()).await;
    assert_ne!(damaged, intact);
    assert_eq!(intact.trim_matches('"'), md5_hex(&sent).to_uppercase());
    let mut flipped = sent.clone();
    flipped[0] ^= 0xFF;
    assert_eq!(damaged.trim_matches('"'), md5_hex(&flipped).to_uppercase());
}

#[tokio::test]
async fn the_cors_rule_can_stop_exposing_the_crc() {
    let h = Harness::start().await;
    let exposed = |response: &reqwest::Response| {
        response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let response = h.http.get(h.url("/")).send().await.unwrap();
    assert!(exposed(&response).contains("x-oss-hash-crc64ecma"));
    h.admin(
        reqwest::Method::POST,
        "cors",
        Some(json!({"exposeCrc64": false})),
    )
    .await;
    let response = h.http.get(h.url("/")).send().await.unwrap();
    assert!(!exposed(&response).contains("x-oss-hash-crc64ecma"));
    assert!(exposed(&response).contains("ETag"));
}

#[tokio::test]
async fn a_broken_answer_to_complete_comes_after_the_object_is_made() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    let etag = put_part(&h, &c, &id, 1, b"hello".to_vec()).await;
    h.admin(
        reqwest::Method::POST,
        "broken",
        Some(json!({"operation": "complete", "kind": "wrong-document"})),
    )
    .await;
    let response = complete(&h, &c, &id, &[(1, &etag)]).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("<Key>another/key.mp4</Key>"), "{text}");
    // The call was carried out: the object is there and the upload is gone.
    assert_eq!(h.objects().await.len(), 1);
    let again = complete(&h, &c, &id, &[(1, &etag)]).await;
    assert_eq!(error_of(again).await.1, "NoSuchUpload");
}

#[tokio::test]
async fn a_broken_answer_not_done_leaves_nothing_and_is_used_up() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    h.admin(
        reqwest::Method::POST,
        "broken",
        Some(json!([
            {"operation": "initiate", "kind": "html", "done": false, "count": 2},
            {"operation": "upload-part", "kind": "bad-crc"},
        ])),
    )
    .await;
    for _ in 0..2 {
        let response = h.oss(&c, "POST", "uploads").send().await;
        assert_eq!(response.status(), 502);
        assert!(response.text().await.unwrap().contains("Bad Gateway"));
    }
    assert!(h.uploads().await.is_empty());
    let id = initiate(&h, &c).await;
    let response = send_part(&h, &c, &id, 1).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-oss-hash-crc64ecma"], "not-a-number");
    let response = send_part(&h, &c, &id, 1).await;
    assert_ne!(response.headers()["x-oss-hash-crc64ecma"], "not-a-number");
}

#[tokio::test]
async fn broken_answer_rules_are_checked() {
    let h = Harness::start().await;
    let rules = [
        json!({"operation": "nothing", "kind": "empty"}),
        json!({"operation": "complete", "kind": "garbled"}),
        json!({"operation": "vod", "kind": "bad-crc"}),
    ];
    assert_refused(&h, "broken", &rules).await;
}

#[tokio::test]
async fn held_parts_wait_until_released_and_the_test_can_wait_for_them() {
    let h = Harness::start().await;
    let c = h.creds_for("held.mp4").await;
    let id = initiate(&h, &c).await;
    h.hold(json!({"operation": "upload-part", "after": 1}))
        .await;
    put_part(&h, &c, &id, 1, b"x".to_vec()).await;
    let (h2, c2, id2) = (&h, &c, id.clone());
    let held = async move { send_part(h2, c2, &id2, 2).await.status() };
    let release = async {
        // Returns once the part is held: an event, not a duration.
        let counts = h.admin(reqwest::Method::GET, "hold?waiting=1", None).await;
        assert_eq!(counts, json!({"waiting": 1, "held": 1}));
        assert_eq!(h.uploads().await[0]["partRequests"], 1, "not yet handled");
        h.admin(reqwest::Method::POST, "release", Some(json!({"count": 1})))
            .await
    };
    let (status, released) = tokio::join!(held, release);
    assert_eq!(status, 200);
    assert_eq!(released, json!({"released": 1}));
    assert_eq!(h.uploads().await[0]["parts"][1]["stored"], 1);
}

#[tokio::test]
async fn clearing_holds_releases_every_held_request_and_holds_no_more() {
    let h = Harness::start().await;
    let c = h.creds_for("held.mp4").await;
    h.hold(json!({"operation": "initiate"})).await;
    let held = async { (initiate(&h, &c).await, initiate(&h, &c).await) };
    let clear = async {
        h.admin(reqwest::Method::GET, "hold?held=1", None).await;
        h.admin(reqwest::Method::DELETE, "hold", None).await;
    };
    tokio::join!(held, clear);
    assert_eq!(h.uploads().await.len(), 2);
}

#[tokio::test]
async fn waiting_2_s_for_holds_that_never_come_answers_408_and_bad_rules_are_refused() {
    let h = Harness::start().await;
    // Nothing is held: the wait gives up at its limit with the counts.
    let response = h
        .http
        .get(h.url("/_admin/hold?waiting=1&within=2000"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 408);
    let counts: serde_json::Value = response.json().await.unwrap();
    assert_eq!(counts, json!({"waiting": 0, "held": 0}));
    let rules = [
        json!({"operation": "sleep"}),
        json!({"operation": "upload-part", "ms": 5}),
        json!({"after": 1}),
    ];
    assert_refused(&h, "hold", &rules).await;
}

#[tokio::test]
async fn reset_puts_every_setting_back_to_the_servers_start() {
    let h = Harness::start().await;
    let post = |path: &'static str, body: serde_json::Value| {
        h.admin(reqwest::Method::POST, path, Some(body))
    };
    post(
        "faults",
        json!({"action": "fail", "status": 503, "fraction": 1}),
    )
    .await;
    post(
        "broken",
        json!({"operation": "initiate", "kind": "empty", "count": 9}),
    )
    .await;
    post("hold", json!({"operation": "complete"})).await;
    post("damage-parts", json!({"count": 9})).await;
    post("csp", json!({"policy": "worker-src 'none'"})).await;
    post("cors", json!({"exposeEtag": false, "exposeCrc64": false})).await;
    post("token-ttl", json!({"seconds": 2})).await;
    h.admin(reqwest::Method::POST, "reset", None).await;

    let (_, answer) = h
        .api(
            "/api/upload-auth",
            json!({"title": "t", "fileName": "after reset.mp4"}),
        )
        .await;
    assert_eq!(decode(&answer["UploadAuth"])["Expiration"], "3000");
    let c = creds(&answer);
    let id = initiate(&h, &c).await;
    let response = h
        .oss(&c, "PUT", &format!("partNumber=1&uploadId={id}"))
        .unsigned_header("Origin", "http://localhost:1")
        .body("x")
        .send()
        .await;
    assert_eq!(response.status(), 200);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(
        exposed.contains("ETag") && exposed.contains("x-oss-hash-crc64ecma"),
        "{exposed}"
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag.trim_matches('"'), md5_hex(b"x").to_uppercase());
    let completed = complete(&h, &c, &id, &[(1, &etag)]).await;
    assert_eq!(completed.status(), 200);
    let page = h.http.get(h.url("/index.html")).send().await.unwrap();
    assert!(page.headers().get("content-security-policy").is_none());
}

#[tokio::test]
async fn a_test_can_wait_for_a_refresh_and_for_an_upload_to_close() {
    let h = Harness::start().await;
    let c = h.creds_for("waited.mp4").await;
    let id = initiate(&h, &c).await;
    let open = format!("uploads?state=open&key={}&none=true", c.key);
    let waits = async {
        let counters = h.admin(reqwest::Method::GET, "counters?refreshes=1", None);
        let closed = h.admin(reqwest::Method::GET, &open, None);
        tokio::join!(counters, closed)
    };
    let events = async {
        let (status, _) = h
            .api("/api/refresh-upload-auth", json!({"videoId": c.video_id}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(abort(&h, &c, &id).await.status(), 204);
    };
    let ((counters, closed), ()) = tokio::join!(waits, events);
    assert_eq!(counters["refreshes"], 1);
    assert_eq!(closed, json!({"uploads": []}));
}

#[tokio::test]
async fn a_dropped_hold_resets_the_connection_and_stores_nothing() {
    let h = Harness::start().await;
    let c = h.creds_for("dropped.mp4").await;
    let id = initiate(&h, &c).await;
    h.hold(json!({"operation": "upload-part"})).await;
    let sent = h
        .oss(&c, "PUT", &format!("partNumber=1&uploadId={id}"))
        .body("x")
        .try_send();
    let drop = async {
        h.admin(reqwest::Method::GET, "hold?waiting=1", None).await;
        h.admin(
            reqwest::Method::POST,
            "release",
            Some(json!({"drop": true})),
        )
        .await
    };
    let (sent, dropped) = tokio::join!(sent, drop);
    assert!(sent.is_err(), "answered: {:?}", sent.map(|r| r.status()));
    assert_eq!(dropped, json!({"released": 1}));
    // Still held from now on: the rule stays until the hold is cleared.
    assert_eq!(h.uploads().await[0]["partRequests"], 0);
    h.admin(reqwest::Method::DELETE, "hold?drop=true", None)
        .await;
    put_part(&h, &c, &id, 1, b"x".to_vec()).await;
}
