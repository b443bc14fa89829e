//! The driver: performs what the [`Core`] asks on a [`Platform`] and feeds the results back.
//! It holds the requests in flight (dropping one aborts it), the one timer the core wants, and
//! hashes what the platform reads; it decides nothing.

use ::core::cell::{Cell, RefCell};
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;

use super::checkpoint::Checkpoints;
use super::{AskFor, Described, Event, FileInfo, Grant, Hashed, Options, Platform, RequestId};
use super::{Core, Output};
use crate::error::{Code, UploadError};
use crate::vec_map::VecMap;

/// A handle to the uploader; clones share it.
pub struct Uploader<P: Platform> {
    inner: Rc<Driver<P>>,
}

impl<P: Platform> Clone for Uploader<P> {
    fn clone(&self) -> Self {
        Uploader {
            inner: self.inner.clone(),
        }
    }
}

struct Driver<P: Platform> {
    platform: P,
    core: RefCell<Core<P::File>>,
    checkpoints: Checkpoints,
    requests: RefCell<VecMap<RequestId, P::Sending>>,
    /// The timer set, and when it fires.
    timer: RefCell<Option<(f64, P::Timer)>>,
    /// The platform was asked to drain the events and has not yet found the queue empty.
    woken: Cell<bool>,
}

impl<P: Platform> Driver<P> {
    fn now(&self) -> f64 {
        self.platform.now_ms()
    }

    /// A callback that feeds its result to the core. It holds the uploader: work under way
    /// goes on when the page keeps no reference to its uploader, as it may.
    fn back<T: 'static>(
        self: &Rc<Self>,
        feed: impl FnOnce(&mut Core<P::File>, T, f64) + 'static,
    ) -> Box<dyn FnOnce(T)> {
        let driver = self.clone();
        Box::new(move |value| {
            let now = driver.now();
            feed(&mut driver.core.borrow_mut(), value, now);
            driver.pump();
        })
    }

    /// Performs everything the core asks, then sets its timer and has its events delivered.
    fn pump(self: &Rc<Self>) {
        loop {
            let output = self.core.borrow_mut().poll();
            let Some(output) = output else {
                break;
            };
            self.perform(output);
        }
        self.set_timer();
        if !self.core.borrow().is_running() {
            self.platform.rest();
        }
        if self.core.borrow().has_events() && !self.woken.replace(true) {
            self.platform.wake(Uploader {
                inner: self.clone(),
            });
        }
    }

    fn perform(self: &Rc<Self>, output: Output<P::File>) {
        let platform = &self.platform;
        match output {
            Output::Send { id, request, body } => {
                let answered =
                    self.back(move |core, result, now| core.handle_response(id, result, now));
                let driver = self.clone();
                let done = Box::new(move |result| {
                    driver.requests.borrow_mut().remove(&id);
                    answered(result)
                });
                let sending = platform.send(request, body, done);
                self.requests.borrow_mut().insert(id, sending);
            }
            Output::Cancel(id) => {
                self.requests.borrow_mut().remove(&id);
            }
            Output::Read {
                id,
                file,
                bytes,
                digest,
            } => {
                let done = self.back(move |core, result: Result<Hashed, _>, now| {
                    core.handle_read(id, result.ok(), now)
                });
                platform.hash(&file, bytes, digest, done);
            }
            Output::Ask { id, ask } => {
                let answer = move |core: &mut Core<P::File>, answer, now| {
                    core.handle_answer(id, answer, now)
                };
                match ask {
                    AskFor::UploadAuth(info) => platform.upload_auth(&info, self.back(answer)),
                    AskFor::Refresh(info) => platform.refresh_upload_auth(&info, self.back(answer)),
                    AskFor::StsToken => {
                        let answer = self.back(answer);
                        platform.sts_token(Box::new(move |token| answer(token.map(Grant::Sts))))
                    }
                }
            }
            Output::Release { file, bytes } => platform.release(&file, bytes),
            Output::Store { key, value } => platform.store(&key, &value),
            Output::Forget(key) => platform.forget(&key),
            Output::Warn(message) => platform.warn(message),
        }
    }

    /// Keeps one timer, for when the core next wants the time.
    fn set_timer(self: &Rc<Self>) {
        let due = self.core.borrow().poll_timeout();
        let mut timer = self.timer.borrow_mut();
        if timer.as_ref().map(|(at, _)| *at) == due {
            return;
        }
        *timer = due.map(|at| {
            let fire = self.back(move |core, (), now| core.handle_timeout(now));
            let driver = self.clone();
            let fire: Box<dyn FnOnce(())> = Box::new(move |()| {
                driver.timer.borrow_mut().take();
                fire(())
            });
            let handle = self.platform.set_timer((at - self.now()).max(0.0), fire);
            (at, handle)
        });
    }
}

impl<P: Platform> Uploader<P> {
    pub fn new(platform: P, options: Options) -> Result<Uploader<P>, UploadError> {
        let core = Core::new(
            options,
            platform.entropy().ok_or_else(|| {
                UploadError::new(
                    Code::Unsupported,
                    "this browser has no crypto.getRandomValues, which signs requests with unpredictable nonces",
                )
            })?,
            platform.can_refresh(),
            platform.network(),
            platform.now_ms(),
        )?;
        let checkpoints = Checkpoints {
            max_age_ms: core.options().checkpoint_max_age_ms,
        };
        checkpoints.clear_stale(&platform);
        let inner = Rc::new(Driver {
            platform,
            core: RefCell::new(core),
            checkpoints,
            requests: RefCell::default(),
            timer: RefCell::new(None),
            woken: Cell::new(false),
        });
        let weak = Rc::downgrade(&inner);
        inner.platform.watch_network(Box::new(move || {
            if let Some(driver) = weak.upgrade() {
                let (network, now) = (driver.platform.network(), driver.now());
                driver.core.borrow_mut().handle_network(network, now);
                driver.pump();
            }
        }));
        Ok(Uploader { inner })
    }

    /// Runs a change of the page's on the core, then performs what it asks.
    fn input<R>(&self, change: impl FnOnce(&mut Core<P::File>, f64) -> R) -> R {
        let now = self.inner.now();
        let result = change(&mut self.inner.core.borrow_mut(), now);
        self.inner.pump();
        result
    }

    /// The next event for the page, if any. The platform calls this after `wake`, holding
    /// nothing of the engine, so the page's callback may call any method of the uploader.
    pub fn poll_event(&self) -> Option<Event> {
        let event = self.inner.core.borrow_mut().poll_event();
        if event.is_none() {
            self.inner.woken.set(false);
        }
        event
    }

    /// Queues a file, or a stream named `stream` whose bytes the platform tells as they come
    /// ([`Uploader::stream`]); returns its index, which stays its name for good. A file an
    /// earlier page left half uploaded (same name, size, date and type), or a stream of the same
    /// name, comes back resumable.
    pub fn add(
        &self,
        file: P::File,
        described: Described,
        stream: Option<&str>,
    ) -> Result<usize, UploadError> {
        let sts = self.inner.core.borrow().options().sts;
        let key = match stream {
            Some(id) => super::checkpoint::stream_key(id),
            None => described.checkpoint_key(sts),
        };
        let found = self.inner.checkpoints.find(&self.inner.platform, &key);
        let mut core = self.inner.core.borrow_mut();
        match stream {
            Some(id) => core.add_stream(file, described, id, found),
            None => core.add_file(file, described, found),
        }
    }

    /// What stream `index` did; whether it is to be read further (see [`Core::wants_bytes`]).
    /// Told it has the bytes it had, the uploader just answers.
    pub fn stream(&self, index: usize, news: super::Stream) -> bool {
        self.input(|core, now| {
            core.handle_stream(index, news, now);
            core.wants_bytes(index)
        })
    }

    pub fn list_files(&self) -> Vec<FileInfo> {
        self.inner.core.borrow_mut().list_files()
    }

    pub fn is_running(&self) -> bool {
        self.inner.core.borrow().is_running()
    }

    /// A SignatureNonce, drawn as a VOD call draws it, for the tests of the browser's entropy.
    #[cfg(feature = "probes")]
    pub fn nonce(&self) -> alloc::string::String {
        self.inner.core.borrow_mut().nonce()
    }

    /// A timer is set, for the tests that check nothing is left running.
    #[cfg(feature = "probes")]
    pub fn timer_set(&self) -> bool {
        self.inner.timer.borrow().is_some()
    }

    /// Uploads every ready file and resumes stopped ones from their last completed part.
    pub fn start(&self) -> Result<(), UploadError> {
        self.input(|core, now| core.start(now))
    }

    /// Stops now: requests in flight are aborted, completed parts are kept for `start()`.
    pub fn stop(&self) {
        self.input(|core, now| core.stop(now))
    }

    /// Takes a file out of the list; an upload under way stops, and a multipart upload that
    /// is open is aborted on the server.
    pub fn delete_file(&self, index: usize) -> Result<(), UploadError> {
        self.input(|core, now| core.delete_file(index, now))
    }

    /// New credentials after `onUploadTokenExpired`: the upload goes on where it stopped, or
    /// from the start at the object new credentials name.
    pub fn resume_with_token(&self, grant: Grant) -> Result<(), UploadError> {
        self.input(|core, now| core.resume_with_token(grant, now))
    }
}
