//! The policy of one call to OSS or VOD, sans I/O: told how each try ended, it says what to do next
//! (send again, wait and retry, renew the credentials, correct the clock, or stop, and why). It
//! never sends, waits or reads a clock, so its rules are tested by stepping it; the transfer
//! performs what it says.

use crate::error::UploadError;
use crate::oss::response::Failure;

/// How one try of a call ended, as the transfer saw it.
#[derive(Debug)]
pub(super) enum Tried {
    /// It failed as `Failure` says; the error is what the page would be told.
    Failed(Failure, UploadError),
    /// No answer, because the network went away while the request was out (or the request
    /// failed while the browser was offline): no failure, and no retry used.
    NetworkGone,
}

/// Why a call stopped short.
#[derive(Debug, PartialEq)]
pub(super) enum Stop {
    /// The credentials expired and could not be renewed.
    Expired,
    /// The server no longer knows the multipart upload; `true` when an earlier try of the same
    /// call went unanswered, so that the server may have carried it out.
    Gone(UploadError, bool),
    /// Retries ran out on failures that leave it unknown whether the server carried out the
    /// call: no answer, a time-out, a 5xx, a broken answer.
    Unanswered(UploadError),
    Failed(UploadError),
}

/// What the transfer does next about the call.
#[derive(Debug, PartialEq)]
pub(super) enum Next {
    /// Send the call again, once the network may be used.
    Send,
    /// Tell the page of the failure, wait the `retries`-th backoff, then send again.
    Retry { retries: u32, error: UploadError },
    /// Renew the credentials the try was signed with, then send again.
    Renew,
    /// Take the server's time as the clock's, then send again.
    CorrectClock { server_ms: f64 },
    /// The call ends here.
    Stop(Stop),
}

/// Backoff never waits longer than this.
const MAX_BACKOFF_MS: f64 = 30_000.0;

/// How long to wait before the `retries`-th retry (counted from 1): doubling from `first_ms`,
/// at most 30 s, times a jitter from `random` in [0, 1) that spreads the retries of parallel
/// requests apart (half to all of the delay).
pub(super) fn backoff_ms(first_ms: u32, retries: u32, random: f64) -> u32 {
    let doublings = retries.saturating_sub(1).min(52);
    let delay = (first_ms as f64 * (1u64 << doublings) as f64).min(MAX_BACKOFF_MS);
    (delay * (0.5 + 0.5 * random)) as u32
}

/// One call's tries so far.
pub(super) struct Exchange {
    retry_count: u32,
    retries: u32,
    /// How many more times expired credentials may be renewed; `None`: as often as they
    /// expire (OSS's, whose renewals the transfer bounds).
    renewals_left: Option<u32>,
    /// A try ended without a definite answer: the server may have carried the call out.
    unanswered: bool,
}

impl Exchange {
    /// A call that may retry transient failures `retry_count` times.
    pub fn new(retry_count: u32) -> Exchange {
        Exchange {
            retry_count,
            retries: 0,
            renewals_left: None,
            unanswered: false,
        }
    }

    /// A call whose credentials may be renewed once: VOD's, signed with the page's STS token.
    /// A token the page renews that VOD still finds expired fails the call.
    pub fn renewing_once(retry_count: u32) -> Exchange {
        Exchange {
            renewals_left: Some(1),
            ..Exchange::new(retry_count)
        }
    }

    /// What to do after a try ended as `tried`. `skew_corrected` says whether the file's clock
    /// was corrected already: that is done once a file, the next skew being a failure.
    pub fn step(&mut self, tried: Tried, skew_corrected: &mut bool) -> Next {
        let (failure, error) = match tried {
            Tried::NetworkGone => {
                self.unanswered = true;
                return Next::Send;
            }
            Tried::Failed(failure, error) => (failure, error),
        };
        match failure {
            Failure::Expired if self.renewals_left == Some(0) => Next::Stop(Stop::Failed(error)),
            Failure::Expired => {
                self.renewals_left = self.renewals_left.map(|n| n - 1);
                Next::Renew
            }
            Failure::UploadGone => Next::Stop(Stop::Gone(error, self.unanswered)),
            Failure::Skewed { server_ms } if !*skew_corrected => {
                *skew_corrected = true;
                Next::CorrectClock { server_ms }
            }
            Failure::Transient if self.retries < self.retry_count => {
                self.unanswered = true;
                self.retries += 1;
                Next::Retry {
                    retries: self.retries,
                    error,
                }
            }
            Failure::Transient => Next::Stop(Stop::Unanswered(error)),
            Failure::Skewed { .. } | Failure::Fatal => Next::Stop(Stop::Failed(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use alloc::vec::Vec;

    fn error(code: Code) -> UploadError {
        UploadError::new(code, "m")
    }

    fn transient() -> Tried {
        Tried::Failed(Failure::Transient, error(Code::NetworkError))
    }

    fn gone() -> Tried {
        Tried::Failed(
            Failure::UploadGone,
            error(Code::Server("NoSuchUpload".into())),
        )
    }

    /// Steps a fresh call through `tries`; what it said after each.
    fn run(retry_count: u32, tries: Vec<Tried>) -> Vec<Next> {
        let mut exchange = Exchange::new(retry_count);
        let mut corrected = false;
        tries
            .into_iter()
            .map(|t| exchange.step(t, &mut corrected))
            .collect()
    }

    #[test]
    fn transient_failures_are_retried_retry_count_times_then_stop() {
        let said = run(2, [transient(), transient(), transient()].into());
        let retry = |retries| Next::Retry {
            retries,
            error: error(Code::NetworkError),
        };
        assert_eq!(
            said,
            [
                retry(1),
                retry(2),
                Next::Stop(Stop::Unanswered(error(Code::NetworkError)))
            ]
        );
        assert_eq!(
            run(0, [transient()].into()),
            [Next::Stop(Stop::Unanswered(error(Code::NetworkError)))]
        );
    }

    #[test]
    fn backoff_doubles_from_the_first_delay_up_to_30_s_with_jitter() {
        let no_jitter = |retries| backoff_ms(2000, retries, 0.999_999);
        assert_eq!(
            [1, 2, 3, 4, 5, 6, 60].map(no_jitter),
            [1999, 3999, 7999, 15999, 29999, 29999, 29999]
        );
        assert_eq!(backoff_ms(2000, 1, 0.0), 1000, "at least half");
        assert_eq!(backoff_ms(2000, 3, 0.5), 6000);
        assert_eq!(backoff_ms(0, 9, 0.7), 0);
        assert_eq!(backoff_ms(u32::MAX, u32::MAX, 0.5), 22500);
    }

    #[test]
    fn a_lost_network_uses_no_retry_however_often() {
        let mut tries: Vec<Tried> = (0..50).map(|_| Tried::NetworkGone).collect();
        tries.push(transient());
        let said = run(1, tries);
        assert!(said[..50].iter().all(|n| *n == Next::Send));
        assert!(matches!(said[50], Next::Retry { retries: 1, .. }));
    }

    #[test]
    fn expired_credentials_are_renewed_every_time_without_using_a_retry() {
        let expired = || {
            Tried::Failed(
                Failure::Expired,
                error(Code::Server("SecurityTokenExpired".into())),
            )
        };
        let said = run(0, [expired(), expired(), transient()].into());
        assert_eq!(said[..2], [Next::Renew, Next::Renew]);
        assert!(matches!(said[2], Next::Stop(Stop::Unanswered(_))));
    }

    #[test]
    fn a_call_renewing_once_fails_when_the_renewed_credentials_expire_too() {
        let expired = || {
            Tried::Failed(
                Failure::Expired,
                error(Code::Server("InvalidSecurityToken.Expired".into())),
            )
        };
        let mut exchange = Exchange::renewing_once(3);
        let mut corrected = false;
        assert_eq!(
            exchange.step(transient(), &mut corrected),
            Next::Retry {
                retries: 1,
                error: error(Code::NetworkError)
            }
        );
        assert_eq!(exchange.step(expired(), &mut corrected), Next::Renew);
        assert_eq!(
            exchange.step(expired(), &mut corrected),
            Next::Stop(Stop::Failed(error(Code::Server(
                "InvalidSecurityToken.Expired".into()
            ))))
        );
    }

    #[test]
    fn the_clock_is_corrected_once_a_file_and_a_second_skew_fails() {
        let skew = |ms| {
            Tried::Failed(
                Failure::Skewed { server_ms: ms },
                error(Code::Server("RequestTimeTooSkewed".into())),
            )
        };
        let mut corrected = false;
        let mut first = Exchange::new(3);
        assert_eq!(
            first.step(skew(5.0), &mut corrected),
            Next::CorrectClock { server_ms: 5.0 }
        );
        assert!(corrected);
        // Another call of the same file.
        let mut second = Exchange::new(3);
        assert_eq!(
            second.step(skew(6.0), &mut corrected),
            Next::Stop(Stop::Failed(error(Code::Server(
                "RequestTimeTooSkewed".into()
            ))))
        );
    }

    #[test]
    fn a_vanished_upload_says_whether_an_earlier_try_went_unanswered() {
        let no_such = error(Code::Server("NoSuchUpload".into()));
        assert_eq!(
            run(3, [gone()].into()),
            [Next::Stop(Stop::Gone(no_such.clone(), false))]
        );
        let said = run(3, [transient(), gone()].into());
        assert_eq!(said[1], Next::Stop(Stop::Gone(no_such.clone(), true)));
        let said = run(3, [Tried::NetworkGone, gone()].into());
        assert_eq!(said[1], Next::Stop(Stop::Gone(no_such, true)));
    }

    #[test]
    fn fatal_failures_stop_at_once() {
        let denied = error(Code::Server("AccessDenied".into()));
        let said = run(3, [Tried::Failed(Failure::Fatal, denied.clone())].into());
        assert_eq!(said, [Next::Stop(Stop::Failed(denied))]);
    }
}
