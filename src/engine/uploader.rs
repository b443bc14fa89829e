//! The file list and the controls: add, delete, list, start, stop, resume with a new token.
//! One runner at a time uploads the files in the order they were added.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use futures_util::future::{AbortHandle, Abortable};

use super::transfer::{self, Outcome};
use super::{Credentials, Event, FileInfo, FileState, Options, Plan, Platform};
use crate::auth::UploadAuth;
use crate::error::{code, UploadError};

pub struct Uploader<P: Platform> {
    inner: Rc<Inner<P>>,
}

pub(super) struct Inner<P: Platform> {
    pub platform: P,
    pub options: Options,
    files: RefCell<Vec<Entry<P::File>>>,
    next_index: Cell<usize>,
    run: RefCell<Option<Run>>,
    /// Server time minus local time, learnt from `RequestTimeTooSkewed`.
    pub clock_offset_ms: Cell<f64>,
}

/// The runner under way. Cancelling it sets `cancelled` (no new request starts) and aborts
/// its task (every request in flight is dropped, which aborts it).
struct Run {
    abort: AbortHandle,
    cancelled: Rc<Cell<bool>>,
}

pub(super) struct Entry<F> {
    pub index: usize,
    pub file: F,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub plan: Plan,
    pub state: FileState,
    /// Bytes of the parts in `done`.
    pub loaded: u64,
    /// The most ever reported, so progress never goes backwards.
    pub shown: u64,
    pub credentials: Option<Credentials>,
    pub upload_id: Option<String>,
    /// Parts the server acknowledged, with their ETags.
    pub done: BTreeMap<u32, String>,
    pub error: Option<UploadError>,
    pub started: bool,
    /// A retry happened and no request has succeeded since.
    pub retrying: bool,
}

impl<F> Entry<F> {
    fn info(&self) -> FileInfo {
        let address = self.credentials.as_ref().map(|c| &c.address);
        FileInfo {
            index: self.index,
            name: self.name.clone(),
            size: self.size,
            state: self.state,
            loaded: self.shown,
            percent: self.shown as f64 * 100.0 / self.size.max(1) as f64,
            video_id: self.credentials.as_ref().and_then(|c| c.video_id.clone()),
            bucket: address.map(|a| a.bucket.clone()),
            object: address.map(|a| a.file_name.clone()),
            error_code: self.error.as_ref().map(|e| e.code.to_string()),
            error_message: self.error.as_ref().map(|e| e.message.clone()),
        }
    }
}

impl<P: Platform> Inner<P> {
    /// Changes a file, if it is still in the list.
    pub fn update<R>(
        &self,
        index: usize,
        change: impl FnOnce(&mut Entry<P::File>) -> R,
    ) -> Option<R> {
        self.files
            .borrow_mut()
            .iter_mut()
            .find(|e| e.index == index)
            .map(change)
    }

    pub fn info(&self, index: usize) -> Option<FileInfo> {
        self.update(index, |e| e.info())
    }

    /// Emits an event about a file; no state is borrowed while the page's callback runs.
    pub fn emit_about(&self, index: usize, event: impl FnOnce(FileInfo) -> Event) {
        if let Some(info) = self.info(index) {
            self.platform.emit(event(info));
        }
    }

    fn launch(self: &Rc<Self>) {
        let (abort, registration) = AbortHandle::new_pair();
        let cancelled = Rc::new(Cell::new(false));
        *self.run.borrow_mut() = Some(Run {
            abort,
            cancelled: cancelled.clone(),
        });
        let task = Abortable::new(run(self.clone(), cancelled), registration);
        self.platform.spawn(Box::pin(async move {
            let _ = task.await;
        }));
    }

    /// Cancels the runner; true if one was running.
    fn halt(&self) -> bool {
        let run = self.run.borrow_mut().take();
        if let Some(run) = &run {
            run.cancelled.set(true);
            run.abort.abort();
        }
        run.is_some()
    }

    /// Forgets the runner if it is still the one with this flag.
    fn finish_run(&self, cancelled: &Rc<Cell<bool>>) {
        let mut run = self.run.borrow_mut();
        if run
            .as_ref()
            .is_some_and(|r| Rc::ptr_eq(&r.cancelled, cancelled))
        {
            *run = None;
        }
    }
}

/// Uploads the ready and stopped files in order until none is left, or credentials expire.
async fn run<P: Platform>(inner: Rc<Inner<P>>, cancelled: Rc<Cell<bool>>) {
    loop {
        let next = inner
            .files
            .borrow()
            .iter()
            .find(|e| matches!(e.state, FileState::Ready | FileState::Stopped))
            .map(|e| e.index);
        let Some(index) = next else { break };
        let outcome = transfer::upload(&inner, &cancelled, index).await;
        let expired = outcome == Outcome::Expired;
        if cancelled.get() && !expired {
            // Stopped or deleted meanwhile; whoever did it has set the state.
            return;
        }
        let (state, error) = match outcome {
            Outcome::Succeeded => (FileState::Success, None),
            Outcome::Failed(e) => (FileState::Failure, Some(e)),
            Outcome::Expired => (FileState::Expired, None),
        };
        inner.update(index, |e| {
            e.state = state;
            e.error = error.clone();
        });
        if expired {
            // The upload stops where it is until the page brings new credentials.
            inner.finish_run(&cancelled);
            inner.emit_about(index, Event::TokenExpired);
            return;
        }
        match error {
            None => inner.emit_about(index, Event::Succeeded),
            Some(error) => inner.emit_about(index, |info| Event::Failed(info, error)),
        }
    }
    inner.finish_run(&cancelled);
    let files = inner.files.borrow();
    let all_done = !files.is_empty()
        && files
            .iter()
            .all(|e| matches!(e.state, FileState::Success | FileState::Failure));
    drop(files);
    if all_done {
        inner.platform.emit(Event::End);
    }
}

impl<P: Platform> Uploader<P> {
    pub fn new(platform: P, options: Options) -> Result<Uploader<P>, UploadError> {
        options.check()?;
        Ok(Uploader {
            inner: Rc::new(Inner {
                platform,
                options,
                files: RefCell::default(),
                next_index: Cell::new(0),
                run: RefCell::default(),
                clock_offset_ms: Cell::new(0.0),
            }),
        })
    }

    /// Queues a file; returns its index, which stays its name for good.
    pub fn add_file(
        &self,
        file: P::File,
        name: String,
        size: u64,
        content_type: String,
    ) -> Result<usize, UploadError> {
        if size == 0 {
            return Err(UploadError::new(
                code::EMPTY_FILE,
                format!("\"{name}\" is empty; OSS cannot take an empty video"),
            ));
        }
        let plan = Plan::new(size, self.inner.options.part_size)?;
        let index = self.inner.next_index.get();
        self.inner.next_index.set(index + 1);
        self.inner.files.borrow_mut().push(Entry {
            index,
            file,
            name,
            size,
            content_type,
            plan,
            state: FileState::Ready,
            loaded: 0,
            shown: 0,
            credentials: None,
            upload_id: None,
            done: BTreeMap::new(),
            error: None,
            started: false,
            retrying: false,
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
                code::ALREADY_STARTED,
                "start() was called while uploading; stop() first",
            ));
        }
        self.inner.launch();
        Ok(())
    }

    /// Stops now: requests in flight are aborted, completed parts are kept for `start()`.
    pub fn stop(&self) {
        self.inner.halt();
        for entry in self.inner.files.borrow_mut().iter_mut() {
            if entry.state == FileState::Uploading {
                entry.state = FileState::Stopped;
                entry.retrying = false;
            }
        }
    }

    /// Takes a file out of the list; an upload under way stops and its multipart upload is
    /// aborted on the server.
    pub fn delete_file(&self, index: usize) -> Result<(), UploadError> {
        let position = self
            .inner
            .files
            .borrow()
            .iter()
            .position(|e| e.index == index);
        let Some(position) = position else {
            return Err(UploadError::new(
                code::NO_SUCH_FILE,
                format!("there is no file with index {index}"),
            ));
        };
        let uploading = self.inner.files.borrow()[position].state == FileState::Uploading;
        let was_running = uploading && self.inner.halt();
        let entry = self.inner.files.borrow_mut().remove(position);
        if let (Some(upload_id), Some(credentials), false) = (
            entry.upload_id,
            entry.credentials,
            entry.state == FileState::Success,
        ) {
            self.inner.platform.spawn(Box::pin(transfer::abort(
                self.inner.clone(),
                credentials,
                upload_id,
            )));
        }
        if was_running {
            self.inner.launch();
        }
        Ok(())
    }

    /// New credentials after `onUploadTokenExpired`: the upload goes on where it stopped.
    pub fn resume_with_token(&self, auth: UploadAuth) -> Result<(), UploadError> {
        let resumed = self
            .inner
            .files
            .borrow_mut()
            .iter_mut()
            .find(|e| e.state == FileState::Expired)
            .map(|e| {
                if let Some(c) = e.credentials.as_mut() {
                    c.auth = auth;
                }
                e.state = FileState::Stopped;
            });
        if resumed.is_none() {
            return Err(UploadError::new(
                code::NOT_EXPIRED,
                "no upload is waiting for new credentials",
            ));
        }
        if !self.is_running() {
            self.inner.launch();
        }
        Ok(())
    }
}
