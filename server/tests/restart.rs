//! A server that remembers: the `vod-local` binary killed (SIGKILL) and started again on the
//! same data folder keeps its credentials, videos, open multipart uploads with every part it
//! answered 200 for, and objects; `--reset` empties it; a folder that is not its own, or a
//! database that cannot be read, is refused with a clear error.

mod common;
use common::*;

use futures_util::StreamExt;
use serde_json::json;

const KIB: usize = 1024;

/// The object's bytes, as GetObject answers them.
async fn get_object(h: &Harness, c: &Creds) -> Vec<u8> {
    let response = h.oss(c, "GET", "").send().await;
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn uploads_survive_restarts_between_parts_and_before_complete() {
    let mut h = Harness::binary().await;
    let c = h.creds_for("restarted.mp4").await;
    let id = initiate(&h, &c).await;
    let parts: Vec<Vec<u8>> = (0..3).map(|i| bytes(120 * KIB, i)).collect();
    let first = put_part(&h, &c, &id, 1, parts[0].clone()).await;
    h.kill_and_restart().await;
    let second = put_part(&h, &c, &id, 2, parts[1].clone()).await;
    let third = put_part(&h, &c, &id, 3, parts[2].clone()).await;
    h.kill_and_restart().await;
    // The credentials minted before the restarts still sign; ListParts knows every part.
    let listed = xml_of(h.oss(&c, "GET", &format!("uploadId={id}")).send().await).await;
    assert_eq!(listed.children_named("Part").count(), 3);
    let response = complete(&h, &c, &id, &[(1, &first), (2, &second), (3, &third)]).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    h.kill_and_restart().await;
    assert_eq!(get_object(&h, &c).await, parts.concat());
    // A refresh after a restart still knows the video.
    let (status, _) = h
        .api("/api/refresh-upload-auth", json!({"videoId": c.video_id}))
        .await;
    assert_eq!(status, 200);
    let uploads = h.uploads().await;
    assert_eq!(uploads[0]["state"], "completed");
    assert_eq!(uploads[0]["partRequests"], 3);
}

#[tokio::test]
async fn a_server_killed_mid_part_keeps_every_part_it_answered_for() {
    let mut h = Harness::binary().await;
    let c = h.creds_for("crash.mp4").await;
    let id = initiate(&h, &c).await;
    let acknowledged = bytes(200 * KIB, 7);
    let etag = put_part(&h, &c, &id, 1, acknowledged.clone()).await;
    // Part 2 streams as the test feeds it; the server dies once it has begun writing it.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(stream_of(rx));
    let call = h
        .oss(&c, "PUT", &format!("partNumber=2&uploadId={id}"))
        .body(body);
    let pid = match &h.running {
        Running::Child(child) => child.id().unwrap(),
        Running::InProcess(_) => unreachable!(),
    };
    let counters = h.url("/_admin/counters?bodiesBegun=2");
    let http = h.http.clone();
    let crash = async move {
        tx.send(Ok(vec![1u8; 16 * KIB])).await.unwrap();
        // The sign: the server has begun writing part 2's file, after part 1's.
        let begun = http.get(counters).send().await.unwrap();
        assert_eq!(begun.status(), 200, "the server never began writing part 2");
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        drop(tx);
    };
    let (answer, ()) = tokio::join!(call.try_send(), crash);
    assert!(answer.is_err(), "the server died before answering");
    h.kill_and_restart().await;
    let listed = xml_of(h.oss(&c, "GET", &format!("uploadId={id}")).send().await).await;
    let numbers: Vec<_> = listed
        .children_named("Part")
        .map(|p| p.text_of("PartNumber").unwrap().to_string())
        .collect();
    assert_eq!(numbers, ["1"], "only the acknowledged part is kept");
    let last = bytes(10, 8);
    let last_etag = put_part(&h, &c, &id, 2, last.clone()).await;
    let response = complete(&h, &c, &id, &[(1, &etag), (2, &last_etag)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(get_object(&h, &c).await, [acknowledged, last].concat());
    // No file of the cut-off part is left behind.
    let parts_dir = h.data.path().join("parts");
    assert_eq!(std::fs::read_dir(parts_dir).unwrap().count(), 0);
}

/// A request body fed from a channel, so that the test decides when each chunk goes.
fn stream_of(
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed()
}

#[tokio::test]
async fn reset_empties_the_data_folder() {
    let h = Harness::binary().await;
    let c = h.creds_for("gone.mp4").await;
    initiate(&h, &c).await;
    let data = h.data.path().to_path_buf();
    drop(h.running);
    let (mut child, addr) = spawn_binary(&data, "127.0.0.1:0", &["--reset"])
        .await
        .unwrap();
    let uploads: serde_json::Value = reqwest::get(format!("http://{addr}/_admin/uploads"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(uploads["uploads"], json!([]));
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_foreign_or_corrupt_data_folder_is_refused_with_a_clear_error() {
    let foreign = tempfile::tempdir().unwrap();
    std::fs::write(foreign.path().join("thesis.txt"), "mine").unwrap();
    let error = spawn_binary(foreign.path(), "127.0.0.1:0", &[])
        .await
        .unwrap_err();
    assert!(
        error.contains("not a vod-local data folder") && error.contains("--reset"),
        "{error}"
    );
    assert!(!error.contains("panicked"), "{error}");
    assert!(
        foreign.path().join("thesis.txt").exists(),
        "nothing is deleted"
    );

    let corrupt = tempfile::tempdir().unwrap();
    std::fs::write(corrupt.path().join("vod-local.redb"), vec![0x5a; 4096]).unwrap();
    let error = spawn_binary(corrupt.path(), "127.0.0.1:0", &[])
        .await
        .unwrap_err();
    assert!(
        error.contains("cannot be opened") || error.contains("corrupt"),
        "{error}"
    );
    assert!(!error.contains("panicked"), "{error}");
}
