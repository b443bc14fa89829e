//! `setTimeout` as a future; dropping it clears the timer, so an answered request leaves no
//! time-out timer running behind it.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, millis: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

pub struct Timeout {
    id: JsValue,
    fired: JsFuture,
}

impl Timeout {
    pub fn new(millis: u32) -> Timeout {
        let millis = millis.min(i32::MAX as u32) as i32;
        let mut id = JsValue::UNDEFINED;
        let promise = Promise::new(&mut |resolve, _| {
            id = set_timeout(&resolve, millis);
        });
        Timeout {
            id,
            fired: JsFuture::from(promise),
        }
    }
}

impl Future for Timeout {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.fired).poll(cx).map(|_| ())
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
