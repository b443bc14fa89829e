//! The requests in flight across every file, at most `parallel`. While one file finishes, the
//! next one is already sending; a request waits for a slot, and slots go to the file added
//! first (then first come, first served), so a file's last parts and its Complete are not held
//! up behind the parts of the file it made room for.

use ::core::cell::{Cell, RefCell};
use ::core::future::Future;
use ::core::pin::Pin;
use ::core::task::{Context, Poll, Waker};
use alloc::rc::Rc;
use alloc::vec::Vec;

pub(super) struct Slots(Rc<State>);

struct State {
    free: Cell<usize>,
    /// Ordered by priority, then by arrival.
    waiting: RefCell<Vec<Rc<Waiter>>>,
}

struct Waiter {
    priority: usize,
    waker: RefCell<Waker>,
    granted: Cell<bool>,
}

impl Slots {
    pub fn new(count: usize) -> Slots {
        Slots(Rc::new(State {
            free: Cell::new(count),
            waiting: RefCell::default(),
        }))
    }

    /// A slot for one request; `priority`: lower goes first (the file's index).
    pub fn acquire(&self, priority: usize) -> Acquire {
        Acquire {
            state: self.0.clone(),
            priority,
            waiter: None,
        }
    }
}

impl State {
    /// Hands a freed slot to the first in line, or puts it back.
    fn release(&self) {
        let next = {
            let mut waiting = self.waiting.borrow_mut();
            (!waiting.is_empty()).then(|| waiting.remove(0))
        };
        match next {
            Some(waiter) => {
                waiter.granted.set(true);
                waiter.waker.borrow().wake_by_ref();
            }
            None => self.free.set(self.free.get() + 1),
        }
    }
}

pub(super) struct Acquire {
    state: Rc<State>,
    priority: usize,
    waiter: Option<Rc<Waiter>>,
}

/// Held while a request is in flight; dropping it frees the slot.
pub(super) struct Slot(Rc<State>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl Future for Acquire {
    type Output = Slot;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Slot> {
        let state = self.state.clone();
        match &self.waiter {
            Some(waiter) if waiter.granted.get() => {
                self.waiter = None;
                return Poll::Ready(Slot(state));
            }
            Some(waiter) => {
                waiter.waker.borrow_mut().clone_from(cx.waker());
                return Poll::Pending;
            }
            None if state.free.get() > 0 => {
                state.free.set(state.free.get() - 1);
                return Poll::Ready(Slot(state));
            }
            None => {}
        }
        let waiter = Rc::new(Waiter {
            priority: self.priority,
            waker: RefCell::new(cx.waker().clone()),
            granted: Cell::new(false),
        });
        let mut waiting = state.waiting.borrow_mut();
        let at = waiting.partition_point(|w| w.priority <= self.priority);
        waiting.insert(at, waiter.clone());
        self.waiter = Some(waiter);
        Poll::Pending
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        let Some(waiter) = self.waiter.take() else {
            return;
        };
        if waiter.granted.get() {
            // Granted but never taken: the slot goes to the next in line.
            self.state.release();
        } else {
            self.state
                .waiting
                .borrow_mut()
                .retain(|w| !Rc::ptr_eq(w, &waiter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(acquire: &mut Acquire) -> Option<Slot> {
        match Pin::new(acquire).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(slot) => Some(slot),
            Poll::Pending => None,
        }
    }

    #[test]
    fn slots_go_to_the_lowest_priority_then_in_arrival_order() {
        let slots = Slots::new(1);
        let held = poll(&mut slots.acquire(5)).unwrap();
        let (mut late, mut early, mut early_second) =
            (slots.acquire(7), slots.acquire(3), slots.acquire(3));
        assert!(poll(&mut late).is_none());
        assert!(poll(&mut early).is_none());
        assert!(poll(&mut early_second).is_none());
        drop(held);
        assert!(poll(&mut late).is_none());
        let first = poll(&mut early).unwrap();
        drop(first);
        assert!(poll(&mut late).is_none());
        drop(poll(&mut early_second).unwrap());
        assert!(poll(&mut late).is_some());
    }

    #[test]
    fn a_dropped_waiter_passes_its_slot_on() {
        let slots = Slots::new(1);
        let held = poll(&mut slots.acquire(0)).unwrap();
        let (mut granted_then_dropped, mut waiting) = (slots.acquire(0), slots.acquire(1));
        assert!(poll(&mut granted_then_dropped).is_none());
        assert!(poll(&mut waiting).is_none());
        drop(held);
        drop(granted_then_dropped);
        assert!(poll(&mut waiting).is_some());
        // Freed with nobody waiting: the slot is free again.
        assert!(poll(&mut slots.acquire(9)).is_some());
    }
}
