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

/// RFC 3986 percent-encoding, as the RPC signature wants it: `A-Z a-z 0-9 - _ . ~` kept, every
/// other byte of the UTF-8 as `%XX` in upper-case hex.
fn rfc3986(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A VOD call signed by hand from the published algorithm (docs/protocol.md, "VOD OpenAPI RPC
/// signature"), with neither the SDK's code nor vod-local's: `params` and the common ones,
/// percent-encoded by `encode`, sorted, `GET&%2F&` and the query encoded once more, HMAC-SHA1
/// keyed with the secret and `&`. A test hands a wrong `encode` to plant a mistake.
fn rpc_url(
    h: &Harness,
    token: &StsToken,
    params: &[(&str, &str)],
    encode: fn(&str) -> String,
) -> String {
    use base64::Engine;
    use hmac::Mac;
    let nonce = format!("{:x}", fastrand_u64());
    let stamp = timestamp(now_ms());
    let mut all = vec![
        ("Format", "JSON"),
        ("Version", "2017-03-21"),
        ("AccessKeyId", token.access_key_id.as_str()),
        ("SecurityToken", token.security_token.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce.as_str()),
        ("Timestamp", stamp.as_str()),
    ];
    all.extend_from_slice(params);
    let mut pairs: Vec<(String, String)> =
        all.iter().map(|(n, v)| (encode(n), encode(v))).collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let query = query.join("&");
    let key = format!("{}&", token.access_key_secret);
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("GET&%2F&{}", encode(&query)).as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    h.url(&format!("/vod/?{query}&Signature={}", encode(&signature)))
}

async fn get_video_info(h: &Harness, token: &StsToken, video_id: &str) -> Value {
    // GetVideoInfo is not an SDK call: signed by hand.
    let url = rpc_url(
        h,
        token,
        &[("Action", "GetVideoInfo"), ("VideoId", video_id)],
        rfc3986,
    );
    let response = h.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_call_signed_by_hand_is_taken_and_one_encoded_the_wrong_way_is_refused() {
    let h = Harness::start().await;
    let token = sts(&h, 3600).await;
    let params = [
        ("Action", "CreateUploadVideo"),
        ("Title", "a title with spaces, *stars* and ~tildes~"),
        ("FileName", "by hand.mp4"),
    ];
    let response = h
        .http
        .get(rpc_url(&h, &token, &params, rfc3986))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    // Mistakes a signer could make, each of which vod-local would have taken had it signed
    // with the same code: a space as `+`, `*` and `~` left as form-encoding leaves them, `~`
    // encoded, lower-case hex.
    fn plus(text: &str) -> String {
        rfc3986(text).replace("%20", "+")
    }
    fn stars(text: &str) -> String {
        rfc3986(text).replace("%2A", "*")
    }
    fn tildes(text: &str) -> String {
        rfc3986(text).replace('~', "%7E")
    }
    fn lower(text: &str) -> String {
        rfc3986(text).replace("%2C", "%2c")
    }
    for wrong in [plus, stars, tildes, lower] {
        let response = h
            .http
            .get(rpc_url(&h, &token, &params, wrong))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["Code"], "SignatureDoesNotMatch", "{answer}");
    }
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

    // A stream's video: its size is not known, and no FileSize is sent.
    let (status, answer) = call(
        &h,
        &Action::CreateUploadVideo {
            file_name: "live.webm",
            size: 0,
            meta: &meta,
        },
        &token,
    )
    .await;
    assert_eq!(status, 200, "{answer}");

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
