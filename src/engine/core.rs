//! The engine's core, sans I/O, in the shape of quinn-proto: it holds the file list and every
//! upload's state, is told what happened through `handle_*` methods and the page's calls (each
//! with the current time), and says what to do through [`Core::poll`] (requests to send or
//! cancel, file reads to hash, the page's functions to ask, checkpoints to write),
//! [`Core::poll_timeout`] and [`Core::poll_event`]. It never waits and never calls out, so
//! tests step it directly; a driver performs its outputs.

use alloc::{format, string::String, vec::Vec};

use super::checkpoint::Checkpoint;
use super::file::{Entry, Phase};
use super::ids::{AskId, ReadId, RequestId};
use super::output::{AskFor, Out, Output, Sink};
use super::session::{FileData, Kept};
use super::shared::Shared;
use super::transfer::{Hashed, Outcome, Transfer};
use super::{Described, Event, FileInfo, Grant, Network, Options, Plan, Stream};
use crate::error::{Code, TransportError, UploadError};
use crate::oss::request::Call;
use crate::oss::response::Response;

/// A run of the list: files begin one after another, each once the file before it has its
/// turn, and send their parts once the file before has sent its last, so the link does not
/// idle between files; only one file is prepared ahead.
struct Run {
    /// The files begun, in the order they began, and whether each has ended (deleted, failed,
    /// done). An ended file keeps its place, passed, until every file before it has passed:
    /// a file that began after it waited for its turn, and still does.
    order: Vec<(usize, bool)>,
    /// A file ended in this run: the end of the list is then worth telling.
    finished_any: bool,
}

impl Run {
    fn ended(&mut self, index: usize) {
        for (i, ended) in &mut self.order {
            *ended |= *i == index;
        }
    }
}

pub struct Core<F> {
    cx: Shared,
    /// Where outputs and events go, for `poll()` and `poll_event()`.
    out: Sink,
    files: Vec<Entry<F>>,
    next_index: usize,
    run: Option<Run>,
}

impl<F: Clone> Core<F> {
    /// `entropy` seeds nonces and jitter; `can_refresh`: the page gave `refreshUploadAuth`.
    pub fn new(
        options: Options,
        entropy: [u8; 32],
        can_refresh: bool,
        network: Network,
        now: f64,
    ) -> Result<Core<F>, UploadError> {
        options.check()?;
        Ok(Core {
            cx: Shared::new(options, entropy, can_refresh, network, now),
            out: Sink::default(),
            files: Vec::new(),
            next_index: 0,
            run: None,
        })
    }

    /// A SignatureNonce, for the browser tests' probe.
    #[cfg(feature = "probes")]
    pub fn nonce(&mut self) -> alloc::string::String {
        self.cx.nonce()
    }

    /// What every upload shares, for the tests of the rules that read it.
    #[cfg(test)]
    pub(super) fn shared(&self) -> &Shared {
        &self.cx
    }

    pub fn options(&self) -> &Options {
        &self.cx.options
    }

    /// Queues a file; returns its index, which stays its name for good. `found`: the checkpoint
    /// an earlier page left under the file's key, which makes it resumable.
    pub fn add_file(
        &mut self,
        file: F,
        described: Described,
        found: Option<Checkpoint>,
    ) -> Result<usize, UploadError> {
        let key = described.checkpoint_key(self.cx.options.sts);
        let size = described.size;
        if size == 0 {
            return Err(empty(&described.name));
        }
        let plan = |part_size| Plan::new(size, part_size);
        self.list(file, described, key, found, &plan)
    }

    /// Queues a stream, whose bytes the platform tells as they come ([`Core::handle_stream`]);
    /// returns its index. `id` names it for good, across pages: its checkpoint is kept under
    /// it, and `found` is the one an earlier page left, which makes it resumable.
    pub fn add_stream(
        &mut self,
        file: F,
        described: Described,
        id: &str,
        found: Option<Checkpoint>,
    ) -> Result<usize, UploadError> {
        let key = super::checkpoint::stream_key(id);
        self.list(file, described, key, found, &Plan::stream)
    }

    /// Lists a file or a stream, planned by `plan` in parts of the size asked, or of the size
    /// an earlier page's parts were cut by.
    fn list(
        &mut self,
        file: F,
        described: Described,
        key: String,
        found: Option<Checkpoint>,
        plan: &dyn Fn(u64) -> Result<Plan, UploadError>,
    ) -> Result<usize, UploadError> {
        let Described {
            name,
            size: _,
            content_type,
            last_modified: _,
            meta,
        } = described;
        meta.check()?;
        let mut planned = plan(self.cx.options.part_size)?;
        let stream = planned.growing;
        // The server's parts were cut by the earlier page's part size: keep it.
        let resumable = found
            .filter(|checkpoint| stream || checkpoint.loaded <= planned.size)
            .and_then(|checkpoint| Some((plan(checkpoint.part_size).ok()?, checkpoint)));
        let phase = match resumable {
            Some((earlier, checkpoint)) => {
                planned = earlier;
                Phase::Resumable(checkpoint)
            }
            None => Phase::Ready,
        };
        let index = self.next_index;
        self.next_index += 1;
        let image = super::file::image_extension(&name, &content_type);
        self.files.push(Entry {
            data: FileData {
                index,
                name,
                content_type,
                plan: planned,
                stream,
                checkpoint_key: self.cx.options.checkpoint_max_age_ms.map(|_| key),
                resumed: matches!(phase, Phase::Resumable(_)),
                meta,
                image,
            },
            file,
            phase,
            shown: 0,
        });
        Ok(index)
    }

    /// What stream `index` did: it grew, or ended, or failed.
    pub fn handle_stream(&mut self, index: usize, news: Stream, now: f64) {
        self.cx.now = now;
        let Some(entry) = entry(&mut self.files, index) else {
            return;
        };
        let failed = match news {
            // Its whole parts go, and its last once it ended.
            Stream::Grew { size, ended } => match entry.data.plan.grow(size, ended) {
                Ok(()) if ended && size == 0 => Some((empty(&entry.data.name), false)),
                Ok(()) => None,
                Err(error) => Some((error, false)),
            },
            Stream::Failed(error, keep) => Some((error, keep)),
        };
        match failed {
            Some((error, keep)) => self.stream_failed(index, error, keep),
            None => self.settle(),
        }
    }

    /// Stream `index` failed: so does its file. Its multipart upload is aborted, unless `keep`:
    /// then it stays open, with its checkpoint, for a later page to finish from what the
    /// platform kept.
    fn stream_failed(&mut self, index: usize, error: UploadError, keep: bool) {
        let Some(entry) = entry(&mut self.files, index) else {
            return;
        };
        if matches!(entry.phase, Phase::Success(_) | Phase::Failure(..)) {
            return;
        }
        let kept = ::core::mem::replace(&mut entry.phase, Phase::Ready).into_kept(&mut self.out);
        self.conclude(index, Outcome::Failed(error, kept), !keep);
        self.settle();
    }

    /// Whether stream `index` is to be read further: while the uploader runs, until it holds
    /// `parallel` parts and one more that OSS has not acknowledged; stopped, it reads on, as
    /// the sending alone stops.
    pub fn wants_bytes(&self, index: usize) -> bool {
        let Some(entry) = self.files.iter().find(|e| e.data.index == index) else {
            return false;
        };
        let options = &self.cx.options;
        let bound = (options.parallel as u64 + 1) * entry.data.plan.part_size;
        let held = entry.data.plan.size.saturating_sub(entry.acknowledged());
        entry.data.plan.growing && (!self.is_running() || held < bound)
    }

    /// Every file as the page is shown it; what is shown is remembered, so that progress
    /// never goes backwards.
    pub fn list_files(&mut self) -> Vec<FileInfo> {
        self.files.iter_mut().map(Entry::report).collect()
    }

    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// Uploads every ready file and resumes stopped ones from their last completed part.
    pub fn start(&mut self, now: f64) -> Result<(), UploadError> {
        self.cx.now = now;
        if self.is_running() {
            return Err(UploadError::new(
                Code::AlreadyStarted,
                "start() was called while uploading; stop() first",
            ));
        }
        self.launch();
        Ok(())
    }

    /// Stops now: requests in flight are aborted, completed parts are kept for `start()`.
    pub fn stop(&mut self, now: f64) {
        self.cx.now = now;
        self.run = None;
        // A `getSTSToken` still pending is asked again after `start()`: the page may never answer.
        self.cx.sts_asking = None;
        self.park();
    }

    /// Takes a file out of the list; an upload under way stops, and a multipart upload that
    /// is open is aborted on the server.
    pub fn delete_file(&mut self, index: usize, now: f64) -> Result<(), UploadError> {
        self.cx.now = now;
        let Some(position) = self.files.iter().position(|e| e.data.index == index) else {
            return Err(UploadError::new(
                Code::NoSuchFile,
                format!("there is no file with index {index}"),
            ));
        };
        let entry = self.files.remove(position);
        // Its transfer alone stops; the other files go on.
        let kept = entry.phase.into_kept(&mut self.out);
        if let Some(run) = &mut self.run {
            run.ended(index);
        }
        self.cx.close(&mut self.out, kept, &entry.data);
        self.settle();
        Ok(())
    }

    /// New credentials after `onUploadTokenExpired`: the upload goes on where it stopped, or
    /// from the start at the object new credentials name.
    pub fn resume_with_token(&mut self, grant: Grant, now: f64) -> Result<(), UploadError> {
        self.cx.now = now;
        // The first file waiting for credentials, and what it kept (taken, to be put back).
        let found = self
            .files
            .iter_mut()
            .enumerate()
            .find_map(|(at, e)| match &mut e.phase {
                Phase::Expired(kept) => Some((at, kept.take())),
                _ => None,
            });
        let Some((at, kept)) = found else {
            return Err(UploadError::new(
                Code::NotExpired,
                "no upload is waiting for new credentials",
            ));
        };
        let from_sts = kept
            .as_ref()
            .map_or(self.cx.options.sts, |k| k.session.credentials.from_sts);
        let kept = match (grant, kept) {
            (Grant::Sts(token), kept) if from_sts || kept.is_none() => {
                self.cx.hold(token);
                kept
            }
            (Grant::Auth(auth), Some(mut kept)) if !from_sts => {
                kept.session.credentials.auth = auth;
                kept.session.received_ms = now;
                Some(kept)
            }
            (Grant::Credentials(credentials), kept) => Some(match kept {
                Some(mut k) if k.session.credentials.address == credentials.address => {
                    k.session.credentials = credentials;
                    k.session.received_ms = now;
                    k
                }
                old => {
                    // Moved to another object: the old upload is of no more use (best effort,
                    // as its credentials have most likely expired).
                    if let Some(old) = old {
                        self.cx.abandon(old);
                    }
                    Kept::new(credentials, now)
                }
            }),
            (_, kept) => {
                let wanted = match (&kept, from_sts) {
                    (None, _) => "an STS token, or an UploadAuth with its UploadAddress",
                    (_, true) => "a new STS token ({ AccessKeyId, AccessKeySecret, SecurityToken, Expiration })",
                    (_, false) => "a refreshed UploadAuth, or an UploadAuth with its UploadAddress",
                };
                self.files[at].phase = Phase::Expired(kept);
                return Err(UploadError::new(
                    Code::InvalidArgument,
                    format!("resumeUploadWithToken takes {wanted} for this file"),
                ));
            }
        };
        self.files[at].phase = Phase::Stopped(kept);
        if !self.is_running() {
            self.launch();
        } else {
            self.settle();
        }
        Ok(())
    }

    /// Request `id` was answered, or failed on the way.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        result: Result<Response, TransportError>,
        now: f64,
    ) {
        self.cx.now = now;
        if let Some(at) = self.cx.aborting.iter().position(|a| *a == id) {
            self.cx.aborting.swap_remove(at);
        } else {
            self.with_owner(
                |t| t.sent_request(id),
                |t, cx, out, data| t.answered(cx, out, data, id, result),
            );
        }
        self.settle();
    }

    /// Read `id` ended: the digest, or `None` when the file could not be read.
    pub fn handle_read(&mut self, id: ReadId, hashed: Option<Hashed>, now: f64) {
        self.cx.now = now;
        self.with_owner(
            |t| t.reading(id),
            |t, cx, out, data| t.hashed(cx, out, data, id, hashed),
        );
        self.settle();
    }

    /// The page answered ask `id`.
    pub fn handle_answer(&mut self, id: AskId, answer: Result<Grant, UploadError>, now: f64) {
        self.cx.now = now;
        if self.cx.sts_asking == Some(id) {
            self.cx.sts_asking = None;
            let came = match answer {
                Ok(Grant::Sts(token)) => {
                    self.cx.hold(token);
                    true
                }
                _ => false,
            };
            self.each_transfer(|t, cx, out, data| t.token_came(cx, out, data, came));
        } else {
            self.with_owner(
                |t| t.asking(id),
                |t, cx, out, data| t.granted(cx, out, data, id, answer),
            );
        }
        self.settle();
    }

    /// The network changed, as the browser tells it.
    pub fn handle_network(&mut self, network: Network, now: f64) {
        self.cx.now = now;
        let was = self.cx.wait_reason();
        self.cx.network = network;
        if was.is_none() && self.cx.wait_reason().is_some() {
            self.each_transfer(|t, cx, out, data| t.network_lost(cx, out, data));
        }
        self.settle();
    }

    /// The time given by [`Core::poll_timeout`] has come (or any time after it).
    pub fn handle_timeout(&mut self, now: f64) {
        self.cx.now = now;
        self.each_transfer(|t, cx, out, data| t.timeout(cx, out, data));
        self.settle();
    }

    /// When [`Core::handle_timeout`] is next wanted.
    pub fn poll_timeout(&self) -> Option<f64> {
        self.files
            .iter()
            .filter_map(|e| match &e.phase {
                Phase::Uploading(t) => t.deadline(&self.cx),
                _ => None,
            })
            .reduce(f64::min)
    }

    /// The next thing to do.
    pub fn poll(&mut self) -> Option<Output<F>> {
        loop {
            let out = self.out.out.pop_front()?;
            let files = &mut self.files;
            return Some(match out {
                Out::Send { id, request, body } => {
                    let body = match body {
                        Some((index, bytes)) => match entry(files, index) {
                            Some(entry) => Some((entry.file.clone(), bytes)),
                            None => continue,
                        },
                        None => None,
                    };
                    Output::Send { id, request, body }
                }
                Out::Cancel(id) => Output::Cancel(id),
                Out::Read {
                    id,
                    file: index,
                    bytes,
                    digest,
                } => match entry(files, index) {
                    Some(entry) => Output::Read {
                        id,
                        file: entry.file.clone(),
                        bytes,
                        digest,
                    },
                    None => continue,
                },
                Out::Ask { id, ask } => {
                    let mut info = |index| entry(files, index).map(Entry::report);
                    let ask = match ask {
                        // A file deleted meanwhile is not asked for.
                        AskFor::UploadAuth(index) => match info(index) {
                            Some(info) => AskFor::UploadAuth(info),
                            None => continue,
                        },
                        AskFor::Refresh(index) => match info(index) {
                            Some(info) => AskFor::Refresh(info),
                            None => continue,
                        },
                        AskFor::StsToken => AskFor::StsToken,
                    };
                    Output::Ask { id, ask }
                }
                Out::Release { file, bytes } => match entry(files, file) {
                    Some(entry) => Output::Release {
                        file: entry.file.clone(),
                        bytes,
                    },
                    None => continue,
                },
                Out::Store { key, value } => Output::Store { key, value },
                Out::Forget(key) => Output::Forget(key),
                Out::Warn(message) => Output::Warn(message),
            });
        }
    }

    /// Events are waiting for [`Core::poll_event`].
    pub fn has_events(&self) -> bool {
        !self.out.events.is_empty()
    }

    /// The next event for the page; events of a file deleted meanwhile are dropped.
    pub fn poll_event(&mut self) -> Option<Event> {
        loop {
            let event = self.out.events.pop_front()?;
            let files = &mut self.files;
            let info = |index: usize| entry(files, index).map(Entry::report);
            if let Some(event) = event.about(info) {
                return Some(event);
            }
        }
    }
}

fn empty(name: &str) -> UploadError {
    UploadError::new(
        Code::EmptyFile,
        format!("\"{name}\" is empty; OSS cannot take an empty video"),
    )
}

/// The file of `index`, if it is still listed.
fn entry<F>(files: &mut [Entry<F>], index: usize) -> Option<&mut Entry<F>> {
    files.iter_mut().find(|e| e.data.index == index)
}

impl<F: Clone> Core<F> {
    /// Runs `input` on the transfer that `owns` the request, read or ask answered, and records
    /// how it ended if it did.
    fn with_owner(
        &mut self,
        owns: impl Fn(&Transfer) -> bool,
        input: impl FnOnce(&mut Transfer, &mut Shared, &mut Sink, &FileData) -> Option<Outcome>,
    ) {
        let found = self.files.iter_mut().find_map(|e| match &mut e.phase {
            Phase::Uploading(t) if owns(t) => Some((t, &e.data)),
            _ => None,
        });
        let Some((transfer, data)) = found else {
            return;
        };
        if let Some(outcome) = input(transfer, &mut self.cx, &mut self.out, data) {
            let index = data.index;
            self.finish(index, outcome);
        }
    }

    /// Runs `input` on every transfer, in the order of the list.
    fn each_transfer(
        &mut self,
        mut input: impl FnMut(&mut Transfer, &mut Shared, &mut Sink, &FileData) -> Option<Outcome>,
    ) {
        let mut ended = Vec::new();
        for entry in &mut self.files {
            if let Phase::Uploading(t) = &mut entry.phase {
                if let Some(outcome) = input(t, &mut self.cx, &mut self.out, &entry.data) {
                    ended.push((entry.data.index, outcome));
                }
            }
        }
        for (index, outcome) in ended {
            self.finish(index, outcome);
        }
    }

    fn launch(&mut self) {
        self.run = Some(Run {
            order: Vec::new(),
            finished_any: false,
        });
        self.settle();
    }

    /// The files of the run that have their turn: every file begun before them has sent its
    /// last part.
    fn turns(&self) -> Vec<usize> {
        let Some(run) = &self.run else {
            return Vec::new();
        };
        let passed = |(index, ended): &(usize, bool)| {
            *ended
                || self.files.iter().any(|e| {
                    e.data.index == *index && matches!(&e.phase, Phase::Uploading(t) if t.passed())
                })
        };
        let waiting = run.order.iter().position(|i| !passed(i));
        let upto = waiting.map_or(run.order.len(), |at| at + 1);
        run.order[..upto].iter().map(|(i, _)| *i).collect()
    }

    /// Brings everything as far as it goes without news: files begin, stages move on, requests
    /// go out (those of the files under way before a file that begins meanwhile asks for its
    /// credentials).
    fn settle(&mut self) {
        loop {
            self.advance();
            let turns = self.turns();
            let mut ended = Vec::new();
            for entry in &mut self.files {
                let index = entry.data.index;
                if let Phase::Uploading(t) = &mut entry.phase {
                    let turn = turns.contains(&index);
                    if let Some(outcome) = t.poll(&mut self.cx, &mut self.out, &entry.data, turn) {
                        ended.push((index, outcome));
                    }
                }
            }
            let any_ended = !ended.is_empty();
            for (index, outcome) in ended {
                self.finish(index, outcome);
            }
            self.dispatch();
            // Done once nothing ended and no file gave its turn to the next.
            if !any_ended && self.turns() == turns {
                break;
            }
        }
    }

    /// Begins the next files while the run lets them; ends the run when nothing is left.
    fn advance(&mut self) {
        loop {
            let turns = self.turns();
            let Some(run) = &mut self.run else {
                return;
            };
            // The newest file must have its turn before the next one begins.
            if run
                .order
                .last()
                .is_some_and(|(newest, _)| !turns.contains(newest))
            {
                return;
            }
            // Ended files no file waits behind any more.
            while run.order.first().is_some_and(|(_, ended)| *ended) {
                run.order.remove(0);
            }
            let entry = self.files.iter_mut().find(|e| {
                matches!(
                    e.phase,
                    Phase::Ready | Phase::Resumable(_) | Phase::Stopped(_)
                )
            });
            let Some(entry) = entry else {
                if run.order.is_empty() {
                    let told = run.finished_any;
                    self.run = None;
                    self.ended_run(told);
                }
                return;
            };
            let begun = ::core::mem::replace(&mut entry.phase, Phase::Ready);
            let index = entry.data.index;
            if !matches!(begun, Phase::Stopped(_)) {
                self.out.notify(Event::Started(index));
            }
            let transfer = match begun {
                Phase::Resumable(checkpoint) => Transfer::resume(checkpoint),
                Phase::Stopped(Some(kept)) => Transfer::go_on(kept, &mut self.cx, &entry.data),
                _ => Transfer::new(),
            };
            entry.phase = Phase::Uploading(alloc::boxed::Box::new(transfer));
            run.order.push((index, false));
        }
    }

    /// Every file in the list has finished: tell the page, unless this run had nothing to do
    /// (so that `onUploadEnd` may call `start()`).
    fn ended_run(&mut self, finished_any: bool) {
        let all_done = !self.files.is_empty()
            && self
                .files
                .iter()
                .all(|e| matches!(e.phase, Phase::Success(_) | Phase::Failure(..)));
        if all_done && finished_any {
            self.out.notify(Event::End);
        }
    }

    /// Stops every transfer's file where it is, keeping its session for `start()`.
    fn park(&mut self) {
        for entry in &mut self.files {
            entry.phase = match ::core::mem::replace(&mut entry.phase, Phase::Ready) {
                Phase::Uploading(transfer) => Phase::Stopped(transfer.stop(&mut self.out)),
                phase => phase,
            };
        }
    }

    /// Records how a file's transfer ended.
    fn finish(&mut self, index: usize, outcome: Outcome) {
        self.conclude(index, outcome, true);
    }

    /// Records how a file's upload ended; `close`: nothing is left to resume, so an open
    /// multipart upload is aborted and the checkpoint forgotten.
    fn conclude(&mut self, index: usize, outcome: Outcome, close: bool) {
        if let Some(run) = &mut self.run {
            run.ended(index);
            run.finished_any = true;
        }
        let Some(entry) = self.files.iter_mut().find(|e| e.data.index == index) else {
            return;
        };
        let (phase, event, open) = match outcome {
            Outcome::Succeeded(credentials) => (
                Phase::Success(credentials.destination()),
                Event::Succeeded(index),
                None,
            ),
            Outcome::Expired(kept) => {
                entry.phase = Phase::Expired(kept);
                self.out.notify(Event::TokenExpired(index));
                // Everything stops where it is until the page brings new credentials.
                self.run = None;
                self.park();
                return;
            }
            Outcome::Failed(error, kept) => (
                Phase::Failure(
                    error.clone(),
                    kept.as_ref().map(|k| k.session.credentials.destination()),
                ),
                Event::Failed(index, error),
                kept,
            ),
        };
        entry.phase = phase;
        self.out.notify(event);
        if close {
            self.cx.close(&mut self.out, open, &entry.data);
            // Nothing of a stream is to be kept any more.
            if entry.data.stream {
                let bytes = 0..u64::MAX;
                self.out.push(Out::Release { file: index, bytes });
            }
        }
    }

    /// Sends what is queued while slots are free, the aborts first, then each file's in the
    /// order of the list; while the network may not be used, files that would send wait.
    fn dispatch(&mut self) {
        let parallel = self.cx.options.parallel;
        let mut busy = self.cx.aborting.len()
            + self
                .files
                .iter()
                .map(|e| match &e.phase {
                    Phase::Uploading(t) => t.in_flight(),
                    _ => 0,
                })
                .sum::<usize>();
        let wait = self.cx.wait_reason();
        while busy < parallel && wait.is_none() {
            let Some((credentials, upload_id)) = self.cx.aborts.pop_front() else {
                break;
            };
            let request = Call::Abort {
                upload_id: &upload_id,
            }
            .build(
                &credentials.address,
                &credentials.auth,
                &self.cx.http_date(),
            );
            let id = self.cx.request_id();
            self.cx.aborting.push(id);
            self.out.push(Out::Send {
                id,
                request,
                body: None,
            });
            busy += 1;
        }
        for entry in &mut self.files {
            let Phase::Uploading(t) = &mut entry.phase else {
                continue;
            };
            if !t.has_queued() {
                continue;
            }
            if let Some(wait) = wait {
                t.waiting(&mut self.out, &entry.data, wait);
                continue;
            }
            t.network_back(&mut self.out, &entry.data);
            let queued: Vec<usize> = t.queued().collect();
            for at in queued {
                if busy >= parallel {
                    return;
                }
                match t.request(at, &mut self.cx, &mut self.out, &entry.data) {
                    Some((request, body)) => {
                        let id = self.cx.request_id();
                        let body = body.map(|bytes| (entry.data.index, bytes));
                        self.out.push(Out::Send { id, request, body });
                        t.sent(at, id, &self.cx);
                        busy += 1;
                    }
                    None => t.needs_token(at),
                }
            }
        }
    }
}
