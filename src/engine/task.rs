//! The few ways the engine runs futures together: one of two (`race`), both (`both`), a
//! handful side by side (`Set`), and a future that can be cancelled from outside (`Cancel`).
//! Each is small because what it runs is small: a few transfers, `parallel` parts. A set polls
//! all of its futures on every wake-up, which costs nothing at these numbers and keeps the
//! code (and the wasm) a fraction of a general-purpose executor's.

use ::core::cell::Cell;
use ::core::future::{poll_fn, Future};
use ::core::pin::{pin, Pin};
use ::core::task::{Poll, Waker};
use alloc::rc::Rc;
use alloc::{boxed::Box, vec::Vec};

pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

pub enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Whichever of `a` and `b` ends first; the other is dropped.
pub async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(out));
        }
        b.as_mut().poll(cx).map(Either::Right)
    })
    .await
}

/// Both outputs, `a` and `b` running side by side.
pub async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            out_a = match a.as_mut().poll(cx) {
                Poll::Ready(out) => Some(out),
                Poll::Pending => None,
            };
        }
        if out_b.is_none() {
            out_b = match b.as_mut().poll(cx) {
                Poll::Ready(out) => Some(out),
                Poll::Pending => None,
            };
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Futures running side by side, each handed back as it ends.
pub struct Set<'a, T>(Vec<LocalBoxFuture<'a, T>>);

impl<'a, T> Default for Set<'a, T> {
    fn default() -> Self {
        Set(Vec::new())
    }
}

impl<'a, T> Set<'a, T> {
    pub fn push(&mut self, future: impl Future<Output = T> + 'a) {
        self.0.push(Box::pin(future));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The output of the next future to end; None when the set is empty.
    pub async fn next(&mut self) -> Option<T> {
        poll_fn(|cx| {
            if self.0.is_empty() {
                return Poll::Ready(None);
            }
            for i in 0..self.0.len() {
                if let Poll::Ready(out) = self.0[i].as_mut().poll(cx) {
                    drop(self.0.swap_remove(i));
                    return Poll::Ready(Some(out));
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// Runs `work` for every item, at most `limit` at a time, until all are done or one fails: the
/// first error drops the others, in flight or not begun.
pub async fn each_limited<I, F, E>(
    items: impl IntoIterator<Item = I>,
    limit: usize,
    work: impl Fn(I) -> F,
) -> Result<(), E>
where
    F: Future<Output = Result<(), E>>,
{
    let mut items = items.into_iter();
    let mut running = Set::default();
    loop {
        while running.len() < limit {
            match items.next() {
                Some(item) => running.push(work(item)),
                None => break,
            }
        }
        match running.next().await {
            Some(result) => result?,
            None => return Ok(()),
        }
    }
}

/// Cancels a future wrapped by [`Cancel::wrap`], from anywhere: it ends at its next poll.
#[derive(Clone, Default)]
pub struct Cancel(Rc<(Cell<bool>, Cell<Option<Waker>>)>);

impl Cancel {
    pub fn cancel(&self) {
        self.0 .0.set(true);
        if let Some(waker) = self.0 .1.take() {
            waker.wake();
        }
    }

    /// `future`'s output, or None if cancelled first; once cancelled, `future` is never polled
    /// again.
    pub async fn wrap<F: Future>(self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        poll_fn(|cx| {
            if self.0 .0.get() {
                return Poll::Ready(None);
            }
            self.0 .1.set(Some(cx.waker().clone()));
            future.as_mut().poll(cx).map(Some)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::core::task::Context;

    /// Polls `future` once with a waker that does nothing.
    fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Ready on its `n`-th poll.
    fn after(n: u32, out: u32) -> impl Future<Output = u32> {
        let mut left = n;
        poll_fn(move |_| {
            left -= 1;
            if left == 0 {
                Poll::Ready(out)
            } else {
                Poll::Pending
            }
        })
    }

    #[test]
    fn race_takes_the_first_and_both_waits_for_both() {
        let mut raced = pin!(race(after(2, 1), after(1, 2)));
        assert!(matches!(
            poll_once(raced.as_mut()),
            Poll::Ready(Either::Right(2))
        ));
        let mut joined = pin!(both(after(3, 1), after(1, 2)));
        assert!(poll_once(joined.as_mut()).is_pending());
        assert!(poll_once(joined.as_mut()).is_pending());
        assert!(matches!(poll_once(joined.as_mut()), Poll::Ready((1, 2))));
    }

    #[test]
    fn a_set_hands_back_each_output_as_it_ends() {
        let mut set = Set::default();
        set.push(after(3, 30));
        set.push(after(1, 10));
        set.push(after(2, 20));
        let mut outputs = Vec::new();
        for _ in 0..3 {
            let mut next = pin!(set.next());
            loop {
                if let Poll::Ready(out) = poll_once(next.as_mut()) {
                    outputs.push(out.unwrap());
                    break;
                }
            }
        }
        // The one ready at the first poll comes first; each is handed back once.
        assert_eq!(outputs[0], 10);
        outputs.sort();
        assert_eq!(outputs, [10, 20, 30]);
        assert!(matches!(poll_once(pin!(set.next())), Poll::Ready(None)));
    }

    #[test]
    fn each_limited_keeps_to_its_limit_and_stops_at_the_first_error() {
        let running = Rc::new(Cell::new(0));
        let most = Rc::new(Cell::new(0));
        let work = |n: u32| {
            let (running, most) = (running.clone(), most.clone());
            async move {
                running.set(running.get() + 1);
                most.set(most.get().max(running.get()));
                after(n % 3 + 1, 0).await;
                running.set(running.get() - 1);
                if n == 7 {
                    Err(n)
                } else {
                    Ok(())
                }
            }
        };
        let mut all = pin!(each_limited(0..20, 3, work));
        let result = loop {
            if let Poll::Ready(result) = poll_once(all.as_mut()) {
                break result;
            }
        };
        assert_eq!(result, Err(7));
        assert_eq!(most.get(), 3);
    }

    #[test]
    fn a_cancelled_future_is_not_polled_again() {
        let cancel = Cancel::default();
        let polls = Cell::new(0);
        let counted = poll_fn(|_| {
            polls.set(polls.get() + 1);
            Poll::<()>::Pending
        });
        let mut wrapped = pin!(cancel.clone().wrap(counted));
        assert!(poll_once(wrapped.as_mut()).is_pending());
        cancel.cancel();
        assert!(matches!(poll_once(wrapped.as_mut()), Poll::Ready(None)));
        assert_eq!(polls.get(), 1);
    }
}
