//! The file list and the controls: add, delete, list, start, stop, resume with a new token.
//! One runner at a time uploads the files in the order they were added, each file prepared
//! while the one before it still sends; stopping the runner is dropping it, which drops its
//! transfers and every request in flight.

use ::core::cell::{Cell, RefCell};
use alloc::rc::{Rc, Weak};
use alloc::{boxed::Box, format, string::String, vec::Vec};

use super::checkpoint::Fingerprint;
use super::core::Core;
use super::file::{Activity, Entry, Live, Phase, Session};
use super::signal::{Flag, Pass};
use super::source;
use super::task::Cancel;
use super::transfer::{self, Job, Outcome};
use super::{Credentials, Event, FileInfo, Grant, Options, Plan, Platform};
use crate::error::{Code, UploadError};
use crate::vod::meta::Meta;

/// What the browser tells of a file, besides its bytes, and what the page says of it.
pub struct Described {
    pub name: String,
    pub size: u64,
    pub content_type: String,
    /// `File.lastModified`, ms since the epoch.
    pub last_modified: f64,
    pub meta: Meta,
}

impl Described {
    /// Where the checkpoint of this file's upload is kept, in STS mode or the other.
    pub fn checkpoint_key(&self, sts: bool) -> String {
        Fingerprint {
            sts,
            name: &self.name,
            size: self.size,
            last_modified: self.last_modified,
            content_type: &self.content_type,
        }
        .key()
    }
}

/// A handle to the uploader; clones share it.
pub struct Uploader<P: Platform> {
    inner: Rc<Inner<P>>,
}

impl<P: Platform> Clone for Uploader<P> {
    fn clone(&self) -> Self {
        Uploader {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<P: Platform> {
    core: Rc<Core<P>>,
    files: RefCell<Vec<Entry<P::File>>>,
    next_index: Cell<usize>,
    /// The run under way, if any.
    run: RefCell<Option<Run>>,
    /// Numbers the runs, so that a transfer of a run stopped meanwhile is not counted in the
    /// next one.
    runs: Cell<u32>,
}

/// A run of the list: files begin one after another, each once the file before it has its
/// turn, and send their parts once the file before has sent its last, so the link does not
/// idle between files; only one file is prepared ahead.
struct Run {
    id: u32,
    /// Transfers of this run under way.
    going: usize,
    /// The turn the next file will wait for: the newest file's pass.
    turn: Flag,
    /// When the next file may begin: once the newest file has its own turn.
    begin_next: Flag,
    /// A file ended in this run: the end of the list is then worth telling.
    finished_any: bool,
}

impl<P: Platform> Inner<P> {
    fn update<R>(&self, index: usize, change: impl FnOnce(&mut Entry<P::File>) -> R) -> Option<R> {
        self.files
            .borrow_mut()
            .iter_mut()
            .find(|e| e.index == index)
            .map(change)
    }

    fn info(&self, index: usize) -> Option<FileInfo> {
        self.files
            .borrow()
            .iter()
            .find(|e| e.index == index)
            .map(Entry::info)
    }

    fn launch(self: &Rc<Self>) {
        let id = self.runs.get() + 1;
        self.runs.set(id);
        *self.run.borrow_mut() = Some(Run {
            id,
            going: 0,
            turn: Flag::raised_already(),
            begin_next: Flag::raised_already(),
            finished_any: false,
        });
        self.advance();
    }

    /// Begins the next files while the run lets them; ends the run when nothing is left.
    fn advance(self: &Rc<Self>) {
        loop {
            let begun = {
                let mut run = self.run.borrow_mut();
                let Some(r) = run.as_mut().filter(|r| r.begin_next.is_raised()) else {
                    return;
                };
                match self.next_job(r.turn.clone()) {
                    Some((job, cancel)) => {
                        r.begin_next = ::core::mem::replace(&mut r.turn, job.pass.flag());
                        r.going += 1;
                        (job, cancel, r.id)
                    }
                    None if r.going == 0 => {
                        let told = r.finished_any;
                        run.take();
                        drop(run);
                        self.ended_run(told);
                        return;
                    }
                    None => return,
                }
            };
            self.spawn_transfer(begun);
        }
    }

    /// Runs a file's transfer as a task of its own, which tells the list how it ended.
    fn spawn_transfer(self: &Rc<Self>, (job, cancel, run): (Job<P>, Cancel, u32)) {
        let (core, list) = (self.core.clone(), Rc::downgrade(self));
        self.core.platform.spawn(Box::pin(async move {
            let outcome = cancel.wrap(transfer::upload(&core, &job)).await;
            if let Some(list) = list.upgrade() {
                list.ended(run, job.index, outcome);
            }
            // Dropped last: its pass, if not given yet, lets the next file send and begin.
            drop(job);
        }));
    }

    /// A transfer of run `run` ended: with an outcome, or cancelled (stopped, deleted).
    fn ended(self: &Rc<Self>, run: u32, index: usize, outcome: Option<Outcome>) {
        {
            let mut current = self.run.borrow_mut();
            let Some(r) = current.as_mut().filter(|r| r.id == run) else {
                return;
            };
            r.going -= 1;
            r.finished_any |= outcome.is_some();
        }
        if let Some(outcome) = outcome {
            if self.finish(index, outcome) {
                // Everything stops where it is until the page brings new credentials.
                self.halt();
                self.park();
                return;
            }
        }
        self.advance();
    }

    /// Every file in the list has finished: tell the page, unless this run had nothing to do
    /// (so that `onUploadEnd` may call `start()`).
    fn ended_run(&self, finished_any: bool) {
        let all_done = {
            let files = self.files.borrow();
            !files.is_empty()
                && files
                    .iter()
                    .all(|e| matches!(e.phase, Phase::Success(_) | Phase::Failure(..)))
        };
        if all_done && finished_any {
            self.core.notify(Event::End);
        }
    }

    /// Ends the run, if one is under way: every transfer is cancelled.
    fn halt(&self) {
        if self.run.borrow_mut().take().is_some() {
            for entry in self.files.borrow().iter() {
                if let Phase::Uploading(live) = &entry.phase {
                    live.cancel.cancel();
                }
            }
        }
    }

    /// Stops every transfer's file where it is, keeping its session for `start()`; the
    /// transfers themselves are dropped by the caller.
    fn park(&self) {
        for entry in self.files.borrow_mut().iter_mut() {
            if let Phase::Uploading(live) = &entry.phase {
                let session = live.session.borrow_mut().take();
                entry.phase = Phase::Stopped(session);
            }
        }
    }

    /// The next file to upload, now marked uploading; it sends its parts once `turn` is
    /// raised. The transfer is cancelled alone through the handle kept in its `Live`.
    fn next_job(self: &Rc<Self>, turn: Flag) -> Option<(Job<P>, Cancel)> {
        let mut files = self.files.borrow_mut();
        let entry = files.iter_mut().find(|e| {
            matches!(
                e.phase,
                Phase::Ready | Phase::Resumable(_) | Phase::Stopped(_)
            )
        })?;
        let (session, resume, first) = match ::core::mem::replace(&mut entry.phase, Phase::Ready) {
            Phase::Stopped(session) => (session, None, false),
            Phase::Resumable(checkpoint) => (None, Some(checkpoint), true),
            _ => (None, None, true),
        };
        let cancel = Cancel::default();
        let live = Rc::new(Live {
            session: RefCell::new(session),
            activity: Cell::new(Activity::Sending),
            cancel: cancel.clone(),
        });
        entry.phase = Phase::Uploading(live.clone());
        if first {
            self.core.notify(Event::Started(entry.index));
        }
        let index = entry.index;
        let weak = Rc::downgrade(self);
        let list = weak.clone();
        let job = Job {
            index,
            file: entry.file.clone(),
            plan: entry.plan,
            content_type: entry.content_type.clone(),
            live,
            info: Box::new(move || weak.upgrade()?.info(index)),
            resume,
            checkpoint_key: entry.checkpoint_key.clone(),
            name: entry.name.clone(),
            size: entry.size,
            meta: entry.meta.clone(),
            image: entry.image_extension(),
            turn,
            pass: Pass::then(move || {
                if let Some(list) = list.upgrade() {
                    list.advance();
                }
            }),
        };
        Some((job, cancel))
    }

    /// Records how a file's transfer ended; true if its credentials expired.
    fn finish(&self, index: usize, outcome: Outcome) -> bool {
        let (phase, event, open) = match outcome {
            Outcome::Succeeded(credentials) => (
                Phase::Success(credentials.destination()),
                Event::Succeeded(index),
                None,
            ),
            Outcome::Expired(session) => {
                (Phase::Expired(session), Event::TokenExpired(index), None)
            }
            Outcome::Failed(error, session) => {
                // A failed file cannot be resumed: leave no multipart upload behind.
                let (destination, open) = match session {
                    Some(session) => (
                        Some(session.credentials.destination()),
                        session.upload.map(|u| (session.credentials, u.id)),
                    ),
                    None => (None, None),
                };
                (
                    Phase::Failure(error.clone(), destination),
                    Event::Failed(index, error),
                    open,
                )
            }
        };
        let expired = matches!(phase, Phase::Expired(_));
        let key = self
            .update(index, |e| {
                e.phase = phase;
                e.checkpoint_key.clone()
            })
            .flatten();
        self.core.notify(event);
        // Success or failure, the upload is over: nothing is left to resume.
        if !expired {
            self.abort(open, key);
        }
        expired
    }

    /// Aborts a multipart upload that is open, if one is, then forgets the file's checkpoint.
    fn abort(&self, open: Option<(Credentials, String)>, checkpoint_key: Option<String>) {
        let core = self.core.clone();
        self.core.platform.spawn(Box::pin(async move {
            if let Some((credentials, upload_id)) = open {
                transfer::abort(&core, &credentials, &upload_id).await;
            }
            if let Some(key) = checkpoint_key {
                core.checkpoints.forget(&core.platform, &key);
            }
        }));
    }
}

/// A session's credentials and open multipart upload, if it has one.
fn open_upload(session: Session) -> Option<(Credentials, String)> {
    let upload_id = session.upload?.id;
    Some((session.credentials, upload_id))
}

impl<P: Platform> Uploader<P> {
    pub fn new(platform: P, options: Options) -> Result<Uploader<P>, UploadError> {
        options.check()?;
        let inner = Rc::new_cyclic(|weak: &Weak<Inner<P>>| {
            let core = Rc::new(Core::new(platform, options));
            let weak = weak.clone();
            let _ = core.wake.set(Box::new(move || {
                if let Some(inner) = weak.upgrade() {
                    let core = inner.core.clone();
                    core.platform.wake(Uploader { inner });
                }
            }));
            core.checkpoints.clear_stale(&core.platform);
            Inner {
                core,
                files: RefCell::default(),
                next_index: Cell::new(0),
                run: RefCell::default(),
                runs: Cell::new(0),
            }
        });
        Ok(Uploader { inner })
    }

    /// The next event for the page, if any. The platform calls this after `wake`, holding
    /// nothing of the engine, so the page's callback may call any method of the uploader.
    pub fn poll_event(&self) -> Option<Event> {
        loop {
            // Events of a file deleted meanwhile are dropped.
            let event = self.inner.core.pop()?;
            if let Some(event) = event.about(|index| self.inner.info(index)) {
                return Some(event);
            }
        }
    }

    /// Queues a file; returns its index, which stays its name for good. A file an earlier
    /// page left half uploaded (same name, size, date and type) comes back resumable.
    pub fn add_file(&self, file: P::File, described: Described) -> Result<usize, UploadError> {
        let core = &self.inner.core;
        let checkpoint_key = core
            .options
            .checkpoint_max_age_ms
            .map(|_| described.checkpoint_key(core.options.sts));
        let Described {
            name,
            size,
            content_type,
            last_modified: _,
            meta,
        } = described;
        meta.check()?;
        if size == 0 {
            return Err(UploadError::new(
                Code::EmptyFile,
                format!("\"{name}\" is empty; OSS cannot take an empty video"),
            ));
        }
        let mut plan = Plan::new(size, core.options.part_size)?;
        // The server's parts were cut by the earlier page's part size: keep it.
        let resumable = checkpoint_key
            .as_ref()
            .and_then(|key| core.checkpoints.find(&core.platform, key))
            .filter(|checkpoint| checkpoint.loaded <= size)
            .and_then(|checkpoint| {
                let earlier = Plan::new(size, checkpoint.part_size).ok()?;
                Some((checkpoint, earlier))
            });
        let phase = match resumable {
            Some((checkpoint, earlier)) => {
                plan = earlier;
                Phase::Resumable(checkpoint)
            }
            None => Phase::Ready,
        };
        let index = self.inner.next_index.get();
        self.inner.next_index.set(index + 1);
        self.inner.files.borrow_mut().push(Entry {
            index,
            file,
            name,
            size,
            content_type,
            plan,
            resumed: matches!(phase, Phase::Resumable(_)),
            phase,
            shown: Cell::new(0),
            checkpoint_key,
            meta,
        });
        Ok(index)
    }

    pub fn list_files(&self) -> Vec<FileInfo> {
        self.inner.files.borrow().iter().map(Entry::info).collect()
    }

    pub fn is_running(&self) -> bool {
        self.inner.run.borrow().is_some()
    }

    /// Uploads every ready file and resumes stopped ones from their last completed part.
    pub fn start(&self) -> Result<(), UploadError> {
        if self.is_running() {
            return Err(UploadError::new(
                Code::AlreadyStarted,
                "start() was called while uploading; stop() first",
            ));
        }
        self.inner.launch();
        Ok(())
    }

    /// Stops now: requests in flight are aborted, completed parts are kept for `start()`.
    pub fn stop(&self) {
        self.inner.halt();
        self.inner.park();
    }

    /// Takes a file out of the list; an upload under way stops, and a multipart upload that
    /// is open is aborted on the server.
    pub fn delete_file(&self, index: usize) -> Result<(), UploadError> {
        let position = self
            .inner
            .files
            .borrow()
            .iter()
            .position(|e| e.index == index);
        let Some(position) = position else {
            return Err(UploadError::new(
                Code::NoSuchFile,
                format!("there is no file with index {index}"),
            ));
        };
        let entry = self.inner.files.borrow_mut().remove(position);
        let session = match entry.phase {
            Phase::Uploading(live) => {
                // Its transfer alone stops; the other files go on.
                live.cancel.cancel();
                live.session.borrow_mut().take()
            }
            Phase::Stopped(session) => session,
            Phase::Expired(session) => session,
            Phase::Ready | Phase::Resumable(_) | Phase::Success(_) | Phase::Failure(..) => None,
        };
        self.inner
            .abort(session.and_then(open_upload), entry.checkpoint_key);
        Ok(())
    }

    /// New credentials after `onUploadTokenExpired`: the upload goes on where it stopped, or
    /// from the start at the object new credentials name.
    pub fn resume_with_token(&self, grant: Grant) -> Result<(), UploadError> {
        let core = &self.inner.core;
        let now = core.platform.now_ms();
        let mut files = self.inner.files.borrow_mut();
        let Some(entry) = files
            .iter_mut()
            .find(|e| matches!(e.phase, Phase::Expired(_)))
        else {
            return Err(UploadError::new(
                Code::NotExpired,
                "no upload is waiting for new credentials",
            ));
        };
        let Phase::Expired(session) = ::core::mem::replace(&mut entry.phase, Phase::Ready) else {
            unreachable!("found above");
        };
        let from_sts = session
            .as_ref()
            .map_or(core.options.sts, |s| s.credentials.from_sts);
        let (session, left) = match (grant, session) {
            (Grant::Sts(token), session) if from_sts || session.is_none() => {
                source::hold(core, token);
                (session, None)
            }
            (Grant::Auth(auth), Some(mut session)) if !from_sts => {
                session.credentials.auth = auth;
                session.received_ms = now;
                (Some(session), None)
            }
            (Grant::Credentials(credentials), session) => {
                let mut left = None;
                let session = match session {
                    Some(mut s) if s.credentials.address == credentials.address => {
                        s.credentials = credentials;
                        s.received_ms = now;
                        s
                    }
                    old => {
                        left = old.and_then(open_upload);
                        Session::new(credentials, now)
                    }
                };
                (Some(session), left)
            }
            (_, session) => {
                let wanted = match (&session, from_sts) {
                    (None, _) => "an STS token, or an UploadAuth with its UploadAddress",
                    (_, true) => "a new STS token ({ AccessKeyId, AccessKeySecret, SecurityToken, Expiration })",
                    (_, false) => "a refreshed UploadAuth, or an UploadAuth with its UploadAddress",
                };
                entry.phase = Phase::Expired(session);
                return Err(UploadError::new(
                    Code::InvalidArgument,
                    format!("resumeUploadWithToken takes {wanted} for this file"),
                ));
            }
        };
        entry.phase = Phase::Stopped(session);
        drop(files);
        // Moved to another object: the old upload is of no more use (best effort, as its
        // credentials have most likely expired).
        self.inner.abort(left, None);
        if !self.is_running() {
            self.inner.launch();
        }
        Ok(())
    }
}
