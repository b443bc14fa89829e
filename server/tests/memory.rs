//! A 200 MB multipart upload through the real `vod-local` binary: the server streams it to
//! disk, so its peak memory stays flat. Prints the figures.

mod common;
use common::*;
use futures_util::stream;
use md5::{Digest, Md5};
use std::time::Instant;

const PART: usize = 50 << 20;
const PARTS: u32 = 4;
const CHUNK: usize = 1 << 20;

/// Chunk `i` of part `part`: one random block, stamped with its place so no two chunks match.
fn chunk(block: &[u8], part: u32, i: usize) -> Vec<u8> {
    let mut c = block.to_vec();
    c[..4].copy_from_slice(&part.to_le_bytes());
    c[4..12].copy_from_slice(&(i as u64).to_le_bytes());
    c
}

/// (VmHWM, VmRSS) of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_of_200_mb_keeps_server_memory_flat() {
    let h = Harness::binary().await;
    let pid = match &h.running {
        Running::Child(child) => child.id().unwrap(),
        Running::InProcess(_) => unreachable!(),
    };
    let c = h.creds_for("big.mp4").await;
    let id = initiate(&h, &c).await;
    let (peak_before, _) = memory_kib(pid);

    let block = bytes(CHUNK, 42);
    let mut whole = Md5::new();
    let started = Instant::now();
    let mut etags = Vec::new();
    for part in 1..=PARTS {
        for i in 0..PART / CHUNK {
            whole.update(chunk(&block, part, i));
        }
        let block = block.clone();
        let body = stream::iter(
            (0..PART / CHUNK).map(move |i| Ok::<_, std::io::Error>(chunk(&block, part, i))),
        );
        let response = h
            .oss(&c, "PUT", &format!("partNumber={part}&uploadId={id}"))
            .header("Content-Length", &PART.to_string())
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await;
        assert_eq!(response.status(), 200);
        etags.push(response.headers()["etag"].to_str().unwrap().to_string());
    }
    let listed: Vec<(u32, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u32 + 1, e.as_str()))
        .collect();
    assert_eq!(complete(&h, &c, &id, &listed).await.status(), 200);
    let elapsed = started.elapsed();
    let (peak_after, rss_after) = memory_kib(pid);

    let objects = h.objects().await;
    let total = PART as u64 * PARTS as u64;
    assert_eq!(objects[0]["size"], total);
    assert_eq!(objects[0]["md5"], hex::encode(whole.finalize()));
    println!(
        "vod-local, {} MB multipart upload in {:.1} s: peak RSS {:.1} MiB before, {:.1} MiB after (growth {:.1} MiB), RSS now {:.1} MiB",
        total / 1_000_000,
        elapsed.as_secs_f64(),
        peak_before as f64 / 1024.0,
        peak_after as f64 / 1024.0,
        (peak_after - peak_before) as f64 / 1024.0,
        rss_after as f64 / 1024.0,
    );
    // Holding even one part in memory would add 50 MiB.
    assert!(
        peak_after - peak_before < 24 * 1024,
        "server memory grew by {} KiB",
        peak_after - peak_before
    );
}
