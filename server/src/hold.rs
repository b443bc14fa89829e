//! Requests held on purpose, set through `/_admin/hold`: chosen requests (by operation, after
//! letting some through, and how many) wait until a test releases them. A test then decides
//! when an upload is mid-way, instead of racing a stall against the machine's speed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::broken::Operation;
use crate::connection::Reset;
use crate::state::AppState;

/// One rule: requests of `operation` are held, after the first `after` of them pass; `count`
/// of them, or every one until the rules are cleared.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub operation: Operation,
    #[serde(default)]
    pub after: u64,
    pub count: Option<u64>,
}

/// What `/_admin/hold` takes: a rule or a list of them.
pub type Rules = crate::faults::OneOrMany<Rule>;

/// How many requests wait now, and how many were held in all since the rules were set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub waiting: usize,
    pub held: u64,
}

/// What becomes of a held request when it is let go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// It is handled as if it had just come.
    GoOn,
    /// Its connection is reset unhandled, as if it had never arrived: for requests whose page
    /// is gone, whose bodies may still sit whole in the socket and would otherwise be stored.
    Drop,
}

#[derive(Default)]
struct Inner {
    rules: Vec<Rule>,
    /// The held requests, oldest first, each told on release whether it goes on; a request
    /// whose client went away is dropped here and its sender reads as closed.
    waiting: VecDeque<oneshot::Sender<Release>>,
    held: u64,
}

impl Inner {
    fn counts(&self) -> Counts {
        Counts {
            waiting: self.waiting.iter().filter(|s| !s.is_closed()).count(),
            held: self.held,
        }
    }
}

#[derive(Default)]
pub struct Holds {
    inner: Mutex<Inner>,
}

impl Holds {
    /// New rules; requests already held stay held.
    pub fn set(&self, rules: Vec<Rule>) {
        let mut inner = self.inner.lock().unwrap();
        inner.rules = rules;
        inner.held = 0;
    }

    /// No rule any more, and every held request is let go as `how` says.
    pub fn clear(&self, how: Release) {
        self.inner.lock().unwrap().rules.clear();
        self.release(None, how);
    }

    /// Lets the oldest `count` held requests (all, without a count) go as `how` says; returns
    /// how many (a request whose client had gone away is not counted).
    pub fn release(&self, count: Option<usize>, how: Release) -> usize {
        let mut inner = self.inner.lock().unwrap();
        let mut released = 0;
        while count.is_none_or(|n| released < n) {
            let Some(sender) = inner.waiting.pop_front() else {
                break;
            };
            if sender.send(how).is_ok() {
                released += 1;
            }
        }
        released
    }

    pub fn counts(&self) -> Counts {
        self.inner.lock().unwrap().counts()
    }

    /// Whether a request of `operation` is held; if so, the receiver that its release sends on.
    fn hold(&self, operation: Operation) -> Option<oneshot::Receiver<Release>> {
        let mut inner = self.inner.lock().unwrap();
        let rule = inner
            .rules
            .iter_mut()
            .find(|r| r.operation == operation && r.count != Some(0))?;
        if rule.after > 0 {
            rule.after -= 1;
            return None;
        }
        if let Some(n) = rule.count.as_mut() {
            *n -= 1;
        }
        let (tx, rx) = oneshot::channel();
        inner.waiting.push_back(tx);
        inner.held += 1;
        Some(rx)
    }
}

/// Holds a request that a rule picks until it is released, before anything else sees it.
pub async fn middleware(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let operation = crate::broken::operation(&request, &state.config.bucket);
    if let Some(released) = operation.and_then(|o| state.holds.hold(o)) {
        if released.await == Ok(Release::Drop) {
            if let Some(reset) = request.extensions().get::<Reset>() {
                reset.now();
            }
            return std::future::pending().await;
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(json: &str) -> Holds {
        let holds = Holds::default();
        holds.set(serde_json::from_str::<Rules>(json).unwrap().into_vec());
        holds
    }

    #[test]
    fn lets_after_through_then_holds_count_of_that_operation_only() {
        let h = holds(r#"{"operation": "upload-part", "after": 1, "count": 2}"#);
        assert!(h.hold(Operation::Initiate).is_none());
        assert!(h.hold(Operation::UploadPart).is_none());
        let held: Vec<_> = (0..3).map(|_| h.hold(Operation::UploadPart)).collect();
        assert_eq!(
            held.iter().map(Option::is_some).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert_eq!(
            h.counts(),
            Counts {
                waiting: 2,
                held: 2
            }
        );
    }

    #[test]
    fn without_a_count_every_request_is_held_until_cleared() {
        let h = holds(r#"{"operation": "complete"}"#);
        let mut held: Vec<_> = (0..4)
            .map(|_| h.hold(Operation::Complete).unwrap())
            .collect();
        assert_eq!(h.release(Some(1), Release::GoOn), 1);
        assert_eq!(held[0].try_recv(), Ok(Release::GoOn));
        assert!(held[1].try_recv().is_err());
        h.clear(Release::Drop);
        assert!(held
            .iter_mut()
            .skip(1)
            .all(|r| r.try_recv() == Ok(Release::Drop)));
        assert!(h.hold(Operation::Complete).is_none());
    }

    #[test]
    fn a_request_whose_client_went_away_is_not_counted_or_released() {
        let h = holds(r#"{"operation": "upload-part"}"#);
        let gone = h.hold(Operation::UploadPart);
        let mut kept = h.hold(Operation::UploadPart).unwrap();
        drop(gone);
        assert_eq!(h.counts().waiting, 1);
        assert_eq!(h.release(None, Release::GoOn), 1);
        assert_eq!(kept.try_recv(), Ok(Release::GoOn));
    }

    #[test]
    fn unknown_fields_and_operations_are_refused() {
        assert!(serde_json::from_str::<Rules>(r#"{"operation": "upload-part", "ms": 5}"#).is_err());
        assert!(serde_json::from_str::<Rules>(r#"{"operation": "sleep"}"#).is_err());
    }
}
