//! What the list and every transfer share: the platform, the options, the clock offset learnt
//! from the server, and the queue of events for the page.

use ::core::cell::{Cell, OnceCell, RefCell};
use alloc::collections::VecDeque;
use alloc::{boxed::Box, string::String};

use super::checkpoint::Checkpoints;
use super::file::Wait;
use super::slots::Slots;
use super::{Event, Options, Platform};
use crate::auth::StsToken;

pub(super) struct Core<P: Platform> {
    pub platform: P,
    pub options: Options,
    /// Server time minus local time, learnt from `RequestTimeTooSkewed`.
    pub clock_offset_ms: Cell<f64>,
    /// Events for the page, each naming its file by index.
    queue: RefCell<VecDeque<Event<usize>>>,
    /// Asks the platform to drain the queue; set once the uploader exists.
    pub wake: OnceCell<Box<dyn Fn()>>,
    pub checkpoints: Checkpoints,
    /// The page's STS token, in STS mode, once asked for.
    pub sts_token: RefCell<Option<StsToken>>,
    /// One `getSTSToken` at a time: files prepared side by side share its answer.
    pub sts_asking: Slots,
    /// The page was told that the CRC-64 header cannot be read.
    pub crc_warned: Cell<bool>,
    /// Bounds the requests in flight across all files.
    pub slots: Slots,
}

impl<P: Platform> Core<P> {
    pub fn new(platform: P, options: Options) -> Core<P> {
        Core {
            checkpoints: Checkpoints {
                max_age_ms: options.checkpoint_max_age_ms,
            },
            slots: Slots::new(options.parallel),
            platform,
            options,
            clock_offset_ms: Cell::new(0.0),
            queue: RefCell::default(),
            wake: OnceCell::new(),
            sts_token: RefCell::new(None),
            sts_asking: Slots::new(1),
            crc_warned: Cell::new(false),
        }
    }

    pub fn notify(&self, event: Event<usize>) {
        let was_empty = {
            let mut queue = self.queue.borrow_mut();
            queue.push_back(event);
            queue.len() == 1
        };
        // A drain already asked for will find this event too.
        if was_empty {
            if let Some(wake) = self.wake.get() {
                wake();
            }
        }
    }

    pub fn pop(&self) -> Option<Event<usize>> {
        self.queue.borrow_mut().pop_front()
    }

    /// Now on the server's clock, as far as the SDK knows it.
    pub fn server_now_ms(&self) -> f64 {
        self.platform.now_ms() + self.clock_offset_ms.get()
    }

    /// The date a request is signed with (RFC 1123, the clock as corrected).
    pub fn http_date(&self) -> String {
        let ms = self.server_now_ms().max(0.0) as u64;
        crate::date::http_date(ms)
    }

    /// How long to wait before the `retries`-th retry, with this platform's jitter.
    pub fn backoff_ms(&self, retries: u32) -> u32 {
        super::exchange::backoff_ms(
            self.options.retry_duration_ms,
            retries,
            self.platform.random(),
        )
    }

    /// Why uploads must wait now, if they must.
    pub fn wait_reason(&self) -> Option<Wait> {
        let network = self.platform.network();
        if !network.online {
            Some(Wait::Offline)
        } else if network.cellular && self.options.pause_on_cellular {
            Some(Wait::Cellular)
        } else {
            None
        }
    }
}
