//! `setTimeout` as a value: dropping it clears the timer and frees its handler, so nothing is
//! left behind in JavaScript once the engine no longer wants the time.

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::engine::Done;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, millis: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

pub struct Timer {
    id: JsValue,
    /// Kept for as long as the timer may call it; dropped with the timer.
    _handler: Closure<dyn FnMut()>,
}

impl Timer {
    pub fn new(millis: f64, fire: Done<()>) -> Timer {
        let millis = millis.clamp(0.0, i32::MAX as f64) as i32;
        let mut fire = Some(fire);
        let handler = Closure::<dyn FnMut()>::new(move || {
            if let Some(fire) = fire.take() {
                fire(())
            }
        });
        Timer {
            id: set_timeout(handler.as_ref().unchecked_ref(), millis),
            _handler: handler,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
