//! The parts of a file on their way, `parallel` at a time: which go next, and each one's check
//! once both its answer and its own CRC-64 are in (damaged parts are sent again).

use alloc::string::String;
use alloc::vec::Vec;

use super::Plan;
use crate::oss::response::Stored;
use crate::vec_map::VecMap;

#[derive(Default)]
pub(super) struct Parts {
    /// The next part number to consider.
    next: u32,
    sending: VecMap<u32, Sending>,
}

/// A part on its way.
#[derive(Default)]
struct Sending {
    /// Its bytes' CRC-64, once read (`Some(None)`: not checked).
    crc: Option<Option<u64>>,
    /// What the server stored, once answered.
    stored: Option<Stored>,
    /// Times it arrived damaged and was sent again.
    damaged: u32,
}

/// What a part's check comes to.
#[derive(Debug, PartialEq)]
pub(super) enum Checked {
    /// Its answer or its CRC-64 is still to come.
    Waiting,
    /// The server's CRC-64 is not the part's: `(local, server, again)`, `again` if it may be
    /// sent again (it is then counted as sent again).
    Damaged(u64, u64, bool),
    /// Stored as sent (or not checked): its CRC-64 if read, and the ETag if the browser can read
    /// it. It is no longer on its way.
    Stored(Option<u64>, Option<String>),
}

impl Parts {
    pub fn new() -> Parts {
        Parts {
            next: 1,
            sending: VecMap::default(),
        }
    }

    /// Takes the next parts while fewer than `parallel` are on their way, skipping those `done`:
    /// their numbers, in order.
    pub fn take(&mut self, plan: Plan, parallel: usize, done: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut started = Vec::new();
        loop {
            while self.next <= plan.count && done(self.next) {
                self.next += 1;
            }
            if self.next > plan.count || self.sending.len() >= parallel {
                return started;
            }
            self.sending.insert(self.next, Sending::default());
            started.push(self.next);
            self.next += 1;
        }
    }

    /// The last part is on its way, or done (a growing stream's last part is still to come).
    pub fn passed(&self, plan: Plan) -> bool {
        self.next > plan.count && !plan.growing
    }

    /// Every part is done.
    pub fn finished(&self, plan: Plan) -> bool {
        self.passed(plan) && self.sending.is_empty()
    }

    /// Part `number`'s CRC-64 was read (`None`: it could not be, or is not checked); whether
    /// the part is on its way.
    pub fn hashed(&mut self, number: u32, crc: Option<u64>) -> bool {
        self.sending
            .get_mut(&number)
            .map(|part| part.crc = Some(crc))
            .is_some()
    }

    /// The server stored part `number`; whether the part is on its way.
    pub fn stored(&mut self, number: u32, stored: Stored) -> bool {
        self.sending
            .get_mut(&number)
            .map(|part| part.stored = Some(stored))
            .is_some()
    }

    /// Checks part `number` once both its answer and its CRC-64 are in. `server_crc` reads the
    /// server's CRC-64 from what it stored (`None` when it cannot be read); a part is sent again
    /// at most `retries` times.
    pub fn check(
        &mut self,
        number: u32,
        retries: u32,
        server_crc: impl FnOnce(Option<u64>) -> Option<u64>,
    ) -> Checked {
        let Some(part) = self.sending.get_mut(&number) else {
            return Checked::Waiting;
        };
        let Some(local) = part.crc else {
            return Checked::Waiting;
        };
        let Some(stored) = part.stored.take() else {
            return Checked::Waiting;
        };
        let server = server_crc(stored.crc64);
        if let (Some(local), Some(server)) = (local, server.filter(|s| Some(*s) != local)) {
            let again = part.damaged < retries;
            part.damaged += 1;
            return Checked::Damaged(local, server, again);
        }
        self.sending.remove(&number);
        Checked::Stored(local, stored.etag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(count: u32) -> Plan {
        let size = super::super::plan::MIN_PART_SIZE;
        Plan::new(u64::from(count) * size, size).unwrap()
    }

    fn stored(crc: Option<u64>) -> Stored {
        Stored {
            etag: Some(String::from("\"e\"")),
            crc64: crc,
        }
    }

    #[test]
    fn parts_go_parallel_at_a_time_skipping_those_done() {
        let plan = plan(5);
        let mut parts = Parts::new();
        assert_eq!(parts.take(plan, 2, |n| n == 2), [1, 3]);
        assert!(parts.take(plan, 2, |n| n == 2).is_empty());
        assert!(!parts.passed(plan));
        assert!(parts.hashed(1, Some(7)));
        assert!(parts.stored(1, stored(Some(7))));
        assert_eq!(
            parts.check(1, 3, |c| c),
            Checked::Stored(Some(7), Some("\"e\"".into()))
        );
        assert_eq!(parts.take(plan, 2, |n| n == 2), [4]);
        assert!(!parts.passed(plan));
        // Part 5 is done already: the last part is on its way.
        assert!(parts.take(plan, 3, |n| n == 2 || n == 5).is_empty());
        assert!(parts.passed(plan));
        assert!(!parts.finished(plan));
        for n in [3, 4] {
            parts.hashed(n, None);
            parts.stored(n, stored(Some(1)));
            assert_eq!(
                parts.check(n, 3, |c| c),
                Checked::Stored(None, Some("\"e\"".into()))
            );
        }
        assert!(parts.finished(plan));
    }

    #[test]
    fn a_growing_streams_whole_parts_go_and_its_last_once_it_ended() {
        let size = super::super::plan::MIN_PART_SIZE;
        let mut plan = Plan::stream(size).unwrap();
        plan.grow(2 * size + 1, false).unwrap();
        let mut parts = Parts::new();
        assert_eq!(parts.take(plan, 5, |_| false), [1, 2]);
        assert!(!parts.passed(plan), "its last part is still to come");
        plan.grow(2 * size + 1, true).unwrap();
        assert_eq!(parts.take(plan, 5, |_| false), [3]);
        assert!(parts.passed(plan));
    }

    #[test]
    fn a_part_is_checked_once_its_answer_and_its_crc_are_in() {
        let mut parts = Parts::new();
        parts.take(plan(1), 1, |_| false);
        assert_eq!(parts.check(1, 3, |c| c), Checked::Waiting);
        parts.stored(1, stored(Some(9)));
        assert_eq!(parts.check(1, 3, |c| c), Checked::Waiting);
        parts.hashed(1, Some(9));
        assert_eq!(
            parts.check(1, 3, |c| c),
            Checked::Stored(Some(9), Some("\"e\"".into()))
        );
        // Done: nothing more is known of it.
        assert!(!parts.hashed(1, Some(9)));
        assert!(!parts.stored(1, stored(None)));
        assert_eq!(parts.check(1, 3, |c| c), Checked::Waiting);
    }

    #[test]
    fn a_damaged_part_is_sent_again_as_often_as_retries_allow() {
        let mut parts = Parts::new();
        parts.take(plan(1), 1, |_| false);
        parts.hashed(1, Some(1));
        for again in [true, true, false] {
            parts.stored(1, stored(Some(2)));
            assert_eq!(parts.check(1, 2, |c| c), Checked::Damaged(1, 2, again));
        }
        // The CRC read stays; a good copy is stored.
        parts.stored(1, stored(Some(1)));
        assert_eq!(
            parts.check(1, 2, |c| c),
            Checked::Stored(Some(1), Some("\"e\"".into()))
        );
    }

    #[test]
    fn a_crc_that_cannot_be_read_on_either_side_is_not_checked() {
        let mut parts = Parts::new();
        parts.take(plan(2), 2, |_| false);
        parts.hashed(1, None);
        parts.stored(1, stored(Some(2)));
        assert_eq!(
            parts.check(1, 0, |c| c),
            Checked::Stored(None, Some("\"e\"".into()))
        );
        parts.hashed(2, Some(1));
        parts.stored(2, stored(Some(2)));
        assert_eq!(
            parts.check(2, 0, |_| None),
            Checked::Stored(Some(1), Some("\"e\"".into()))
        );
    }
}
