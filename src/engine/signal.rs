//! A signal that futures can wait on: each `notify` wakes every `changed()` future made before
//! it. The platforms use it to tell the engine that the network changed.

use ::core::cell::{Cell, RefCell};
use ::core::future::Future;
use ::core::pin::Pin;
use ::core::task::{Context, Poll, Waker};
use alloc::boxed::Box;
use alloc::rc::Rc;

use crate::vec_map::VecMap;

#[derive(Default)]
pub struct Signal {
    count: Cell<u64>,
    /// One waker per pending `Changed`, removed when it is dropped, so that a long upload
    /// without a change does not pile up the wakers of requests long answered.
    waiters: RefCell<VecMap<u64, Waker>>,
    next_id: Cell<u64>,
}

impl Signal {
    pub fn notify(&self) {
        self.count.set(self.count.get() + 1);
        let waiters = ::core::mem::take(&mut *self.waiters.borrow_mut());
        waiters.into_values().for_each(Waker::wake);
    }

    /// Resolves at the next `notify`.
    pub fn changed(self: &Rc<Self>) -> Changed {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        Changed {
            signal: self.clone(),
            seen: self.count.get(),
            id,
        }
    }
}

pub struct Changed {
    signal: Rc<Signal>,
    seen: u64,
    id: u64,
}

impl Future for Changed {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.count.get() != self.seen {
            return Poll::Ready(());
        }
        self.signal
            .waiters
            .borrow_mut()
            .insert(self.id, cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Changed {
    fn drop(&mut self) {
        self.signal.waiters.borrow_mut().remove(&self.id);
    }
}

/// A flag that is set once, and that futures can wait for: a file waits for its turn to send
/// its parts until the file before it has sent its last.
#[derive(Clone, Default)]
pub(super) struct Flag(Rc<(Cell<bool>, Rc<Signal>)>);

impl Flag {
    /// A flag raised from the start.
    pub fn raised_already() -> Flag {
        let flag = Flag::default();
        flag.raise();
        flag
    }

    pub fn raise(&self) {
        if !self.0 .0.replace(true) {
            self.0 .1.notify();
        }
    }

    pub fn is_raised(&self) -> bool {
        self.0 .0.get()
    }

    pub async fn raised(&self) {
        while !self.is_raised() {
            self.0 .1.changed().await;
        }
    }
}

/// Raises its flag when given, or at the latest when dropped, so the next file gets its turn
/// however this one ends; then, once, calls what it was made with (the list, to begin the file
/// after).
#[derive(Default)]
pub(super) struct Pass(Flag, Cell<Option<Box<dyn FnOnce()>>>);

impl Pass {
    /// A pass that calls `then` once it is given.
    pub fn then(then: impl FnOnce() + 'static) -> Pass {
        Pass(Flag::default(), Cell::new(Some(Box::new(then))))
    }

    pub fn give(&self) {
        self.0.raise();
        if let Some(then) = self.1.take() {
            then();
        }
    }

    /// The flag the next file waits on.
    pub fn flag(&self) -> Flag {
        self.0.clone()
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        self.give();
    }
}
