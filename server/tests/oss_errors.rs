//! Every OSS error code vod-local answers, each provoked by a request that really earns it.

mod common;
use common::*;
use std::time::{Duration, SystemTime};

async fn expect(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> vod_upload::oss::xml::Element {
    let (got_status, got_code, doc) = error_of(response).await;
    assert_eq!((got_status, got_code.as_str()), (status, code));
    assert!(doc.text_of("Message").is_some_and(|m| !m.is_empty()));
    doc
}

#[tokio::test]
async fn signature_does_not_match_carries_the_expected_string_to_sign() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let call = h
        .oss(&c, "POST", "uploads")
        .with(|c| c.secret = "wrong".into());
    let date = call.date.clone();
    let doc = expect(call.send().await, 403, "SignatureDoesNotMatch").await;
    let expected = format!(
        "POST\n\n\n{date}\nx-oss-date:{date}\nx-oss-security-token:{}\n/vod-local/{}?uploads",
        c.token, c.key
    );
    assert_eq!(doc.text_of("StringToSign"), Some(expected.as_str()));
    assert_eq!(doc.text_of("OSSAccessKeyId"), Some(c.id.as_str()));

    // Signing a header other than the one sent is just as wrong.
    let r = h
        .oss(&c, "PUT", "")
        .header("Content-Type", "video/mp4")
        .with(|call| call.key = c.key.clone())
        .body("x")
        .send()
        .await;
    assert_eq!(r.status(), 200, "control: a correct request is accepted");
    let tampered = h
        .oss(&c, "POST", "uploads")
        .unsigned_header("x-oss-meta-a", "2");
    expect(tampered.send().await, 403, "SignatureDoesNotMatch").await;
    let unsigned_type = h
        .oss(&c, "POST", "uploads")
        .unsigned_header("Content-Type", "text/plain");
    expect(unsigned_type.send().await, 403, "SignatureDoesNotMatch").await;
}

#[tokio::test]
async fn unknown_access_key_id() {
    let h = Harness::start().await;
    let mut c = h.creds_for("a.mp4").await;
    c.id = "STS.doesnotexist".into();
    expect(
        h.oss(&c, "POST", "uploads").send().await,
        403,
        "InvalidAccessKeyId",
    )
    .await;
}

#[tokio::test]
async fn wrong_or_missing_security_token() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let wrong = h
        .oss(&c, "POST", "uploads")
        .with(|c| c.token = Some("forged".into()));
    expect(wrong.send().await, 403, "InvalidSecurityToken").await;
    let missing = h.oss(&c, "POST", "uploads").with(|c| c.token = None);
    expect(missing.send().await, 403, "InvalidSecurityToken").await;
}

#[tokio::test]
async fn expired_credentials_by_ttl_and_by_admin() {
    let h = Harness::with(|c| c.token_ttl = Duration::from_secs(1)).await;
    let c = h.creds_for("a.mp4").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    expect(
        h.oss(&c, "POST", "uploads").send().await,
        403,
        "SecurityTokenExpired",
    )
    .await;

    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let upload_id = initiate(&h, &c).await;
    let expired = h
        .admin(reqwest::Method::POST, "expire-credentials", None)
        .await;
    assert_eq!(expired["expired"], 1);
    let part = h
        .oss(&c, "PUT", &format!("partNumber=1&uploadId={upload_id}"))
        .body("x");
    expect(part.send().await, 403, "SecurityTokenExpired").await;
    // A refresh brings working credentials for the same object.
    let (_, answer) = h
        .api(
            "/api/refresh-upload-auth",
            serde_json::json!({"videoId": c.video_id}),
        )
        .await;
    let fresh = creds(&answer);
    put_part(&h, &fresh, &upload_id, 1, vec![1; 10]).await;
}

#[tokio::test]
async fn access_denied_outside_scope_or_unsigned() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let other = h.creds_for("b.mp4").await;
    let elsewhere = h
        .oss(&c, "PUT", "")
        .with(|call| call.key = other.key.clone())
        .body("x");
    expect(elsewhere.send().await, 403, "AccessDenied").await;
    let unsigned = h
        .oss(&c, "PUT", "")
        .with(|call| call.sign = false)
        .body("x");
    expect(unsigned.send().await, 403, "AccessDenied").await;
    assert!(h.objects().await.is_empty());
}

#[tokio::test]
async fn request_time_too_skewed_tells_server_time() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    for offset in [-16 * 60i64, 16 * 60] {
        let when = if offset < 0 {
            SystemTime::now() - Duration::from_secs(offset.unsigned_abs())
        } else {
            SystemTime::now() + Duration::from_secs(offset as u64)
        };
        let call = h
            .oss(&c, "POST", "uploads")
            .with(|c| c.date = httpdate::fmt_http_date(when));
        let doc = expect(call.send().await, 403, "RequestTimeTooSkewed").await;
        let server_time = humantime::parse_rfc3339(doc.text_of("ServerTime").unwrap()).unwrap();
        let off = SystemTime::now()
            .duration_since(server_time)
            .unwrap_or_default();
        assert!(off < Duration::from_secs(5));
    }
    // 14 minutes off is still accepted.
    let call = h.oss(&c, "POST", "uploads").with(|c| {
        c.date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(14 * 60))
    });
    assert_eq!(call.send().await.status(), 200);
}

#[tokio::test]
async fn invalid_digest_for_wrong_or_malformed_content_md5() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let upload_id = initiate(&h, &c).await;
    let query = format!("partNumber=1&uploadId={upload_id}");
    // Content-MD5 of "0123456789", sent with other bytes.
    let wrong = h
        .oss(&c, "PUT", &query)
        .header("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw==")
        .body("9876543210");
    expect(wrong.send().await, 400, "InvalidDigest").await;
    let malformed = h
        .oss(&c, "PUT", &query)
        .header("Content-MD5", "not-base64!")
        .body("x");
    expect(malformed.send().await, 400, "InvalidDigest").await;
    let right = h
        .oss(&c, "PUT", &query)
        .header("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw==")
        .body("0123456789");
    let response = right.send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["etag"],
        "\"781E5E245D69B566979B86E28D23F2C7\""
    );
    let same_for_put = h
        .oss(&c, "PUT", "")
        .header("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw==")
        .body("x");
    expect(same_for_put.send().await, 400, "InvalidDigest").await;
    assert!(h.objects().await.is_empty());
}

#[tokio::test]
async fn no_such_upload_for_unknown_completed_or_aborted_ids() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let part = |id: &str| {
        h.oss(&c, "PUT", &format!("partNumber=1&uploadId={id}"))
            .body("x")
    };
    expect(part("NOTANUPLOAD").send().await, 404, "NoSuchUpload").await;
    expect(
        h.oss(&c, "DELETE", "uploadId=NOTANUPLOAD").send().await,
        404,
        "NoSuchUpload",
    )
    .await;
    expect(
        h.oss(&c, "GET", "uploadId=NOTANUPLOAD").send().await,
        404,
        "NoSuchUpload",
    )
    .await;

    let id = initiate(&h, &c).await;
    assert_eq!(abort(&h, &c, &id).await.status(), 204);
    expect(part(&id).send().await, 404, "NoSuchUpload").await;
    expect(
        complete(&h, &c, &id, &[(1, "\"X\"")]).await,
        404,
        "NoSuchUpload",
    )
    .await;

    let id = initiate(&h, &c).await;
    let etag = put_part(&h, &c, &id, 1, vec![7; 5]).await;
    assert_eq!(complete(&h, &c, &id, &[(1, &etag)]).await.status(), 200);
    expect(part(&id).send().await, 404, "NoSuchUpload").await;
}

#[tokio::test]
async fn complete_checks_parts() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    let e1 = put_part(&h, &c, &id, 1, bytes(100 * KIB, 1)).await;
    let e2 = put_part(&h, &c, &id, 2, bytes(100 * KIB - 1, 2)).await;
    let e3 = put_part(&h, &c, &id, 3, bytes(10, 3)).await;

    expect(
        complete(&h, &c, &id, &[(2, &e2), (1, &e1)]).await,
        400,
        "InvalidPartOrder",
    )
    .await;
    expect(
        complete(&h, &c, &id, &[(1, &e1), (1, &e1)]).await,
        400,
        "InvalidPartOrder",
    )
    .await;
    expect(complete(&h, &c, &id, &[(1, &e2)]).await, 400, "InvalidPart").await;
    expect(
        complete(&h, &c, &id, &[(1, &e1), (4, &e3)]).await,
        400,
        "InvalidPart",
    )
    .await;
    let small = expect(
        complete(&h, &c, &id, &[(1, &e1), (2, &e2), (3, &e3)]).await,
        400,
        "EntityTooSmall",
    )
    .await;
    assert_eq!(small.text_of("PartNumber"), Some("2"));
    let malformed = h
        .oss(&c, "POST", &format!("uploadId={id}"))
        .body("<CompleteMultipartUpload><Part>");
    expect(malformed.send().await, 400, "MalformedXML").await;
    expect(complete(&h, &c, &id, &[]).await, 400, "MalformedXML").await;

    // A part of exactly 100 KiB followed by a small last part is fine; ETags match without
    // quotes and in any case.
    let e1_bare = e1.trim_matches('"').to_lowercase();
    let response = complete(&h, &c, &id, &[(1, &e1_bare), (3, &e3)]).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn invalid_argument_for_bad_part_numbers_and_paging() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    for number in ["0", "10001", "-1", "x"] {
        let call = h
            .oss(&c, "PUT", &format!("partNumber={number}&uploadId={id}"))
            .body("x");
        let doc = expect(call.send().await, 400, "InvalidArgument").await;
        assert_eq!(doc.text_of("ArgumentName"), Some("partNumber"));
    }
    put_part(&h, &c, &id, 10000, vec![1]).await;
    for query in ["max-parts=0", "max-parts=1001", "part-number-marker=x"] {
        let call = h.oss(&c, "GET", &format!("uploadId={id}&{query}"));
        expect(call.send().await, 400, "InvalidArgument").await;
    }
    let lone = h.oss(&c, "PUT", "partNumber=1").body("x");
    expect(lone.send().await, 400, "InvalidArgument").await;
}

#[tokio::test]
async fn no_such_key_and_no_such_bucket() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    expect(h.oss(&c, "GET", "").send().await, 404, "NoSuchKey").await;
    let mut elsewhere = c.clone();
    elsewhere.bucket = "other".into();
    let call = h.oss(&elsewhere, "GET", "").with(|c| c.virtual_host = true);
    expect(call.send().await, 404, "NoSuchBucket").await;
}
