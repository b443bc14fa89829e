//! Whole multipart uploads and object reads, checked byte for byte.

mod common;
use common::*;
use vod_upload::oss::xml;

#[tokio::test]
async fn virtual_hosted_upload_of_a_non_ascii_key_reads_back_identical() {
    let h = Harness::start().await;
    let c = h.creds_for("My holiday — été 2024 (1).mp4").await;
    let vh =
        |method: &str, query: String| h.oss(&c, method, &query).with(|c| c.virtual_host = true);
    let doc = xml_of(
        vh("POST", "uploads".into())
            .header("Content-Type", "video/mp4")
            .send()
            .await,
    )
    .await;
    assert_eq!(doc.name, "InitiateMultipartUploadResult");
    assert_eq!(doc.text_of("Key"), Some(c.key.as_str()));
    let id = doc.text_of("UploadId").unwrap().to_string();

    let parts = [bytes(300 * KIB, 1), bytes(200 * KIB, 2), bytes(12_345, 3)];
    let mut etags = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let response = vh("PUT", format!("partNumber={}&uploadId={id}", i + 1))
            .body(part.clone())
            .send()
            .await;
        assert_eq!(response.status(), 200);
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        assert_eq!(etag, format!("\"{}\"", md5_hex(part).to_uppercase()));
        assert!(response.headers().contains_key("x-oss-hash-crc64ecma"));
        etags.push(etag);
    }
    let listed: Vec<(u32, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u32 + 1, e.as_str()))
        .collect();
    let response = vh("POST", format!("uploadId={id}"))
        .header("Content-Type", "application/xml")
        .body(complete_body(&listed))
        .send()
        .await;
    let crc = response.headers()["x-oss-hash-crc64ecma"]
        .to_str()
        .unwrap()
        .to_string();
    let doc = xml_of(response).await;
    assert_eq!(doc.name, "CompleteMultipartUploadResult");
    assert!(doc.text_of("ETag").unwrap().ends_with("-3\""));
    assert_eq!(doc.text_of("Bucket"), Some("vod-local"));

    let whole: Vec<u8> = parts.concat();
    let get = vh("GET", String::new()).send().await;
    assert_eq!(get.status(), 200);
    assert_eq!(get.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    assert_eq!(get.headers()["content-type"], "video/mp4");
    assert_eq!(get.bytes().await.unwrap().as_ref(), whole.as_slice());

    let head = vh("HEAD", String::new()).send().await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        whole.len().to_string().as_str()
    );
    assert_eq!(head.headers()["x-oss-hash-crc64ecma"], crc.as_str());

    let objects = h.objects().await;
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["key"], c.key.as_str());
    assert_eq!(objects[0]["size"], whole.len());
    assert_eq!(objects[0]["md5"], md5_hex(&whole));
    assert_eq!(objects[0]["crc64"], crc.as_str());
    // No part files are left once the object is complete.
    let leftover = std::fs::read_dir(h.data.path().join("parts"))
        .unwrap()
        .count();
    assert_eq!(leftover, 0);
}

#[tokio::test]
async fn list_parts_pages_through_every_part() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    for n in [1, 2, 3, 5, 8] {
        put_part(&h, &c, &id, n, vec![n as u8; n as usize]).await;
    }
    let mut marker = 0;
    let mut pages = Vec::new();
    loop {
        let query = format!("uploadId={id}&max-parts=2&part-number-marker={marker}");
        let doc = xml_of(h.oss(&c, "GET", &query).send().await).await;
        assert_eq!(doc.name, "ListPartsResult");
        let numbers: Vec<u32> = doc
            .children_named("Part")
            .map(|p| p.text_of("PartNumber").unwrap().parse().unwrap())
            .collect();
        for p in doc.children_named("Part") {
            let n: usize = p.text_of("PartNumber").unwrap().parse().unwrap();
            assert_eq!(p.text_of("Size").unwrap(), n.to_string());
            assert_eq!(
                p.text_of("ETag").unwrap(),
                format!("\"{}\"", md5_hex(&vec![n as u8; n]).to_uppercase())
            );
        }
        pages.push(numbers);
        if doc.text_of("IsTruncated") == Some("false") {
            break;
        }
        marker = doc
            .text_of("NextPartNumberMarker")
            .unwrap()
            .parse()
            .unwrap();
    }
    assert_eq!(pages, vec![vec![1, 2], vec![3, 5], vec![8]]);
    // The default page holds them all.
    let doc = xml_of(h.oss(&c, "GET", &format!("uploadId={id}")).send().await).await;
    assert_eq!(doc.children_named("Part").count(), 5);
    assert_eq!(doc.text_of("MaxParts"), Some("1000"));
}

#[tokio::test]
async fn same_part_number_again_replaces_the_part() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    put_part(&h, &c, &id, 1, b"first".to_vec()).await;
    let etag = put_part(&h, &c, &id, 1, b"second".to_vec()).await;
    let response = complete(&h, &c, &id, &[(1, &etag)]).await;
    assert_eq!(response.status(), 200);
    let get = h.oss(&c, "GET", "").send().await;
    assert_eq!(get.bytes().await.unwrap().as_ref(), b"second");
    let uploads = h.uploads().await;
    assert_eq!(uploads[0]["parts"][0]["received"], 2);
    assert_eq!(uploads[0]["parts"][0]["stored"], 2);
    assert_eq!(uploads[0]["state"], "completed");
}

#[tokio::test]
async fn put_object_then_delete() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let body = bytes(1000, 9);
    let put = h
        .oss(&c, "PUT", "")
        .header("Content-Type", "video/mp4")
        .header("x-oss-meta-origin", "test")
        .body(body.clone())
        .send()
        .await;
    assert_eq!(put.status(), 200);
    assert_eq!(
        put.headers()["etag"],
        format!("\"{}\"", md5_hex(&body).to_uppercase()).as_str()
    );
    let get = h.oss(&c, "GET", "").send().await;
    assert_eq!(get.headers()["x-oss-meta-origin"], "test");
    assert_eq!(get.headers()["x-oss-object-type"], "Normal");
    assert_eq!(get.bytes().await.unwrap().as_ref(), body.as_slice());
    assert_eq!(h.oss(&c, "DELETE", "").send().await.status(), 204);
    assert_eq!(h.oss(&c, "GET", "").send().await.status(), 404);
    assert!(h.objects().await.is_empty());
}

#[tokio::test]
async fn abort_removes_the_parts() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let id = initiate(&h, &c).await;
    put_part(&h, &c, &id, 1, vec![1; 1000]).await;
    assert_eq!(
        std::fs::read_dir(h.data.path().join("parts"))
            .unwrap()
            .count(),
        1
    );
    assert_eq!(abort(&h, &c, &id).await.status(), 204);
    assert_eq!(
        std::fs::read_dir(h.data.path().join("parts"))
            .unwrap()
            .count(),
        0
    );
    let open = h
        .admin(reqwest::Method::GET, "uploads?state=open", None)
        .await;
    assert!(open["uploads"].as_array().unwrap().is_empty());
    let doc = xml::parse(
        &h.oss(&c, "GET", &format!("uploadId={id}"))
            .send()
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(doc.text_of("Code"), Some("NoSuchUpload"));
}
