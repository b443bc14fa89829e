//! One file's requests, whatever its stage: each one's place (queued, in flight, backing off,
//! waiting for renewed credentials or for an STS token), the generation of credentials those in
//! flight were signed with, and what a try that ended comes to, by its exchange.

use alloc::vec::Vec;

use super::call::{Call, State, What};
use super::exchange::{Next, Stop, Tried};
use super::ids::RequestId;
use super::output::{Out, Sink};
use super::shared::Shared;
use crate::error::UploadError;

#[derive(Default)]
pub(super) struct Requests {
    calls: Vec<Call>,
    /// Counts renewals, so that requests that met expired credentials renew them once.
    generation: u32,
    /// The clock was corrected by an OSS answer once already.
    skew_corrected: bool,
}

/// What a try that ended comes to, for the upload.
#[derive(Debug, PartialEq)]
pub(super) enum After {
    /// The request is queued again, or backs off; nothing else changes.
    Again,
    /// The request backs off after `error`; `vod`: it is a VOD call.
    Retry(UploadError, bool),
    /// The request met expired credentials of the current generation: they are to be renewed
    /// (it then waits, [`Requests::renewing`]), or the upload stops.
    Renew,
    /// The request was given up (and taken out) with `stop`.
    Stop(What, Stop),
}

impl Requests {
    /// A new request, queued.
    pub fn push(&mut self, what: What, cx: &Shared) {
        self.calls.push(Call::new(what, cx.options.retry_count));
    }

    /// Drops every request, aborting those in flight.
    pub fn clear(&mut self, out: &mut Sink) {
        for call in self.calls.drain(..) {
            if let Some(id) = call.in_flight() {
                out.push(Out::Cancel(id));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn get(&self, at: usize) -> &Call {
        &self.calls[at]
    }

    pub fn get_mut(&mut self, at: usize) -> &mut Call {
        &mut self.calls[at]
    }

    pub fn remove(&mut self, at: usize) -> Call {
        self.calls.remove(at)
    }

    /// Where request `id` is, if it is this file's and in flight.
    pub fn find(&self, id: RequestId) -> Option<usize> {
        self.calls.iter().position(|c| c.in_flight() == Some(id))
    }

    /// The requests ready to go out, in order.
    pub fn queued(&self) -> impl Iterator<Item = usize> + '_ {
        self.calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.state == State::Queued)
            .map(|(i, _)| i)
    }

    pub fn in_flight(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| c.in_flight().is_some())
            .count()
    }

    /// Request `at` went out as `id`, until the time limit.
    pub fn sent(&mut self, at: usize, id: RequestId, cx: &Shared) {
        self.calls[at].state = State::InFlight {
            id,
            deadline: cx.now + cx.options.timeout_ms as f64,
            generation: self.generation,
        };
    }

    /// A VOD call must wait for the page's STS token.
    pub fn needs_token(&mut self, at: usize) {
        self.calls[at].state = State::NeedsToken;
    }

    /// The page's STS token came (`true`) or could not be had: the calls that waited for it
    /// are queued; whether any did.
    pub fn token_came(&mut self, came: bool) -> bool {
        let mut waited = false;
        for call in &mut self.calls {
            if call.state == State::NeedsToken {
                call.state = State::Queued;
                call.token_came = came;
                waited = true;
            }
        }
        waited
    }

    /// Takes out the VOD calls.
    pub fn drop_vod(&mut self) {
        self.calls.retain(|c| !c.is_vod());
    }

    /// A request waits for renewed credentials.
    pub fn renewing(&self) -> bool {
        self.calls.iter().any(|c| c.state == State::Renewing)
    }

    /// Request `at` waits for renewed credentials.
    pub fn wait_for_renewal(&mut self, at: usize) {
        self.calls[at].state = State::Renewing;
    }

    /// Credentials were renewed: a new generation, and the requests that waited are queued.
    pub fn renewed(&mut self) {
        self.generation += 1;
        for call in &mut self.calls {
            if call.state == State::Renewing {
                call.state = State::Queued;
            }
        }
    }

    /// The first request from `at` on whose time ran out at `now`, with its id; backoffs that
    /// ended on the way are queued again.
    pub fn overdue(&mut self, at: usize, now: f64) -> Option<(usize, RequestId)> {
        for (i, call) in self.calls.iter_mut().enumerate().skip(at) {
            match call.state {
                State::Backoff { until } if until <= now => call.state = State::Queued,
                State::InFlight { id, deadline, .. } if deadline <= now => return Some((i, id)),
                _ => {}
            }
        }
        None
    }

    /// The first request in flight from `at` on, with its id.
    pub fn flying(&self, at: usize) -> Option<(usize, RequestId)> {
        let mut calls = self.calls.iter().enumerate().skip(at);
        calls.find_map(|(i, c)| Some((i, c.in_flight()?)))
    }

    /// The soonest time limit or end of a backoff.
    pub fn deadline(&self) -> Option<f64> {
        self.calls
            .iter()
            .filter_map(|c| match c.state {
                State::InFlight { deadline, .. } => Some(deadline),
                State::Backoff { until } => Some(until),
                _ => None,
            })
            .reduce(f64::min)
    }

    /// A try of request `at` ended as `tried`: its exchange says what next, and the request is
    /// put where that leaves it.
    pub fn tried(&mut self, at: usize, tried: Tried, cx: &mut Shared) -> After {
        let call = &mut self.calls[at];
        let generation = match call.state {
            State::InFlight { generation, .. } => generation,
            _ => self.generation,
        };
        let vod = call.is_vod();
        // VOD's answers carry no clock to correct by.
        let mut corrected = self.skew_corrected || vod;
        let next = call.exchange.step(tried, &mut corrected);
        if !vod {
            self.skew_corrected = corrected;
        }
        call.state = match next {
            Next::Send => State::Queued,
            Next::Retry { retries, error } => {
                call.state = State::Backoff {
                    until: cx.now + cx.backoff_ms(retries) as f64,
                };
                return After::Retry(error, vod);
            }
            Next::Renew if vod => {
                cx.sts = None;
                State::Queued
            }
            // Signed with credentials renewed since: it goes again with the new ones.
            Next::Renew if generation != self.generation => State::Queued,
            Next::Renew => return After::Renew,
            Next::CorrectClock { server_ms } => {
                cx.clock_offset_ms = server_ms - cx.now;
                State::Queued
            }
            Next::Stop(stop) => return After::Stop(self.calls.remove(at).what, stop),
        };
        After::Again
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::call::{Oss, Vod};
    use crate::engine::{Network, Options};
    use crate::error::Code;
    use crate::oss::response::Failure;

    const T0: f64 = 1_000_000.0;

    fn shared() -> Shared {
        let online = Network {
            online: true,
            cellular: false,
        };
        Shared::new(Options::default(), [1; 32], false, online, T0)
    }

    fn failed(failure: Failure) -> Tried {
        Tried::Failed(failure, UploadError::new(Code::NetworkError, "m"))
    }

    /// Requests for parts 1 and 2 and Complete, the parts sent as requests 11 and 12.
    fn three(cx: &Shared) -> Requests {
        let mut requests = Requests::default();
        for what in [Oss::Part(1), Oss::Part(2), Oss::Complete].map(What::Oss) {
            requests.push(what, cx);
        }
        requests.sent(0, RequestId(11), cx);
        requests.sent(1, RequestId(12), cx);
        requests
    }

    #[test]
    fn requests_go_out_in_order_and_run_out_of_time_one_by_one() {
        let cx = shared();
        let mut requests = three(&cx);
        assert_eq!(requests.queued().collect::<Vec<_>>(), [2]);
        assert_eq!(
            (requests.in_flight(), requests.find(RequestId(12))),
            (2, Some(1))
        );
        let limit = T0 + cx.options.timeout_ms as f64;
        assert_eq!(requests.deadline(), Some(limit));
        assert_eq!(requests.overdue(0, limit - 1.0), None);
        assert_eq!(requests.overdue(0, limit), Some((0, RequestId(11))));
        assert_eq!(requests.overdue(1, limit), Some((1, RequestId(12))));
        assert_eq!(requests.flying(1), Some((1, RequestId(12))));
        assert_eq!(requests.flying(2), None);
        // Cleared: those in flight are aborted, the queued one just goes.
        let mut out = Sink::default();
        requests.clear(&mut out);
        let cancels: Vec<_> = out.out.drain(..).collect();
        assert!(matches!(
            cancels[..],
            [Out::Cancel(RequestId(11)), Out::Cancel(RequestId(12))]
        ));
        assert_eq!(requests.len(), 0);
    }

    #[test]
    fn a_failed_try_backs_off_and_is_queued_again_when_the_backoff_ends() {
        let mut cx = shared();
        let mut requests = three(&cx);
        let after = requests.tried(0, failed(Failure::Transient), &mut cx);
        assert!(matches!(after, After::Retry(ref e, false) if e.code == Code::NetworkError));
        let until = requests.deadline().unwrap();
        assert!(until > T0 && until < T0 + cx.options.timeout_ms as f64);
        assert_eq!(requests.overdue(0, until), None);
        assert_eq!(requests.queued().collect::<Vec<_>>(), [0, 2]);
    }

    #[test]
    fn expired_credentials_are_renewed_once_for_all_requests_signed_with_them() {
        let mut cx = shared();
        let mut requests = three(&cx);
        assert_eq!(
            requests.tried(0, failed(Failure::Expired), &mut cx),
            After::Renew
        );
        requests.wait_for_renewal(0);
        assert!(requests.renewing());
        requests.renewed();
        assert!(!requests.renewing());
        // Part 2 was signed before the renewal: it goes again with the new credentials.
        assert_eq!(
            requests.tried(1, failed(Failure::Expired), &mut cx),
            After::Again
        );
        assert_eq!(requests.queued().collect::<Vec<_>>(), [0, 1, 2]);
        // Signed after it, and expired again: renewed again.
        requests.sent(0, RequestId(13), &cx);
        assert_eq!(
            requests.tried(0, failed(Failure::Expired), &mut cx),
            After::Renew
        );
    }

    #[test]
    fn the_clock_is_corrected_once_and_a_vod_call_drops_an_expired_token() {
        let mut cx = shared();
        let mut requests = three(&cx);
        let skewed = || Failure::Skewed {
            server_ms: T0 + 5_000.0,
        };
        assert_eq!(requests.tried(0, failed(skewed()), &mut cx), After::Again);
        assert_eq!(cx.clock_offset_ms, 5_000.0);
        let after = requests.tried(1, failed(skewed()), &mut cx);
        assert!(matches!(
            after,
            After::Stop(What::Oss(Oss::Part(2)), Stop::Failed(_))
        ));
        assert_eq!(requests.len(), 2);

        let mut vod = Requests::default();
        vod.push(What::Vod(Vod::Create), &cx);
        vod.sent(0, RequestId(21), &cx);
        cx.hold(crate::auth::StsToken {
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            security_token: "token".into(),
            expires_at_ms: T0 + 3_600_000.0,
        });
        assert_eq!(
            vod.tried(0, failed(Failure::Expired), &mut cx),
            After::Again
        );
        assert!(cx.sts.is_none());
    }

    #[test]
    fn calls_waiting_for_a_token_are_queued_when_it_comes_or_dropped_with_vod() {
        let cx = shared();
        let mut requests = Requests::default();
        requests.push(What::Vod(Vod::Create), &cx);
        requests.push(What::Oss(Oss::Initiate), &cx);
        assert!(!requests.token_came(true));
        requests.needs_token(0);
        assert_eq!(requests.queued().collect::<Vec<_>>(), [1]);
        assert!(requests.token_came(false));
        assert!(!requests.get(0).token_came);
        assert_eq!(requests.queued().collect::<Vec<_>>(), [0, 1]);
        requests.drop_vod();
        assert_eq!(
            (requests.len(), requests.get(0).what.clone()),
            (1, What::Oss(Oss::Initiate))
        );
    }
}
