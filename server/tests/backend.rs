//! The customer's backend role: CreateUploadVideo / CreateUploadImage / RefreshUploadVideo.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn upload_auth_answers_like_create_upload_video() {
    let h = Harness::with(|c| c.token_ttl = std::time::Duration::from_secs(1234)).await;
    let (status, answer) = h
        .api("/api/upload-auth", json!({"kind": "video", "title": "A film", "fileName": "dir/My film ü.mp4", "fileSize": 10}))
        .await;
    assert_eq!(status, 200, "{answer}");
    for field in ["RequestId", "VideoId", "UploadAddress", "UploadAuth"] {
        assert!(
            answer[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
    let c = creds(&answer);
    assert!(c.id.starts_with("STS."));
    assert_eq!(c.auth["Expiration"], "1234");
    assert_eq!(c.auth["Region"], "cn-shanghai");
    let expires = humantime::parse_rfc3339(c.auth["ExpireUTCTime"].as_str().unwrap()).unwrap();
    let left = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!((1200..=1234).contains(&left), "{left}");
    assert_eq!(
        c.address["Endpoint"],
        format!("http://localhost:{}", h.addr.port())
    );
    assert_eq!(c.bucket, "vod-local");
    let parts: Vec<&str> = c.key.split('/').collect();
    assert_eq!(
        (parts[0], parts.len(), parts[2]),
        ("sv", 3, "My film ü.mp4")
    );

    // Fresh credentials every call.
    let again = h.creds_for("x.mp4").await;
    assert_ne!(again.id, c.id);
    assert_ne!(again.secret, c.secret);
}

#[tokio::test]
async fn image_upload_auth() {
    let h = Harness::start().await;
    let (status, answer) = h
        .api(
            "/api/upload-auth",
            json!({"kind": "image", "title": "cover", "fileName": "c.PNG"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let c = creds(&answer);
    assert!(
        c.key.starts_with("image/default/") && c.key.ends_with(".png"),
        "{}",
        c.key
    );
    assert!(answer["ImageId"].as_str().is_some());
    assert!(answer["ImageURL"].as_str().unwrap().ends_with(&c.key));
    assert!(answer.get("VideoId").is_none());
}

#[tokio::test]
async fn refresh_keeps_the_address_and_mints_new_credentials() {
    let h = Harness::start().await;
    let first = h.creds_for("a.mp4").await;
    let (status, answer) = h
        .api(
            "/api/refresh-upload-auth",
            json!({"videoId": first.video_id}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let second = creds(&answer);
    assert_eq!(second.address, first.address);
    assert_eq!(second.video_id, first.video_id);
    assert_ne!(second.id, first.id);
    assert_ne!(second.token, first.token);
}

#[tokio::test]
async fn bad_requests_get_named_errors() {
    let h = Harness::start().await;
    let cases = [
        (
            "/api/upload-auth",
            json!({"fileName": "a.mp4"}),
            400,
            "MissingTitle",
        ),
        (
            "/api/upload-auth",
            json!({"title": "  ", "fileName": "a.mp4"}),
            400,
            "MissingTitle",
        ),
        (
            "/api/upload-auth",
            json!({"title": "x".repeat(129), "fileName": "a.mp4"}),
            400,
            "InvalidTitle.Length",
        ),
        (
            "/api/upload-auth",
            json!({"title": "t"}),
            400,
            "MissingFileName",
        ),
        (
            "/api/upload-auth",
            json!({"title": "t", "fileName": "noext"}),
            400,
            "InvalidFileName.Extension",
        ),
        (
            "/api/upload-auth",
            json!({"title": "t", "fileName": "trailingdot."}),
            400,
            "InvalidFileName.Extension",
        ),
        (
            "/api/upload-auth",
            json!({"title": "t", "fileName": "a.mp4", "fileSize": 0}),
            400,
            "InvalidFileSize",
        ),
        (
            "/api/upload-auth",
            json!({"title": "t", "fileName": "a.mp4", "userData": "{not json"}),
            400,
            "InvalidUserData",
        ),
        (
            "/api/upload-auth",
            json!({"kind": "image", "title": "t", "fileName": "a.bmp"}),
            400,
            "InvalidImageExt",
        ),
        (
            "/api/upload-auth",
            json!({"kind": "audio", "title": "t", "fileName": "a.mp3"}),
            400,
            "InvalidKind",
        ),
        (
            "/api/upload-auth",
            json!({"title": 5, "fileName": "a.mp4"}),
            400,
            "MalformedJSON",
        ),
        ("/api/refresh-upload-auth", json!({}), 400, "MissingVideoId"),
        (
            "/api/refresh-upload-auth",
            json!({"videoId": "nope"}),
            404,
            "InvalidVideo.NotFound",
        ),
    ];
    for (path, body, status, code) in cases {
        let (got_status, answer) = h.api(path, body.clone()).await;
        assert_eq!(
            (got_status, answer["Code"].as_str().unwrap()),
            (status, code),
            "{body}"
        );
        assert!(answer["Message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(answer["RequestId"].as_str().is_some());
    }
    let response = h
        .http
        .post(h.url("/api/upload-auth"))
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["Code"], "MalformedJSON");
}
