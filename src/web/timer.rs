//! `setTimeout` as a future; dropping it clears the timer and frees its handler, so an answered
//! request leaves nothing behind: no timer running, and no handler waiting in JavaScript for a
//! promise that never settles (which a `JsFuture` of the timer's promise would leave, one per
//! request, for the page's life).

use alloc::rc::Rc;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, millis: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// What the handler and the future share.
#[derive(Default)]
struct Fired {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

pub struct Timeout {
    id: JsValue,
    fired: Rc<Fired>,
    /// Kept for as long as the timer may call it; dropped with the timer.
    _handler: Closure<dyn FnMut()>,
}

impl Timeout {
    pub fn new(millis: u32) -> Timeout {
        let millis = millis.min(i32::MAX as u32) as i32;
        let fired = Rc::new(Fired::default());
        let shared = fired.clone();
        let handler = Closure::<dyn FnMut()>::new(move || {
            shared.done.set(true);
            if let Some(waker) = shared.waker.take() {
                waker.wake();
            }
        });
        Timeout {
            id: set_timeout(handler.as_ref().unchecked_ref(), millis),
            fired,
            _handler: handler,
        }
    }
}

impl Future for Timeout {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.done.get() {
            return Poll::Ready(());
        }
        *self.fired.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
