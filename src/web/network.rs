//! What the browser says of its network: `navigator.onLine` with the `online` and `offline`
//! events, and where the browser tells it (Chrome on Android), `navigator.connection.type`
//! with its `change` event. Works in a window and in a worker alike.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::EventTarget;

use super::js;
use crate::engine::Network;

#[derive(Default)]
struct Changes {
    count: Cell<u64>,
    /// One waker per pending `Changed`, so that a long upload without network events does not
    /// pile up wakers of requests long answered.
    waiters: RefCell<BTreeMap<u64, Waker>>,
    next_id: Cell<u64>,
}

/// Listens to the network events for as long as it lives.
pub struct Watch {
    changes: Rc<Changes>,
    listener: Closure<dyn FnMut()>,
    targets: Vec<(EventTarget, &'static str)>,
}

fn navigator() -> JsValue {
    js::get(&js_sys::global(), "navigator")
}

impl Watch {
    pub fn new() -> Watch {
        let changes = Rc::new(Changes::default());
        let seen = changes.clone();
        let listener = Closure::<dyn FnMut()>::new(move || {
            seen.count.set(seen.count.get() + 1);
            let waiters = std::mem::take(&mut *seen.waiters.borrow_mut());
            waiters.into_values().for_each(Waker::wake);
        });
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
            changes,
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

    /// Resolves at the next network event.
    pub fn changed(&self) -> Changed {
        let id = self.changes.next_id.get();
        self.changes.next_id.set(id + 1);
        Changed {
            changes: self.changes.clone(),
            seen: self.changes.count.get(),
            id,
        }
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

pub struct Changed {
    changes: Rc<Changes>,
    seen: u64,
    id: u64,
}

impl Future for Changed {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.changes.count.get() != self.seen {
            return Poll::Ready(());
        }
        self.changes
            .waiters
            .borrow_mut()
            .insert(self.id, cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Changed {
    fn drop(&mut self) {
        self.changes.waiters.borrow_mut().remove(&self.id);
    }
}
