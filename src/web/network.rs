//! What the browser says of its network: `navigator.onLine` with the `online` and `offline`
//! events, and where the browser tells it (Chrome on Android), `navigator.connection.type`
//! with its `change` event. Works in a window and in a worker alike.

use alloc::rc::Rc;
use alloc::{boxed::Box, vec, vec::Vec};
use core::cell::RefCell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::EventTarget;

use super::js;
use crate::engine::Network;

/// Who is told of a change.
type Watchers = Rc<RefCell<Vec<Box<dyn Fn()>>>>;

/// Listens to the network events for as long as it lives.
pub struct Watch {
    watchers: Watchers,
    listener: Closure<dyn FnMut()>,
    targets: Vec<(EventTarget, &'static str)>,
}

fn navigator() -> JsValue {
    js::get(&js_sys::global(), "navigator")
}

impl Watch {
    pub fn new() -> Watch {
        let watchers: Watchers = Rc::default();
        let told = watchers.clone();
        let listener = Closure::<dyn FnMut()>::new(move || told.borrow().iter().for_each(|w| w()));
        let mut targets: Vec<(EventTarget, &'static str)> = vec![
            (js_sys::global().unchecked_into(), "online"),
            (js_sys::global().unchecked_into(), "offline"),
        ];
        let connection = js::get(&navigator(), "connection");
        if connection.is_object() {
            targets.push((connection.unchecked_into(), "change"));
        }
        for (target, event) in &targets {
            let _ =
                target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        Watch {
            watchers,
            listener,
            targets,
        }
    }

    pub fn now(&self) -> Network {
        let navigator = navigator();
        let connection = js::get(&navigator, "connection");
        Network {
            online: js::get(&navigator, "onLine").as_bool().unwrap_or(true),
            cellular: js::get(&connection, "type").as_string().as_deref() == Some("cellular"),
        }
    }

    /// Calls `changed` at every network event.
    pub fn watch(&self, changed: Box<dyn Fn()>) {
        self.watchers.borrow_mut().push(changed);
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        for (target, event) in &self.targets {
            let _ = target
                .remove_event_listener_with_callback(event, self.listener.as_ref().unchecked_ref());
        }
    }
}
