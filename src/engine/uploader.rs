//! The file list and the controls: add, delete, list, start, stop, resume with a new token.
//! One runner at a time uploads the files in the order they were added, each file prepared
//! while the one before it still sends; stopping the runner is dropping it, which drops its
//! transfers and every request in flight.

use ::core::cell::{Cell, RefCell};
use alloc::rc::{Rc, Weak};
use alloc::{boxed::Box, format, string::String, vec::Vec};

use super::checkpoint::Fingerprint;
use super::core::{Core, Notice, Queued};
use super::file::{Activity, Entry, Live, Phase, Session};
use super::signal::{Flag, Pass};
use super::source;
use super::task::{race, Cancel, Either, Set};
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
    /// The runner under way, if any.
    run: RefCell<Option<Cancel>>,
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
        let cancel = Cancel::default();
        *self.run.borrow_mut() = Some(cancel.clone());
        let task = cancel.wrap(run(self.clone()));
        self.core.platform.spawn(Box::pin(async move {
            task.await;
        }));
    }

    /// Drops the runner, if one is running.
    fn halt(&self) {
        if let Some(cancel) = self.run.borrow_mut().take() {
            cancel.cancel();
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
            self.core.notify(entry.index, Notice::Started);
        }
        let index = entry.index;
        let weak = Rc::downgrade(self);
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
            pass: Pass::default(),
        };
        Some((job, cancel))
    }

    /// Records how a file's transfer ended; true if its credentials expired.
    fn finish(&self, index: usize, outcome: Outcome) -> bool {
        let (phase, notice, open) = match outcome {
            Outcome::Succeeded(credentials) => (
                Phase::Success(credentials.destination()),
                Notice::Succeeded,
                None,
            ),
            Outcome::Expired(session) => (Phase::Expired(session), Notice::TokenExpired, None),
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
                    Notice::Failed(error),
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
        self.core.notify(index, notice);
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

/// Uploads the ready and stopped files in order until none is left, or credentials expire.
/// A file begins (credentials, Initiate) once the file before it sends its parts, and sends
/// its own once that one has sent its last, so the link does not idle between files.
async fn run<P: Platform>(inner: Rc<Inner<P>>) {
    let mut running = Set::default();
    // The turn the next file will wait for, and when it may begin: when the newest file
    // running has its own turn.
    let mut turn = Flag::raised_already();
    let mut begin_next = Flag::raised_already();
    let mut finished_any = false;
    loop {
        if begin_next.is_raised() {
            if let Some((job, cancel)) = inner.next_job(turn.clone()) {
                begin_next = ::core::mem::replace(&mut turn, job.pass.flag());
                let core = inner.core.clone();
                running.push(cancel.wrap(async move {
                    let outcome = transfer::upload(&core, &job).await;
                    (job.index, outcome)
                }));
                continue;
            }
        }
        let ended = if begin_next.is_raised() {
            running.next().await
        } else {
            match race(running.next(), begin_next.raised()).await {
                Either::Left(ended) => ended,
                Either::Right(()) => continue,
            }
        };
        match ended {
            None => break,
            // Deleted: the list has forgotten it.
            Some(None) => {}
            Some(Some((index, outcome))) => {
                finished_any = true;
                if inner.finish(index, outcome) {
                    // Everything stops where it is until the page brings new credentials.
                    drop(running);
                    inner.park();
                    inner.run.borrow_mut().take();
                    return;
                }
            }
        }
    }
    inner.run.borrow_mut().take();
    let all_done = {
        let files = inner.files.borrow();
        !files.is_empty()
            && files
                .iter()
                .all(|e| matches!(e.phase, Phase::Success(_) | Phase::Failure(..)))
    };
    // A start() with nothing left to do says nothing, so onUploadEnd may call start().
    if all_done && finished_any {
        inner.core.notify_end();
    }
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
            }
        });
        Ok(Uploader { inner })
    }

    /// The next event for the page, if any. The platform calls this after `wake`, holding
    /// nothing of the engine, so the page's callback may call any method of the uploader.
    pub fn poll_event(&self) -> Option<Event> {
        loop {
            let (index, notice) = match self.inner.core.pop()? {
                Queued::End => return Some(Event::End),
                Queued::About(index, notice) => (index, notice),
            };
            // Events of a file deleted meanwhile are dropped.
            let Some(info) = self.inner.info(index) else {
                continue;
            };
            return Some(match notice {
                Notice::Started => Event::Started(info),
                Notice::Progress => Event::Progress(info),
                Notice::Succeeded => Event::Succeeded(info),
                Notice::Failed(error) => Event::Failed(info, error),
                Notice::TokenExpired => Event::TokenExpired(info),
                Notice::Retry(error) => Event::Retry(info, error),
                Notice::RetryResume => Event::RetryResume(info),
            });
        }
    }

    /// Queues a file; returns its index, which stays its name for good. A file an earlier
    /// page left half uploaded (same name, size, date and type) comes back resumable.
    pub fn add_file(&self, file: P::File, described: Described) -> Result<usize, UploadError> {
        let Described {
            name,
            size,
            content_type,
            last_modified,
            meta,
        } = described;
        meta.check()?;
        if size == 0 {
            return Err(UploadError::new(
                Code::EmptyFile,
                format!("\"{name}\" is empty; OSS cannot take an empty video"),
            ));
        }
        let core = &self.inner.core;
        let mut plan = Plan::new(size, core.options.part_size)?;
        let checkpoint_key = core.options.checkpoint_max_age_ms.map(|_| {
            Fingerprint {
                sts: core.options.sts,
                name: &name,
                size,
                last_modified,
                content_type: &content_type,
            }
            .key()
        });
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
