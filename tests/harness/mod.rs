//! Bindings to tests/web/harness.js, shared by the browser tests and the benchmark.
#![allow(dead_code)] // each test file uses its own share

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/tests/web/harness.js")]
extern "C" {
    pub type Recorder;
    #[wasm_bindgen(constructor)]
    pub fn new(base: &str) -> Recorder;
    #[wasm_bindgen(method)]
    pub fn options(this: &Recorder, extra: &JsValue) -> JsValue;
    /// Resolves once `count` events of `kind` were recorded; rejects after `ms`.
    #[wasm_bindgen(method)]
    pub fn until(this: &Recorder, kind: &str, count: u32, ms: u32) -> Promise;
    #[wasm_bindgen(method)]
    pub fn count(this: &Recorder, kind: &str) -> u32;
    /// The file names of the events of `kind`, in order.
    #[wasm_bindgen(method)]
    pub fn names(this: &Recorder, kind: &str) -> Array;
    /// The `[info, ...rest]` arguments of the events of `kind`.
    #[wasm_bindgen(method)]
    pub fn args(this: &Recorder, kind: &str) -> Array;
    /// Every event argument and the credentials handed out, as JSON text.
    #[wasm_bindgen(method, js_name = everything)]
    pub fn everything(this: &Recorder) -> String;
    #[wasm_bindgen(method, js_name = secrets)]
    pub fn secrets(this: &Recorder) -> Array;

    #[wasm_bindgen(js_name = makeFile)]
    pub fn make_file(bytes: &Uint8Array, name: &str) -> JsValue;
    pub fn api(base: &str, method: &str, path: &str, body: &JsValue) -> Promise;
    pub fn sleep(ms: u32) -> Promise;

    #[wasm_bindgen(method, getter)]
    pub fn sts(this: &Recorder) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = stsCalls)]
    pub fn sts_calls(this: &Recorder) -> u32;

    pub type Console;
    /// Records what the page's console is told from now on.
    #[wasm_bindgen(js_name = captureConsole)]
    pub fn capture_console() -> Console;
    #[wasm_bindgen(method)]
    pub fn text(this: &Console) -> String;

    pub type TimerWatch;
    /// Counts the page's timers of `low` to `high` ms, set, and set and neither fired nor
    /// cleared.
    #[wasm_bindgen(js_name = watchTimers)]
    pub fn watch_timers(low: u32, high: u32) -> TimerWatch;
    /// How many such timers were set since the watch began.
    #[wasm_bindgen(method)]
    pub fn set(this: &TimerWatch) -> u32;
    #[wasm_bindgen(method)]
    pub fn live(this: &TimerWatch) -> u32;
    #[wasm_bindgen(method)]
    pub fn restore(this: &TimerWatch);
}
