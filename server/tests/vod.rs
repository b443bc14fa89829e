//! VOD's OpenAPI as vod-local plays it for STS mode: calls signed with the SDK's own request
//! builder and an STS token from `/api/sts-token`, and every refusal VOD gives.

mod common;
use common::*;

use serde_json::{json, Value};
use vod_upload::auth::StsToken;
use vod_upload::vod::meta::Meta;
use vod_upload::vod::request::{timestamp, Action};

async fn sts(h: &Harness, seconds: u64) -> StsToken {
    let (status, token) = h.api("/api/sts-token", json!({ "seconds": seconds })).await;
    assert_eq!(status, 200);
    let field = |name: &str| token[name].as_str().map(str::to_string);
    StsToken::new(
        field("AccessKeyId"),
        field("AccessKeySecret"),
        field("SecurityToken"),
        field("Expiration"),
    )
    .unwrap()
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64
}

/// Sends `action` signed with `token`, dated `at`, with `nonce`; (status, answer).
async fn call_at(
    h: &Harness,
    action: &Action<'_>,
    token: &StsToken,
    at: f64,
    nonce: &str,
) -> (u16, Value) {
    let request = action.build(&h.url("/vod"), token, &timestamp(at), nonce);
    let response = h.http.get(&request.url).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn call(h: &Harness, action: &Action<'_>, token: &StsToken) -> (u16, Value) {
    let nonce = format!("{:x}", fastrand_u64());
    call_at(h, action, token, now_ms(), &nonce).await
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::Instant::now())
}

fn full_meta() -> Meta {
    Meta {
        title: Some("我的 视频 *+/~(1)".into()),
        description: Some("a description".into()),
        cate_id: Some(1000),
        tags: vec!["travel".into(), "summer".into()],
        cover_url: Some("https://example.invalid/cover.png".into()),
        template_group_id: Some("tg1".into()),
        workflow_id: Some("wf1".into()),
        storage_location: Some("outin-1.storage.local".into()),
        app_id: Some("app-1".into()),
        user_data: Some(r#"{"Extend":{"k":"v"}}"#.into()),
        image_type: None,
    }
}

#[tokio::test]
async fn create_upload_video_keeps_every_field_for_get_video_info() {
    let h = Harness::start().await;
    let token = sts(&h, 3600).await;
    let meta = full_meta();
    let (status, answer) = call(
        &h,
        &Action::CreateUploadVideo {
            file_name: "trip.mp4",
            size: 10,
            meta: &meta,
        },
        &token,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let video_id = answer["VideoId"].as_str().unwrap().to_string();
    assert!(decode(&answer["UploadAddress"])["FileName"]
        .as_str()
        .unwrap()
        .ends_with("/trip.mp4"));
    assert!(decode(&answer["UploadAuth"])["AccessKeyId"]
        .as_str()
        .unwrap()
        .starts_with("STS."));
    let info = get_video_info(&h, &token, &video_id).await;
    let video = &info["Video"];
    assert_eq!(video["Title"], "我的 视频 *+/~(1)");
    assert_eq!(video["Tags"], "travel,summer");
    assert_eq!(video["CateId"], "1000");
    assert_eq!(video["UserData"], r#"{"Extend":{"k":"v"}}"#);
    for name in [
        "Description",
        "CoverURL",
        "TemplateGroupId",
        "WorkflowId",
        "StorageLocation",
        "AppId",
    ] {
        assert!(video[name].is_string(), "{name}: {video}");
    }
    let (status, refreshed) = call(
        &h,
        &Action::RefreshUploadVideo {
            video_id: &video_id,
        },
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        decode(&refreshed["UploadAddress"]),
        decode(&answer["UploadAddress"])
    );
}

async fn get_video_info(h: &Harness, token: &StsToken, video_id: &str) -> Value {
    // GetVideoInfo is not an SDK call: sign it by hand with the same functions.
    use vod_upload::vod::signature::{canonical_query, encode, sign, string_to_sign};
    let nonce = format!("{:x}", fastrand_u64());
    let stamp = timestamp(now_ms());
    let params = [
        ("Action", "GetVideoInfo"),
        ("VideoId", video_id),
        ("Format", "JSON"),
        ("Version", "2017-03-21"),
        ("AccessKeyId", token.access_key_id.as_str()),
        ("SecurityToken", token.security_token.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce.as_str()),
        ("Timestamp", stamp.as_str()),
    ];
    let query = canonical_query(&params);
    let signature = sign(&token.access_key_secret, &string_to_sign("GET", &query));
    let url = h.url(&format!("/vod/?{query}&Signature={}", encode(&signature)));
    let response = h.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn create_upload_image_answers_an_image_id_and_url() {
    let h = Harness::start().await;
    let token = sts(&h, 3600).await;
    let meta = Meta {
        image_type: Some("cover".into()),
        ..Meta::default()
    };
    let (status, answer) = call(
        &h,
        &Action::CreateUploadImage {
            extension: "png",
            meta: &meta,
        },
        &token,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["ImageId"].is_string());
    assert!(answer["ImageURL"].as_str().unwrap().ends_with(".png"));
}

#[tokio::test]
async fn refusals_come_with_vod_codes() {
    let h = Harness::start().await;
    let token = sts(&h, 3600).await;
    let meta = Meta {
        title: Some("t".into()),
        ..Meta::default()
    };
    let video = Action::CreateUploadVideo {
        file_name: "a.mp4",
        size: 1,
        meta: &meta,
    };
    let code = |answer: &Value| answer["Code"].as_str().unwrap_or_default().to_string();

    let wrong = StsToken {
        access_key_secret: "guess".into(),
        ..token.clone()
    };
    let (status, answer) = call(&h, &video, &wrong).await;
    assert_eq!(
        (status, code(&answer).as_str()),
        (400, "SignatureDoesNotMatch")
    );
    assert!(answer["RequestId"].is_string());

    let (status, _) = call_at(&h, &video, &token, now_ms(), "once").await;
    assert_eq!(status, 200);
    let (status, answer) = call_at(&h, &video, &token, now_ms(), "once").await;
    assert_eq!(
        (status, code(&answer).as_str()),
        (400, "SignatureNonceUsed")
    );

    let (status, answer) = call_at(&h, &video, &token, now_ms() - 16.0 * 60_000.0, "old").await;
    assert_eq!(
        (status, code(&answer).as_str()),
        (400, "InvalidTimeStamp.Expired")
    );

    let unknown = StsToken {
        access_key_id: "STS.nobody".into(),
        ..token.clone()
    };
    let (status, answer) = call(&h, &video, &unknown).await;
    assert_eq!(
        (status, code(&answer).as_str()),
        (404, "InvalidAccessKeyId.NotFound")
    );

    let untitled = Meta {
        title: None,
        ..Meta::default()
    };
    let (status, answer) = call(
        &h,
        &Action::CreateUploadVideo {
            file_name: "noext",
            size: 1,
            meta: &untitled,
        },
        &token,
    )
    .await;
    assert_eq!((status, code(&answer).as_str()), (400, "InvalidParameter"));

    let response = h
        .http
        .get(h.url("/vod/?Action=CreateUploadVideo"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(code(&answer), "MissingParameter");

    h.admin(reqwest::Method::POST, "expire-credentials", None)
        .await;
    let (status, answer) = call(&h, &video, &token).await;
    assert_eq!(
        (status, code(&answer).as_str()),
        (403, "InvalidSecurityToken.Expired")
    );
}

#[tokio::test]
async fn an_sts_token_reaches_no_object_in_oss() {
    let h = Harness::start().await;
    let token = sts(&h, 3600).await;
    let mut c = h.creds_for("x.mp4").await;
    c.id = token.access_key_id.clone();
    c.secret = token.access_key_secret.clone();
    c.token = token.security_token.clone();
    let (status, code, _) = error_of(h.oss(&c, "POST", "uploads").send().await).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
}
