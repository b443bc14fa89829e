//! Parts hashed and sent off the page's thread, in a dedicated Worker that runs this same wasm
//! module: the page posts it the module it already compiled (nothing is downloaded or compiled
//! twice), each `File` once, then jobs: which bytes to hash, or which bytes to send with a signed
//! request (UploadPart, PutObject). The worker reads the bytes itself and answers with the digest,
//! or with the server's answer; the page's thread handles a few small messages per part. The
//! worker's script is written into a `Blob`, so there is no file to host.
//!
//! Where the browser or a Content-Security-Policy refuses the worker (or the wasm in it), parts
//! are hashed and sent on the page instead, after one note on the console. The worker is let go
//! when the uploader rests (stopped, or the list ended), so none is left running.

use alloc::boxed::Box;
use alloc::rc::{Rc, Weak};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::ops::Range;

use js_sys::Array;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker};

use super::blob::{read_pieces, slice};
use super::http::{fetch, init, transport_error, AbortOnDrop};
use super::message::{self, FromWorker, Slice, ToWorker};
use crate::engine::{Digest, Done, Hashed, Hasher};
use crate::error::TransportError;
use crate::oss::request::Request;
use crate::oss::response::Response;
use crate::vec_map::VecMap;

/// The worker's script; what it is posted and answers is `message.rs`. It hashes a slice in
/// pieces read into buffers taken from a pool and given back, one per part being read, so that
/// hashing gigabytes leaves no garbage behind. The module's imports are never called by the
/// hashing exports; each is a stub that throws, should that ever change. (These lines are here,
/// not in the script, because the script is carried inside the wasm.)
const SCRIPT: &str = include_str!("worker.js");

/// Work for the worker on a slice of a file, kept until the worker answers, so that the page can
/// do it instead.
pub struct Job {
    /// A `File`, which the worker keeps for its next parts; or a stream's part, given once.
    pub file: Blob,
    pub keep: bool,
    pub bytes: Range<u64>,
    pub work: Work,
}

pub enum Work {
    Hash {
        digest: Digest,
        done: Done<Result<Hashed, TransportError>>,
    },
    /// `request` with the bytes as its body.
    Send {
        request: Request,
        done: Done<Result<Response, TransportError>>,
    },
}

/// The worker and what it has been given.
struct Running {
    worker: Worker,
    url: String,
    /// The worker has the module instantiated: jobs may go.
    ready: bool,
    /// Jobs given to the worker, or waiting for it to be ready, with their ids.
    jobs: Vec<(u32, Job)>,
    /// Files the worker was given, by key (their position).
    files: Vec<Blob>,
}

enum State {
    /// No worker: none was needed yet, or the uploader rested.
    Idle,
    Running(Box<Running>),
    /// Workers are refused here: parts are hashed and sent on the page.
    Refused,
}

/// What one uploader gives off the page's thread: to its worker, or, where there is none, back
/// to the page.
pub struct Offload {
    state: RefCell<State>,
    /// Buffers that reads of parts on the page fill and hand back: one per part being read at
    /// once, however many parts a file has.
    pieces: RefCell<Vec<js_sys::ArrayBuffer>>,
    next_id: Cell<u32>,
    /// Sends the page made in the worker's stead, by job id: dropping one aborts it.
    on_page_sends: RefCell<VecMap<u32, AbortOnDrop>>,
    /// Parts hashed on the page's thread, for the tests.
    #[cfg(feature = "probes")]
    pub hashed_on_page: Cell<u32>,
    /// Parts sent from the page's thread, for the tests.
    #[cfg(feature = "probes")]
    pub sent_on_page: Cell<u32>,
    /// Jobs the worker is to fail on purpose, for the tests of the fallback.
    #[cfg(feature = "probes")]
    pub fail: Cell<u32>,
    /// The worker's message and error handlers; they live as long as the uploader, so that no
    /// handler is dropped while it runs.
    listener: Closure<dyn FnMut(MessageEvent)>,
    error: Closure<dyn FnMut()>,
}

impl Offload {
    /// The worker's handlers hold the offload weakly: the uploader's page owns it.
    pub fn new() -> Rc<Offload> {
        Rc::new_cyclic(|offload: &Weak<Offload>| {
            let weak = offload.clone();
            let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(offload) = weak.upgrade() {
                    answered(&offload, &event.data());
                }
            });
            let weak = offload.clone();
            let error = Closure::<dyn FnMut()>::new(move || {
                if let Some(offload) = weak.upgrade() {
                    refused(&offload, "its script was refused");
                }
            });
            Offload {
                state: RefCell::new(State::Idle),
                pieces: RefCell::default(),
                next_id: Cell::new(0),
                on_page_sends: RefCell::default(),
                #[cfg(feature = "probes")]
                hashed_on_page: Cell::new(0),
                #[cfg(feature = "probes")]
                sent_on_page: Cell::new(0),
                #[cfg(feature = "probes")]
                fail: Cell::new(0),
                listener,
                error,
            }
        })
    }
}

/// A send given to the worker (or to the page in its stead) under `id`: dropping it aborts it.
pub struct Given {
    offload: Weak<Offload>,
    id: u32,
}

impl Drop for Given {
    fn drop(&mut self) {
        if let Some(offload) = self.offload.upgrade() {
            abort(&offload, self.id);
        }
    }
}

/// Sends a request with a slice of a file as its body, from the worker.
pub fn send(offload: &Rc<Offload>, job: Job) -> Given {
    Given {
        offload: Rc::downgrade(offload),
        id: give(offload, job),
    }
}

/// Gives a job to the worker, starting it if need be; to the page where workers are refused.
/// Its id.
pub fn give(offload: &Rc<Offload>, job: Job) -> u32 {
    let id = offload.next_id.get();
    offload.next_id.set(id.wrapping_add(1));
    let mut state = offload.state.borrow_mut();
    if matches!(*state, State::Idle) {
        *state = match start(offload) {
            Ok(running) => State::Running(Box::new(running)),
            Err(reason) => {
                if let Some(reason) = reason {
                    note(&reason);
                }
                State::Refused
            }
        };
    }
    match &mut *state {
        State::Running(running) => {
            running.jobs.push((id, job));
            if running.ready {
                running.post(id, offload);
            }
        }
        _ => {
            drop(state);
            on_page(offload, id, job);
        }
    }
    id
}

/// Does a job on the page's thread.
fn on_page(offload: &Rc<Offload>, id: u32, job: Job) {
    match job.work {
        Work::Hash { digest, done } => hash_on_page(offload, job.file, job.bytes, digest, done),
        Work::Send { request, done } => {
            send_on_page(offload, id, &job.file, job.bytes, request, done)
        }
    }
}

/// Hashes a part on the page's thread: where a worker is refused, or its answer lost.
fn hash_on_page(
    offload: &Rc<Offload>,
    file: Blob,
    bytes: Range<u64>,
    digest: Digest,
    done: Done<Result<Hashed, TransportError>>,
) {
    #[cfg(feature = "probes")]
    offload.hashed_on_page.set(offload.hashed_on_page.get() + 1);
    let blob = slice(&file, bytes);
    let offload = offload.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let mut hasher = Hasher::new(digest);
        let read = read_pieces(&blob, &offload.pieces, &mut |piece| hasher.update(piece)).await;
        done(read.map(|()| hasher.finish()).map_err(transport_error))
    });
}

/// Sends a part from the page's thread, in the worker's stead (job `id`): where a worker is
/// refused, or it went while the part was under way. Kept until answered or aborted.
fn send_on_page(
    offload: &Rc<Offload>,
    id: u32,
    file: &Blob,
    bytes: Range<u64>,
    request: Request,
    done: Done<Result<Response, TransportError>>,
) {
    #[cfg(feature = "probes")]
    offload.sent_on_page.set(offload.sent_on_page.get() + 1);
    let sending = AbortOnDrop::new();
    let signal = sending.signal();
    offload.on_page_sends.borrow_mut().insert(id, sending);
    let body = slice(file, bytes);
    let offload = Rc::downgrade(offload);
    wasm_bindgen_futures::spawn_local(async move {
        let answer = fetch(request, Some(body), signal).await;
        if let Some(offload) = offload.upgrade() {
            offload.on_page_sends.borrow_mut().remove(&id);
        }
        done(answer)
    });
}

/// The job is no longer wanted: a send is aborted, wherever it runs.
fn abort(offload: &Rc<Offload>, id: u32) {
    if let State::Running(running) = &mut *offload.state.borrow_mut() {
        if let Some(at) = running.jobs.iter().position(|(i, _)| *i == id) {
            running.jobs.swap_remove(at);
            if running.ready {
                let _ = ToWorker::Abort(id).post(&running.worker);
            }
        }
    }
    offload.on_page_sends.borrow_mut().remove(&id);
}

/// A worker is running, for the tests that check nothing is left running.
#[cfg(feature = "probes")]
pub fn running(offload: &Offload) -> bool {
    matches!(*offload.state.borrow(), State::Running(_))
}

/// No part is to be hashed or sent for now: the worker goes.
pub fn rest(offload: &Offload) {
    let mut state = offload.state.borrow_mut();
    if let State::Running(running) = &*state {
        running.stop();
        *state = State::Idle;
    }
}

fn note(reason: &str) {
    web_sys::console::warn_1(
        &alloc::format!("vod-upload: parts are hashed and sent on the page's thread: the browser refused a Worker ({reason}); a Content-Security-Policy must allow worker-src blob: and 'wasm-unsafe-eval'").into(),
    );
}

/// The page's compiled module, where wasm-bindgen can give it.
#[cfg(feature = "worker")]
fn module() -> Option<JsValue> {
    Some(wasm_bindgen::module())
}

#[cfg(not(feature = "worker"))]
fn module() -> Option<JsValue> {
    None
}

/// A worker given the module; why not, if the browser refused one (`None`: this build has no
/// module to give, which needs no note).
fn start(offload: &Offload) -> Result<Running, Option<String>> {
    let module = module().ok_or(None)?;
    let refused = |e: JsValue| Some(super::js::describe(&e));
    let url = script_url().ok_or_else(|| Some("no blob: URL".into()))?;
    let worker = Worker::new(&url).map_err(refused)?;
    worker.set_onmessage(Some(offload.listener.as_ref().unchecked_ref()));
    worker.set_onerror(Some(offload.error.as_ref().unchecked_ref()));
    if let Err(e) = ToWorker::Start(&module).post(&worker) {
        worker.terminate();
        let _ = Url::revoke_object_url(&url);
        return Err(refused(e));
    }
    Ok(Running {
        worker,
        url,
        ready: false,
        jobs: Vec::new(),
        files: Vec::new(),
    })
}

impl Running {
    /// Posts job `id`, with its file if the worker does not have it yet.
    #[cfg_attr(not(feature = "probes"), allow(unused_variables))]
    fn post(&mut self, id: u32, offload: &Offload) {
        let Some((_, job)) = self.jobs.iter().find(|(i, _)| *i == id) else {
            return;
        };
        let file: &JsValue = job.file.as_ref();
        let known = job.keep.then(|| {
            let known = self
                .files
                .iter()
                .position(|f| AsRef::<JsValue>::as_ref(f) == file);
            let key = known.unwrap_or_else(|| {
                self.files.push(job.file.clone());
                self.files.len() - 1
            });
            (key as u32, known.is_some())
        });
        let slice = Slice {
            id,
            key: known.map(|(key, _)| key),
            file: (!known.is_some_and(|(_, given)| given)).then_some(&job.file),
            bytes: job.bytes.clone(),
        };
        let message = match &job.work {
            Work::Hash { digest, .. } => {
                #[cfg(feature = "probes")]
                let fail = offload.fail.get() > 0;
                #[cfg(feature = "probes")]
                offload.fail.set(offload.fail.get().saturating_sub(1));
                #[cfg(not(feature = "probes"))]
                let fail = false;
                ToWorker::Hash {
                    slice,
                    md5: *digest == Digest::Md5,
                    fail,
                }
            }
            Work::Send { request, .. } => ToWorker::Send {
                slice,
                url: &request.url,
                init: init(request),
            },
        };
        let _ = message.post(&self.worker);
    }

    fn stop(&self) {
        self.worker.terminate();
        let _ = Url::revoke_object_url(&self.url);
    }
}

/// The worker said something: it is ready, it failed, or a job's answer.
fn answered(offload: &Rc<Offload>, data: &JsValue) {
    let Some(message) = FromWorker::read(data) else {
        return;
    };
    let mut state = offload.state.borrow_mut();
    let State::Running(running) = &mut *state else {
        return;
    };
    let (id, done) = match message {
        FromWorker::Ready => {
            running.ready = true;
            let ids: Vec<u32> = running.jobs.iter().map(|(id, _)| *id).collect();
            ids.into_iter().for_each(|id| running.post(id, offload));
            return;
        }
        FromWorker::Failed(reason) => {
            drop(state);
            return refused(offload, &reason);
        }
        FromWorker::Done(id, done) => (id, done),
    };
    let Some(at) = running.jobs.iter().position(|(i, _)| *i == id) else {
        return;
    };
    let (_, job) = running.jobs.swap_remove(at);
    drop(state);
    match job.work {
        Work::Hash {
            digest,
            done: hashed,
        } => match done.ok().and_then(message::digest) {
            Some(bytes) => hashed(Ok(digest_of(&bytes, digest))),
            // The worker could not read the part; the page may still: a part is never left
            // unchecked.
            None => hash_on_page(offload, job.file, job.bytes, digest, hashed),
        },
        Work::Send { done: answered, .. } => {
            let answer = done.and_then(|value| {
                message::response(&value)
                    .ok_or_else(|| "the worker's answer was not understood".to_string())
            });
            answered(answer.map_err(|message| TransportError { message }))
        }
    }
}

/// The worker cannot work here: it goes, and its jobs are done on the page, now and after.
fn refused(offload: &Rc<Offload>, reason: &str) {
    let jobs = {
        let mut state = offload.state.borrow_mut();
        let State::Running(running) = core::mem::replace(&mut *state, State::Refused) else {
            return;
        };
        running.stop();
        running.jobs
    };
    note(reason);
    for (id, job) in jobs {
        on_page(offload, id, job);
    }
}

/// The worker's script as a `blob:` URL.
fn script_url() -> Option<String> {
    let parts = Array::of1(&JsValue::from_str(SCRIPT));
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    Url::create_object_url_with_blob(&blob).ok()
}

/// Bytes the worker answered, as a digest.
fn digest_of(bytes: &[u8], digest: Digest) -> Hashed {
    match digest {
        Digest::Crc64 => {
            let mut word = [0u8; 8];
            for (to, from) in word.iter_mut().zip(bytes) {
                *to = *from;
            }
            Hashed::Crc64(u64::from_le_bytes(word))
        }
        Digest::Md5 => Hashed::Md5(crate::encoding::hex(bytes)),
    }
}
