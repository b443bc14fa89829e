//! Uploading one file: credentials from the page, then a file of one part in a single
//! PutObject, a larger one with Initiate (or ListParts to learn what the server already has),
//! the parts `parallel` at a time, Complete. Every call goes through
//! [`Transfer::send`]: dating and signing, time-out, waiting out a lost network, retries with
//! backoff, clock-skew correction, and renewing expired credentials. Alongside the calls,
//! [`Transfer::keep_fresh`] renews the credentials ahead of their expiry.
//!
//! A transfer owns its file's upload and hands the result back as an [`Outcome`]. It is
//! cancelled by dropping it: every request in flight is dropped with it, which aborts it.

use ::core::cell::Cell;
use ::core::ops::Range;
use ::core::pin::pin;
use alloc::rc::Rc;
use alloc::{boxed::Box, format, string::String, string::ToString, vec::Vec};

use super::checkpoint::Checkpoint;
use super::core::Core;
use super::exchange::{Exchange, Next, Stop, Tried};
use super::file::{Activity, FileInfo, Live, OpenUpload, Session, Wait};
use super::signal::{Flag, Pass};
use super::slots::Slots;
use super::source::{self, Unavailable};
use super::task::{both, each_limited, race, Either};
use super::{Credentials, Event, Grant, Plan, Platform};
use crate::auth::{UploadAddress, UploadAuth};
use crate::crc64::{self, Crc64};
use crate::error::{Code, UploadError};
use crate::oss::request::{Call, Request};
use crate::oss::response::{self, classify, Failure, Response, Stored};
use crate::vod::meta::Meta;

/// What a transfer needs to know of its file.
pub(super) struct Job<P: Platform> {
    pub index: usize,
    pub file: P::File,
    pub plan: Plan,
    pub content_type: String,
    pub live: Rc<Live>,
    /// The file as the page sees it now, for `getUploadAuth` and `refreshUploadAuth`.
    pub info: Box<dyn Fn() -> Option<FileInfo>>,
    /// An earlier page's upload of this file, to go on with.
    pub resume: Option<Checkpoint>,
    /// Where the file's checkpoint is kept, when checkpoints are on.
    pub checkpoint_key: Option<String>,
    pub name: String,
    pub size: u64,
    pub meta: Meta,
    /// For an image: its extension.
    pub image: Option<String>,
    /// Raised when the file before has sent its last part: until then this file only prepares.
    pub turn: Flag,
    /// This file's last part is under way: the next file's turn. Raised at the latest when the
    /// job is dropped.
    pub pass: Pass,
}

pub(super) enum Outcome {
    Succeeded(Credentials),
    /// Failed for good. The session, if credentials were had: its multipart upload, if one
    /// is open, is to be aborted.
    Failed(UploadError, Option<Session>),
    /// The credentials expired and could not be renewed; no session if the STS token failed
    /// before any credentials came.
    Expired(Option<Session>),
}

/// How a request ended, next to its time limit and the network.
enum Raced<T> {
    Answer(T),
    TimedOut,
    /// The network went away while the request was out.
    NetworkLost,
}

struct Transfer<'a, P: Platform> {
    core: &'a Core<P>,
    job: &'a Job<P>,
    skew_corrected: Cell<bool>,
    /// Counts renewals, so that requests that met expired credentials renew them once.
    generation: Cell<u32>,
    /// One renewal at a time.
    renewing: Slots,
}

pub(super) async fn upload<P: Platform>(core: &Core<P>, job: &Job<P>) -> Outcome {
    Transfer {
        core,
        job,
        skew_corrected: Cell::new(false),
        generation: Cell::new(0),
        renewing: Slots::new(1),
    }
    .run()
    .await
}

/// Best effort: aborts a multipart upload that can no longer be resumed.
pub(super) async fn abort<P: Platform>(core: &Core<P>, credentials: &Credentials, upload_id: &str) {
    let _slot = core.slots.acquire(0).await;
    let request =
        Call::Abort { upload_id }.build(&credentials.address, &credentials.auth, &core.http_date());
    let _ = core.platform.send(request, None).await;
}

fn wait_error(wait: Wait) -> UploadError {
    match wait {
        Wait::Offline => UploadError::new(
            Code::NetworkOffline,
            "the browser is offline; the upload goes on when the network is back",
        ),
        Wait::Cellular => UploadError::new(
            Code::CellularNetwork,
            "the connection is cellular and pauseOnCellular is set; the upload goes on over Wi-Fi or ethernet",
        ),
    }
}

impl<P: Platform> Transfer<'_, P> {
    /// The file's session; it exists from the moment credentials came until the end.
    fn session<R>(&self, use_it: impl FnOnce(&mut Session) -> R) -> R {
        let mut session = self.job.live.session.borrow_mut();
        use_it(session.as_mut().expect("a transfer has its session"))
    }

    fn take_session(&self) -> Session {
        self.job
            .live
            .session
            .borrow_mut()
            .take()
            .expect("a transfer has its session")
    }

    fn notify(&self, event: impl FnOnce(usize) -> Event<usize>) {
        self.core.notify(event(self.job.index));
    }

    fn info(&self) -> FileInfo {
        (self.job.info)().expect("a file under way is in the list")
    }

    async fn run(&self) -> Outcome {
        // A verified resume has just listed the server's parts: the first attempt need not.
        let mut listed = match &self.job.resume {
            Some(checkpoint) => self.resume(checkpoint).await,
            None => false,
        };
        while self.job.live.session.borrow().is_none() {
            self.network_ready().await;
            match source::allocate(self.core, &self.info(), &self.described()).await {
                Ok(credentials) => {
                    let now = self.core.platform.now_ms();
                    *self.job.live.session.borrow_mut() = Some(Session::new(credentials, now));
                }
                Err(Unavailable::NoToken) => return Outcome::Expired(None),
                // The request failed because the network went: wait and ask again.
                Err(_) if self.core.wait_reason().is_some() => {}
                Err(Unavailable::Failed(error)) => return Outcome::Failed(error, None),
            }
        }
        let mut restarted = false;
        loop {
            let result = {
                let work = pin!(self.attempt(::core::mem::take(&mut listed)));
                let fresh = pin!(self.keep_fresh());
                match race(work, fresh).await {
                    Either::Left(result) => result,
                    Either::Right(stop) => Err(stop),
                }
            };
            return match result {
                Ok(()) => Outcome::Succeeded(self.take_session().credentials),
                Err(Stop::Expired) => Outcome::Expired(Some(self.take_session())),
                Err(Stop::Failed(error) | Stop::Unanswered(error)) => {
                    Outcome::Failed(error, Some(self.take_session()))
                }
                Err(Stop::Moved) => continue,
                Err(Stop::Gone(error, _)) => {
                    // Start the file over, once; what was reported stays reported.
                    self.session(|s| s.upload = None);
                    if restarted {
                        Outcome::Failed(error, Some(self.take_session()))
                    } else {
                        restarted = true;
                        continue;
                    }
                }
            };
        }
    }

    /// One try at the whole upload; `listed`: the session's parts are what the server holds.
    async fn attempt(&self, listed: bool) -> Result<(), Stop> {
        let existing = self.session(|s| s.upload.as_ref().map(|u| u.id.clone()));
        if existing.is_none() && self.job.plan.count == 1 {
            return self.put().await;
        }
        let upload_id = match existing {
            Some(id) => {
                if !listed {
                    self.sync_parts(&id).await?;
                }
                id
            }
            None => {
                let call = Call::Initiate {
                    content_type: &self.job.content_type,
                };
                let id = self.send(&call, None, response::upload_id).await?;
                self.session(|s| s.upload = Some(OpenUpload::new(id.clone())));
                self.save_checkpoint();
                id
            }
        };
        self.job.turn.raised().await;
        let plan = self.job.plan;
        let todo: Vec<u32> = self.session(|s| {
            let done = &s.upload.as_ref().expect("opened above").parts;
            (1..=plan.count).filter(|n| !done.contains_key(n)).collect()
        });
        let last = todo.last().copied();
        if last.is_none() {
            self.job.pass.give();
        }
        // The first error drops every part in flight.
        each_limited(todo, self.core.options.parallel, |number| {
            if Some(number) == last {
                self.job.pass.give();
            }
            self.part(&upload_id, number)
        })
        .await?;
        let (listed, bucket, key) = self.session(|s| {
            let done = &s.upload.as_ref().expect("opened above").parts;
            let listed: Vec<(u32, String)> =
                done.iter().map(|(n, etag)| (*n, etag.clone())).collect();
            let address = &s.credentials.address;
            (listed, address.bucket.clone(), address.file_name.clone())
        });
        let call = Call::Complete {
            upload_id: &upload_id,
            parts: &listed,
        };
        let completed = self
            .send(&call, None, |answer| {
                response::completed(answer, &bucket, &key)
            })
            .await;
        let server = match completed {
            Ok(crc) => self.server_crc(crc),
            // The answer was lost or broken, and the server may have completed the object.
            Err(stop @ (Stop::Unanswered(_) | Stop::Gone(_, true))) => {
                return self.confirm(stop).await
            }
            Err(stop) => return Err(stop),
        };
        if let (Some(server), true) = (server, self.core.options.check_crc64) {
            if let Some(local) = self.object_crc().await.filter(|local| *local != server) {
                return Err(Stop::Failed(UploadError::new(
                    Code::Crc64Mismatch,
                    format!("the object on the server is not the file: its CRC-64 is {server}, the file's {local}"),
                )));
            }
        }
        Ok(())
    }

    /// After Complete's answer was lost or broken: the upload succeeded only if the server
    /// holds the object and it is the file, by size and CRC-64. Otherwise it stops as Complete
    /// last did: failed when retries ran out, started over when the upload is gone.
    async fn confirm(&self, complete: Stop) -> Result<(), Stop> {
        let otherwise = match complete {
            Stop::Gone(error, _) => Stop::Gone(error, false),
            stop => stop,
        };
        let (size, server) = match self.send(&Call::Head, None, response::head).await {
            Ok(found) => found,
            Err(stop @ (Stop::Expired | Stop::Moved)) => return Err(stop),
            Err(_) => return Err(otherwise),
        };
        let (Some(server), Some(local)) = (server, self.object_crc().await) else {
            return Err(otherwise);
        };
        if (size, server) != (self.job.size, local) {
            return Err(Stop::Failed(UploadError::new(
                Code::Crc64Mismatch,
                format!(
                    "Complete's answer was lost, and the object on the server is not the file: {size} bytes with CRC-64 {server}, the file's {} with {local}",
                    self.job.size
                ),
            )));
        }
        Ok(())
    }

    /// Takes the server's list of parts as the truth about what is done, so a resumed upload
    /// sends only what the server does not have.
    async fn sync_parts(&self, upload_id: &str) -> Result<(), Stop> {
        let mut listed = Vec::new();
        let mut marker = 0;
        loop {
            let call = Call::ListParts { upload_id, marker };
            let (parts, next) = self.send(&call, None, response::list_parts).await?;
            listed.extend(parts);
            match next {
                Some(next) if next > marker => marker = next,
                _ => break,
            }
        }
        let plan = self.job.plan;
        self.session(|s| {
            // The CRCs checked on this page still hold for the parts the server lists as sent.
            let previous = s.upload.take().filter(|u| u.id == upload_id);
            let mut upload = OpenUpload::new(upload_id.to_string());
            for part in listed {
                if (1..=plan.count).contains(&part.number) && part.size == plan.len(part.number) {
                    let known = previous
                        .as_ref()
                        .filter(|p| p.parts.get(&part.number) == Some(&part.etag));
                    if let Some(crc) = known.and_then(|p| p.crcs.get(&part.number)) {
                        upload.crcs.insert(part.number, *crc);
                    }
                    upload.loaded += part.size;
                    upload.parts.insert(part.number, part.etag);
                }
            }
            s.upload = Some(upload);
        });
        Ok(())
    }

    /// A file of one part, in one request; nothing to resume, so no checkpoint.
    async fn put(&self) -> Result<(), Stop> {
        self.job.turn.raised().await;
        self.job.pass.give();
        let call = Call::Put {
            content_type: &self.job.content_type,
        };
        self.send_checked(&call, 1).await?;
        self.notify(Event::Progress);
        Ok(())
    }

    async fn part(&self, upload_id: &str, number: u32) -> Result<(), Stop> {
        let call = Call::UploadPart {
            upload_id,
            part_number: number,
        };
        let (stored, local) = self.send_checked(&call, number).await?;
        let Some(etag) = stored.etag else {
            return Err(Stop::Failed(UploadError::new(
                Code::CorsEtagNotExposed,
                "the part was uploaded but its ETag header cannot be read: the bucket's CORS rule must expose ETag (ExposeHeader: ETag)",
            )));
        };
        self.session(|s| {
            let upload = s.upload.as_mut().expect("parts go to an open upload");
            if let Some(crc) = local {
                upload.crcs.insert(number, crc);
            }
            if upload.parts.insert(number, etag).is_none() {
                upload.loaded += self.job.plan.len(number);
            }
        });
        self.save_checkpoint();
        self.notify(Event::Progress);
        Ok(())
    }

    /// Sends `call` with part `number`'s bytes and checks what the server stored against the
    /// file: bytes damaged on the way are sent again. Returns what the server stored and the
    /// bytes' CRC-64.
    async fn send_checked(
        &self,
        call: &Call<'_>,
        number: u32,
    ) -> Result<(Stored, Option<u64>), Stop> {
        let bytes = self.job.plan.part(number);
        let mut damaged = 0;
        loop {
            // The part is hashed while it is on the wire; its body is still the file's slice.
            let accept = |answer: &Response| response::stored(answer, call.name());
            let (stored, local) = both(
                self.send(call, Some(bytes.clone()), accept),
                self.hash(number),
            )
            .await;
            let stored = stored?;
            match (local, self.server_crc(stored.crc64)) {
                (Some(local), Some(server)) if local != server => {
                    let error = UploadError::new(
                        Code::Crc64Mismatch,
                        format!("part {number} of {} arrived damaged: its CRC-64 is {local}, the server's {server}", self.job.plan.count),
                    );
                    if damaged >= self.core.options.retry_count {
                        return Err(Stop::Failed(error));
                    }
                    damaged += 1;
                    self.job.live.activity.set(Activity::Retrying);
                    self.notify(|i| Event::Retry(i, error));
                }
                _ => return Ok((stored, local)),
            }
        }
    }

    /// The CRC-64 of a part's bytes, read from the file, when checks are on; a file that cannot
    /// be read leaves the part unchecked.
    async fn hash(&self, number: u32) -> Option<u64> {
        if !self.core.options.check_crc64 {
            return None;
        }
        self.read_crc(number).await
    }

    /// The CRC-64 of a part's bytes, read from the file; `None` if it cannot be read.
    async fn read_crc(&self, number: u32) -> Option<u64> {
        let mut crc = Crc64::default();
        self.core
            .platform
            .read(&self.job.file, self.job.plan.part(number), &mut |piece| {
                crc.update(piece)
            })
            .await
            .ok()?;
        Some(crc.finish())
    }

    /// The server's CRC-64 of what it stored; when the browser cannot read it, the page is told
    /// once which CORS rule to add, and the check is skipped.
    fn server_crc(&self, crc: Option<u64>) -> Option<u64> {
        if crc.is_none() && self.core.options.check_crc64 && !self.core.crc_warned.replace(true) {
            self.core.platform.warn(
                "vod-upload: the x-oss-hash-crc64ecma header cannot be read, so parts are not checked for damage; add it to the bucket's CORS rule (ExposeHeader: x-oss-hash-crc64ecma)",
            );
        }
        crc
    }

    /// The whole object's CRC-64, combined from its parts' (those the server held before this
    /// page are hashed from the file first, one at a time).
    async fn object_crc(&self) -> Option<u64> {
        let plan = self.job.plan;
        let mut whole = crc64::checksum(&[]);
        for number in 1..=plan.count {
            let known = self.session(|s| s.upload.as_ref()?.crcs.get(&number).copied());
            let crc = match known {
                Some(crc) => crc,
                None => self.read_crc(number).await?,
            };
            whole = crc64::combine(whole, crc, plan.len(number));
        }
        Some(whole)
    }

    /// Returns once the network may be used, waiting as long as it takes. The file shows as
    /// waiting meanwhile; the page hears of the change once each way.
    async fn network_ready(&self) {
        let live = &self.job.live;
        while let Some(wait) = self.core.wait_reason() {
            if !matches!(live.activity.get(), Activity::Waiting(_)) {
                live.activity.set(Activity::Waiting(wait));
                self.notify(|i| Event::Retry(i, wait_error(wait)));
            }
            self.core.platform.network_changed().await;
        }
        if matches!(live.activity.get(), Activity::Waiting(_)) {
            live.activity.set(Activity::Sending);
            self.notify(Event::RetryResume);
        }
    }

    /// Resolves when the network may no longer be used.
    async fn network_lost(&self) {
        while self.core.wait_reason().is_none() {
            self.core.platform.network_changed().await;
        }
    }

    /// A request for `call`, signed with the file's current credentials, and their generation.
    fn sign(&self, call: &Call<'_>) -> (Request, u32) {
        let request = self.session(|s| {
            let credentials = &s.credentials;
            call.build(
                &credentials.address,
                &credentials.auth,
                &self.core.http_date(),
            )
        });
        (request, self.generation.get())
    }

    /// Sends one call until the server answers it as `read` expects, retrying what is worth
    /// retrying: an answer `read` finds broken is retried like a 5xx.
    async fn send<T>(
        &self,
        call: &Call<'_>,
        body: Option<Range<u64>>,
        read: impl Fn(&Response) -> Result<T, UploadError>,
    ) -> Result<T, Stop> {
        let mut value = None;
        let mut accept = |answer: &Response| read(answer).map(|v| value = Some(v));
        self.send_until(call, body, &mut accept).await?;
        Ok(value.expect("an accepted answer was read"))
    }

    /// [`Transfer::send`] for every kind of answer alike, so that its state machine is in the
    /// wasm once: `accept` keeps what it reads of an answer it accepts.
    async fn send_until(
        &self,
        call: &Call<'_>,
        body: Option<Range<u64>>,
        accept: &mut dyn FnMut(&Response) -> Result<(), UploadError>,
    ) -> Result<(), Stop> {
        let platform = &self.core.platform;
        let options = &self.core.options;
        let mut exchange = Exchange::new(options.retry_count);
        loop {
            self.network_ready().await;
            // The slot is held while the request is out, not while it waits to be retried.
            let (raced, generation) = {
                let _slot = self.core.slots.acquire(self.job.index).await;
                let (request, generation) = self.sign(call);
                let body = body
                    .clone()
                    .map(|bytes| platform.slice(&self.job.file, bytes));
                let lost = pin!(self.network_lost());
                let raced = match race(
                    platform.send(request, body),
                    race(platform.sleep(options.timeout_ms), lost),
                )
                .await
                {
                    Either::Left(answer) => Raced::Answer(answer),
                    Either::Right(Either::Left(_)) => Raced::TimedOut,
                    Either::Right(Either::Right(_)) => Raced::NetworkLost,
                };
                (raced, generation)
            };
            let tried = match raced {
                Raced::Answer(Ok(answer)) if (200..300).contains(&answer.status) => {
                    match accept(&answer) {
                        Ok(()) => Tried::Accepted,
                        Err(broken) => Tried::Failed(Failure::Transient, broken),
                    }
                }
                Raced::Answer(Ok(answer)) => {
                    let (failure, error) = classify(&answer);
                    // Should the server quote the credentials, the page is not shown them.
                    let error = self.session(|s| {
                        let auth = &s.credentials.auth;
                        error.without(&[&auth.access_key_secret, &auth.security_token])
                    });
                    Tried::Failed(failure, error)
                }
                Raced::NetworkLost => Tried::NetworkGone,
                Raced::Answer(Err(_)) if self.core.wait_reason().is_some() => Tried::NetworkGone,
                Raced::Answer(Err(transport)) => Tried::Failed(
                    Failure::Transient,
                    UploadError::new(Code::NetworkError, transport.message),
                ),
                Raced::TimedOut => Tried::Failed(
                    Failure::Transient,
                    UploadError::new(
                        Code::Timeout,
                        format!("no answer within {} ms", options.timeout_ms),
                    ),
                ),
            };
            let mut corrected = self.skew_corrected.get();
            let next = exchange.step(tried, &mut corrected);
            self.skew_corrected.set(corrected);
            match next {
                Next::Done => {
                    if self.job.live.activity.get() == Activity::Retrying {
                        self.job.live.activity.set(Activity::Sending);
                        self.notify(Event::RetryResume);
                    }
                    return Ok(());
                }
                Next::Send => {}
                Next::Retry { retries, error } => {
                    self.job.live.activity.set(Activity::Retrying);
                    self.notify(|i| Event::Retry(i, error));
                    platform.sleep(self.core.backoff_ms(retries)).await;
                }
                Next::Renew => self.renew(generation).await?,
                Next::CorrectClock { server_ms } => {
                    self.core.clock_offset_ms.set(server_ms - platform.now_ms());
                }
                Next::Stop(stop) => return Err(stop),
            }
        }
    }

    /// What VOD needs to know of the file.
    fn described(&self) -> source::Described<'_> {
        source::Described {
            index: self.job.index,
            name: &self.job.name,
            size: self.job.size,
            meta: &self.job.meta,
            image: self.job.image.as_deref(),
        }
    }

    fn renewable(&self) -> bool {
        self.session(|s| source::can_renew(self.core, &s.credentials))
    }

    /// New credentials (`refreshUploadAuth`, or `RefreshUploadVideo` for credentials VOD
    /// gave), unless a renewal already replaced the `used` generation. When they cannot be had,
    /// the upload stops as expired. An image whose credentials VOD gave, which VOD cannot
    /// refresh, gets new ones; credentials for another object move the file there.
    async fn renew(&self, used: u32) -> Result<(), Stop> {
        let _turn = self.renewing.acquire(0).await;
        if self.generation.get() != used {
            return Ok(());
        }
        self.network_ready().await;
        let now = self.core.platform.now_ms();
        let current = self.session(|s| s.credentials.clone());
        let fresh = if self.renewable() {
            source::renew(self.core, &self.info(), &current).await
        } else if current.from_sts {
            source::allocate(self.core, &self.info(), &self.described()).await
        } else {
            return Err(Stop::Expired);
        };
        let fresh = fresh.map_err(|_| Stop::Expired)?;
        let moved = fresh.address != current.address;
        if moved {
            // The old credentials still reach the old upload, ahead of their expiry: it goes.
            let left = self.session(|s| s.upload.as_ref().map(|u| u.id.clone()));
            if let Some(upload_id) = left {
                abort(self.core, &current, &upload_id).await;
            }
        }
        self.generation.set(used + 1);
        self.session(|s| {
            s.credentials = fresh;
            s.received_ms = now;
            if moved {
                s.upload = None;
            }
        });
        match moved {
            true => Err(Stop::Moved),
            false => Ok(()),
        }
    }

    /// When the current credentials should be renewed (local clock): ahead of their expiry
    /// by twice the request time limit, so parts in flight finish with them, or by half their
    /// lifetime when they live shorter than that.
    fn refresh_due_ms(&self) -> f64 {
        let offset = self.core.clock_offset_ms.get();
        let timeout_ms = self.core.options.timeout_ms;
        self.session(|s| s.refresh_due_ms(timeout_ms, offset))
    }

    /// Renews the credentials ahead of expiry, for as long as the transfer runs; parts in
    /// flight go on meanwhile. Ends only when a renewal fails.
    async fn keep_fresh(&self) -> Stop {
        if !self.renewable() {
            return ::core::future::pending().await;
        }
        loop {
            let generation = self.generation.get();
            let wait = self.refresh_due_ms() - self.core.platform.now_ms();
            if wait > 0.0 {
                self.core
                    .platform
                    .sleep(wait.min(u32::MAX as f64) as u32)
                    .await;
            }
            if let Err(stop) = self.renew(generation).await {
                return stop;
            }
        }
    }
}

/// Going on with an upload an earlier page began.
impl<P: Platform> Transfer<'_, P> {
    /// Finds the earlier upload again: credentials for the same video, then what the server
    /// holds, checked against the file. Whatever cannot be trusted is dropped, and the file
    /// uploads from the start: in the same video when only the multipart upload is gone, as a
    /// new video otherwise. True when the earlier upload goes on, its parts just listed.
    async fn resume(&self, checkpoint: &Checkpoint) -> bool {
        let Some(credentials) = self.credentials_for(checkpoint).await else {
            self.forget_checkpoint();
            return false;
        };
        let same_video = credentials.address.endpoint == checkpoint.endpoint
            && credentials.address.bucket == checkpoint.bucket
            && credentials.address.file_name == checkpoint.object;
        let upload = same_video.then(|| OpenUpload::new(checkpoint.upload_id.clone()));
        *self.job.live.session.borrow_mut() = Some(Session {
            credentials,
            received_ms: self.core.platform.now_ms(),
            upload,
        });
        if !same_video {
            // The backend made a new video: upload into it from the start.
            self.forget_checkpoint();
            return false;
        }
        match self.sync_parts(&checkpoint.upload_id).await {
            Ok(()) if self.holds_this_file().await => return true,
            Ok(()) => {
                // Another file with the same name, size and date: a new video for this one.
                let session = self.take_session();
                abort(self.core, &session.credentials, &checkpoint.upload_id).await;
                self.forget_checkpoint();
            }
            Err(Stop::Gone(..)) => {
                self.forget_checkpoint();
                self.session(|s| s.upload = None);
            }
            Err(_) => {
                self.forget_checkpoint();
                *self.job.live.session.borrow_mut() = None;
            }
        }
        false
    }

    /// Credentials for the checkpoint's video: renewed (`refreshUploadAuth`, or
    /// `RefreshUploadVideo` in STS mode) when they can be, else `getUploadAuth` with the video's
    /// id in `info.videoId`.
    async fn credentials_for(&self, checkpoint: &Checkpoint) -> Option<Credentials> {
        self.network_ready().await;
        let mut info = self.info();
        info.video_id = checkpoint.video_id.clone();
        info.endpoint = Some(checkpoint.endpoint.clone());
        info.bucket = Some(checkpoint.bucket.clone());
        info.object = Some(checkpoint.object.clone());
        let core = self.core;
        let mut known = Credentials {
            auth: UploadAuth::default(),
            address: UploadAddress {
                endpoint: checkpoint.endpoint.clone(),
                bucket: checkpoint.bucket.clone(),
                file_name: checkpoint.object.clone(),
            },
            video_id: checkpoint.video_id.clone(),
            image: None,
            from_sts: core.options.sts,
        };
        if !core.options.sts && !core.platform.can_refresh() {
            match core.platform.upload_auth(&info).await.ok()? {
                Grant::Credentials(credentials) => return Some(credentials),
                Grant::Auth(auth) => return Some(Credentials { auth, ..known }),
                Grant::Sts(token) => {
                    source::hold(core, token);
                    known.from_sts = true;
                }
            }
        }
        source::renew(core, &info, &known).await.ok()
    }

    /// Whether the first and the last part the server holds are this file's bytes: their MD5
    /// must be their ETags.
    async fn holds_this_file(&self) -> bool {
        let ends: Vec<(u32, String)> = self.session(|s| {
            let parts = &s.upload.as_ref().expect("listed above").parts;
            parts
                .iter()
                .take(1)
                .chain(parts.iter().next_back())
                .map(|(n, etag)| (*n, etag.clone()))
                .collect()
        });
        for (number, etag) in ends {
            let bytes = self.job.plan.part(number);
            let mut md5 = crate::digest::Hash::md5();
            let mut add = |piece: &[u8]| md5.update(piece);
            if self
                .core
                .platform
                .read(&self.job.file, bytes, &mut add)
                .await
                .is_err()
            {
                return false;
            }
            let md5 = crate::digest::hex(&md5.finish());
            let etag = crate::text::trim_end(crate::text::trim_start(&etag, "\""), "\"");
            if !etag.eq_ignore_ascii_case(&md5) {
                return false;
            }
        }
        true
    }

    /// Writes down where the upload is, at most once per acknowledged part.
    fn save_checkpoint(&self) {
        let Some(key) = &self.job.checkpoint_key else {
            return;
        };
        let checkpoint = self.session(|s| {
            let upload = s.upload.as_ref()?;
            let address = &s.credentials.address;
            Some(Checkpoint {
                video_id: s.credentials.video_id.clone(),
                endpoint: address.endpoint.clone(),
                bucket: address.bucket.clone(),
                object: address.file_name.clone(),
                upload_id: upload.id.clone(),
                part_size: self.job.plan.part_size,
                loaded: upload.loaded,
                saved_ms: self.core.platform.now_ms() as u64,
            })
        });
        if let Some(checkpoint) = checkpoint {
            self.core
                .checkpoints
                .save(&self.core.platform, key, &checkpoint);
        }
    }

    fn forget_checkpoint(&self) {
        if let Some(key) = &self.job.checkpoint_key {
            self.core.checkpoints.forget(&self.core.platform, key);
        }
    }
}
