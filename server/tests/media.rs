//! What was uploaded, read back through the backend: its play info and its stored bytes.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_completed_video_is_described_and_served_with_ranges() {
    let h = Harness::start().await;
    let c = h.creds_for("clip.webm").await;
    let (status, answer) = h.api("/api/media", json!({"videoId": c.video_id})).await;
    assert_eq!(
        (status, answer["Code"].as_str()),
        (404, Some("MediaNotFound")),
        "{answer}"
    );

    let id = initiate(&h, &c).await;
    let parts = [bytes(200 * KIB, 7), bytes(5_000, 8)];
    let mut etags = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        etags.push(put_part(&h, &c, &id, i as u32 + 1, part.clone()).await);
    }
    let listed = [(1, etags[0].as_str()), (2, etags[1].as_str())];
    assert_eq!(complete(&h, &c, &id, &listed).await.status(), 200);
    let whole = parts.concat();

    let (status, answer) = h.api("/api/media", json!({"videoId": c.video_id})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["Size"], whole.len());
    assert_eq!(answer["MD5"], md5_hex(&whole));
    assert_eq!(answer["CRC64"], h.objects().await[0]["crc64"]);
    let url = answer["URL"].as_str().unwrap();
    assert_eq!(url, format!("/api/media/{}", c.video_id));

    let client = reqwest::Client::new();
    let got = client.get(h.url(url)).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), whole.as_slice());
    let range = client
        .get(h.url(url))
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206);
    assert_eq!(range.bytes().await.unwrap().as_ref(), &whole[1000..2000]);
}

#[tokio::test]
async fn an_image_is_found_by_its_image_id() {
    let h = Harness::start().await;
    let (_, answer) = h
        .api(
            "/api/upload-auth",
            json!({"kind": "image", "title": "t", "fileName": "p.png"}),
        )
        .await;
    let c = creds(&answer);
    let image = bytes(3_000, 9);
    let put = h
        .oss(&c, "PUT", "")
        .header("Content-Type", "image/png")
        .body(image.clone());
    assert_eq!(put.send().await.status(), 200);
    let image_id = answer["ImageId"].as_str().unwrap();
    let (status, info) = h.api("/api/media", json!({"imageId": image_id})).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        (info["Size"].as_u64(), info["MD5"].as_str()),
        (Some(3_000), Some(md5_hex(&image).as_str()))
    );
    let got = reqwest::get(h.url(info["URL"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().as_ref(), image.as_slice());
}

#[tokio::test]
async fn unknown_or_missing_ids_get_named_errors() {
    let h = Harness::start().await;
    let (status, answer) = h.api("/api/media", json!({})).await;
    assert_eq!((status, answer["Code"].as_str()), (400, Some("MissingId")));
    let (status, answer) = h.api("/api/media", json!({"videoId": "0123"})).await;
    assert_eq!(
        (status, answer["Code"].as_str()),
        (404, Some("MediaNotFound"))
    );
    let got = reqwest::get(h.url("/api/media/0123")).await.unwrap();
    assert_eq!(got.status(), 404);
}
