//! `cargo xtask bench`: a 100 MB upload in headless Chromium to vod-local through the SDK, next
//! to the same slices sent with plain parallel fetch. Prints figures; asserts only success.
#![cfg(target_arch = "wasm32")]

use js_sys::{Promise, Uint8Array};
use vod_upload::VodUploader;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod harness;
use harness::*;

#[wasm_bindgen(module = "/tests/web/bench.js")]
extern "C" {
    #[wasm_bindgen(js_name = plainUpload)]
    fn plain_upload(base: &str, file: &JsValue, part_size: f64, parallel: u32) -> Promise;
    fn now() -> f64;
}

const BASE: &str = env!(
    "VOD_LOCAL_URL",
    "run the benchmark through `cargo xtask bench`"
);
const SIZE: usize = 100_000_000;
const PART: f64 = 1_048_576.0;
const PARALLEL: u32 = 5;

const ROUNDS: usize = 3;

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Uploads `file` with the SDK, as a page would, with callbacks recording every event;
/// returns the milliseconds taken.
async fn sdk_upload(file: &JsValue) -> f64 {
    let recorder = Recorder::new(BASE);
    let extra = r#"{"partSize": 1048576, "parallel": 5, "retryCount": 0, "timeout": 120000}"#;
    let up = VodUploader::new(recorder.options(&js_sys::JSON::parse(extra).unwrap())).unwrap();
    up.add_file(file.clone(), JsValue::UNDEFINED).unwrap();
    let started = now();
    up.start().unwrap();
    JsFuture::from(recorder.until("end", 1, 600_000))
        .await
        .unwrap();
    assert_eq!(recorder.count("succeed"), 1);
    now() - started
}

#[wasm_bindgen_test]
async fn upload_100_mb_sdk_next_to_plain_fetch() {
    let content = Uint8Array::new_with_length(SIZE as u32);
    for chunk in 0..SIZE / 65_536 {
        let offset = (chunk * 65_536) as u32;
        content
            .subarray(offset, offset + 65_536)
            .fill((chunk % 251) as u8, 0, 65_536);
    }
    let file = make_file(&content, "bench.mp4");

    // Alternate, so neither side gets the cold first connection or the warmer JIT.
    let mut sdk = Vec::new();
    let mut plain = Vec::new();
    for _ in 0..ROUNDS {
        plain.push(
            JsFuture::from(plain_upload(BASE, &file, PART, PARALLEL))
                .await
                .unwrap()
                .as_f64()
                .unwrap(),
        );
        sdk.push(sdk_upload(&file).await);
    }
    let (sdk_ms, plain_ms) = (median(sdk), median(plain));
    let mb = SIZE as f64 / 1e6;
    let line = format!(
        "bench: 100 MB in 1 MiB parts, 5 in flight, to vod-local, median of {ROUNDS}: SDK {:.0} ms ({:.0} MB/s), plain fetch {:.0} ms ({:.0} MB/s), SDK/plain = {:.2}",
        sdk_ms,
        mb / (sdk_ms / 1000.0),
        plain_ms,
        mb / (plain_ms / 1000.0),
        sdk_ms / plain_ms
    );
    web_sys::console::log_1(&line.into());
}

/// How fast the SDK's CRC-64 runs in this browser's wasm, on 64 MiB in 1 MiB parts.
#[wasm_bindgen_test]
fn crc64_speed() {
    let mut part: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let started = now();
    let mut crc = 0u64;
    for i in 0..64u8 {
        // A different part every time, and every CRC used: nothing for the optimizer to skip.
        part[0] = i;
        crc = crc.wrapping_add(vod_upload::crc64::checksum(&part));
    }
    let seconds = (now() - started) / 1000.0;
    web_sys::console::log_1(
        &format!(
            "CRC-64 in wasm: 64 MiB in {:.0} ms, {:.0} MB/s (crc {crc:x})",
            seconds * 1000.0,
            64.0 * 1.048576 / seconds
        )
        .into(),
    );
}
