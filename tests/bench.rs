//! `cargo xtask bench`, in the browser's wasm: the CRC-64 speed and the time to plan a
//! 10,000-part file. The uploads against the peers are tests/bench/run.mjs. Prints figures.
#![cfg(target_arch = "wasm32")]

use vod_upload::engine::plan::Plan;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/bench.js")]
extern "C" {
    fn now() -> f64;
}

/// A 48.8 TB file cut into 10,000 parts: the plan, and every part's range walked once.
#[wasm_bindgen_test]
fn plan_of_ten_thousand_parts() {
    let started = now();
    let mut total = 0;
    let rounds = 100;
    for _ in 0..rounds {
        let plan = Plan::new(10_000 * (5 << 30) - 7, 1 << 20).unwrap();
        assert_eq!(plan.count, 10_000);
        total += (1..=plan.count).map(|n| plan.len(n)).sum::<u64>();
    }
    let ms = (now() - started) / rounds as f64;
    web_sys::console::log_1(
        &format!(
            "plan of a 10,000-part file: {:.3} ms ({total} bytes planned)",
            ms
        )
        .into(),
    );
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
