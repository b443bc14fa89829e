//! One file's upload as a state machine, sans I/O. Its [`Stage`] owns what is valid in it: the
//! session once credentials came, the open multipart upload once there is one, and the work of
//! the moment; a stage becomes the next by assignment, and what it owned goes with it. Beside the
//! stage, [`Tasks`] holds what is under way whatever the stage: requests, reads, credentials asked
//! for. An input that ends the upload hands back an [`Outcome`], which owns what the stage kept.
//! Methods are handed the shared state (`&mut Shared`) and the [`Sink`] what is to be done is
//! written to.
//!
//! The stages: credentials (first ones, or an earlier page's video's), ListParts (and, for an
//! earlier page's upload, the MD5 of its first and last part), Initiate, the parts `parallel`
//! at a time (one PutObject for a file of one part), Complete, and the object's CRC-64; HeadObject
//! when Complete's answer was lost. Beside them, credentials are renewed ahead of expiry.
//!
//! Here: the stages, the transfer as the core drives it, and what `Tasks` does whatever the
//! stage. `answers.rs`: what an answer comes to; `credentials.rs`: getting credentials;
//! `sending.rs`: sending the parts and checking what arrived.

use alloc::{format, string::String, vec::Vec};

use super::call::{Oss, What};
use super::checkpoint::Checkpoint;
use super::exchange::{Stop, Tried};
use super::ids::{AskId, ReadId, RequestId};
use super::object::ObjectCheck;
use super::output::{Digest, Out, Sink};
use super::parts::Parts;
use super::requests::Requests;
use super::session::{Activity, FileData, Kept, OpenUpload, Session, Wait};
use super::shared::Shared;
use super::source::{Obtain, Unavailable};
use super::verify::Verify;
use super::{Credentials, Event, Grant};
use crate::encoding::decimal;
use crate::error::{Code, TransportError, UploadError};
use crate::oss::response::{Failure, ListedPart, Response};
use crate::vec_map::VecMap;

mod answers;
mod credentials;
mod sending;

pub(super) enum Outcome {
    Succeeded(Credentials),
    /// Failed for good, with what it kept if credentials were had: its multipart upload, if one
    /// is open, is to be aborted.
    Failed(UploadError, Option<Kept>),
    /// The credentials expired and could not be renewed; nothing kept if the STS token failed
    /// before any credentials came.
    Expired(Option<Kept>),
}

/// Where the upload stands; each stage owns what is valid in it. (A transfer is boxed in its
/// file's phase, so the sizes of the stages do not weigh on the list.)
#[allow(clippy::large_enum_variant)]
enum Stage {
    /// Credentials for an earlier page's video are asked for.
    Resume(Checkpoint),
    /// Credentials are asked for.
    Allocate,
    /// Credentials came: the upload proper.
    Granted(Session, Work),
}

/// What an upload with credentials does.
enum Work {
    /// A file of one part, in one PutObject, with no multipart upload.
    Put(Parts),
    /// InitiateMultipartUpload.
    Initiate,
    /// With a multipart upload open.
    Open(OpenUpload, Open),
}

/// What an upload with a multipart upload open does.
enum Open {
    /// The parts the server holds are listed, page by page; `verify`: they are an earlier
    /// page's, to be checked against the file.
    List {
        listed: Vec<ListedPart>,
        verify: bool,
    },
    /// An earlier page's first and last parts are read (MD5) and compared with their ETags.
    Verify(Verify),
    /// Parts are sent, once the file has its turn.
    Parts(Parts),
    Complete,
    /// Complete's answer was lost: HeadObject tells whether the server holds the file; if not,
    /// the upload stops as `otherwise` says.
    Confirm {
        otherwise: Stop,
    },
    /// The object's CRC-64 is checked.
    Object(ObjectCheck),
}

impl Stage {
    fn session(&self) -> Option<&Session> {
        match self {
            Stage::Granted(session, _) => Some(session),
            _ => None,
        }
    }

    fn upload(&self) -> Option<&OpenUpload> {
        match self {
            Stage::Granted(_, Work::Open(upload, _)) => Some(upload),
            _ => None,
        }
    }

    /// What a stage with a multipart upload open does.
    fn open(&mut self) -> Option<&mut Open> {
        match self {
            Stage::Granted(_, Work::Open(_, open)) => Some(open),
            _ => None,
        }
    }

    /// The parts on their way, in the stage that sends them.
    fn parts(&mut self) -> Option<&mut Parts> {
        match self {
            Stage::Granted(_, Work::Put(parts) | Work::Open(_, Open::Parts(parts))) => Some(parts),
            _ => None,
        }
    }

    /// What the file keeps when the upload stops here.
    fn kept(self) -> Option<Kept> {
        match self {
            Stage::Granted(session, work) => Some(Kept {
                session,
                upload: work.into_upload(),
            }),
            _ => None,
        }
    }
}

impl Work {
    fn into_upload(self) -> Option<OpenUpload> {
        match self {
            Work::Open(upload, _) => Some(upload),
            _ => None,
        }
    }
}

/// What a transfer has under way, whatever its stage.
struct Tasks {
    requests: Requests,
    /// Reads under way: read id → part number.
    reads: VecMap<ReadId, u32>,
    /// Credentials being asked for: first ones, an earlier page's video's, or renewed ones.
    obtain: Option<Obtain>,
    activity: Activity,
    /// Started over once already because the server lost the upload.
    restarted: bool,
    /// The last part is under way (or the file ended): the next file has its turn.
    passed: bool,
}

pub(super) struct Transfer {
    stage: Stage,
    tasks: Tasks,
}

/// How requests in flight were lost: their time ran out, or the network went.
#[derive(Clone, Copy)]
enum Lost {
    Time,
    Network,
}

/// What an input came to: `Some` when the upload ended.
type Flow = Option<Outcome>;

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

impl Transfer {
    /// A new upload of a file: its credentials are asked for first.
    pub fn new() -> Transfer {
        Transfer::at(Stage::Allocate)
    }

    /// An earlier page's upload: its video's credentials are asked for first.
    pub fn resume(checkpoint: Checkpoint) -> Transfer {
        Transfer::at(Stage::Resume(checkpoint))
    }

    /// An upload stopped on this page goes on with what it kept.
    pub fn go_on(kept: Kept, cx: &mut Shared, data: &FileData) -> Transfer {
        let mut tasks = Tasks::new();
        let work = tasks.begin(cx, data, kept.upload);
        Transfer {
            stage: Stage::Granted(kept.session, work),
            tasks,
        }
    }

    fn at(stage: Stage) -> Transfer {
        Transfer {
            stage,
            tasks: Tasks::new(),
        }
    }

    /// Where an earlier page's upload went, while its credentials are asked for.
    pub fn resuming(&self) -> Option<&Checkpoint> {
        match &self.stage {
            Stage::Resume(checkpoint) => Some(checkpoint),
            _ => None,
        }
    }

    pub fn session(&self) -> Option<&Session> {
        self.stage.session()
    }

    pub fn upload(&self) -> Option<&OpenUpload> {
        self.stage.upload()
    }

    pub fn activity(&self) -> Activity {
        self.tasks.activity
    }

    /// The last part is under way (or the file ended): the next file has its turn.
    pub fn passed(&self) -> bool {
        self.tasks.passed
    }

    /// Stopped or deleted: hands back what it keeps, every request in flight aborted.
    pub fn stop(mut self, out: &mut Sink) -> Option<Kept> {
        self.tasks.drop_calls(out);
        self.stage.kept()
    }

    /// Works the stage on as far as it can go without an answer: asks for credentials, sends
    /// parts once the file has its `turn`, renews credentials that are due.
    pub fn poll(&mut self, cx: &mut Shared, out: &mut Sink, data: &FileData, turn: bool) -> Flow {
        let ended = self.tasks.credentials(cx, out, data, &mut self.stage);
        if ended.is_none() && turn {
            self.tasks.send_parts(cx, out, data, &mut self.stage);
        }
        ended
    }

    /// The file waits for the network; the page hears of it once.
    pub fn waiting(&mut self, out: &mut Sink, data: &FileData, wait: Wait) {
        self.tasks.waiting(out, data, wait);
    }

    /// The network may be used again: the page hears of it if the file was waiting.
    pub fn network_back(&mut self, out: &mut Sink, data: &FileData) {
        self.tasks.network_back(out, data);
    }

    /// The requests ready to go out, in order.
    pub fn queued(&self) -> impl Iterator<Item = usize> + '_ {
        self.tasks.requests.queued()
    }

    pub fn has_queued(&self) -> bool {
        self.queued().next().is_some()
    }

    pub fn in_flight(&self) -> usize {
        self.tasks.requests.in_flight()
    }

    /// Builds the request of call `at`: signed with the file's credentials (OSS) or the STS
    /// token (VOD; `None` when the call must wait for a token). The body is the part's bytes.
    pub fn request(
        &mut self,
        at: usize,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
    ) -> Option<(crate::oss::request::Request, Option<core::ops::Range<u64>>)> {
        let call = self.tasks.requests.get_mut(at);
        let oss = match &call.what {
            What::Vod(vod) => {
                let came = ::core::mem::take(&mut call.token_came);
                let token = match (came, &cx.sts) {
                    (true, Some(token)) => token.clone(),
                    _ => cx.token(out)?,
                };
                let server_ms = cx.server_now_ms();
                let nonce = cx.nonce();
                let on = super::call::ForVod {
                    endpoint: &cx.options.vod_endpoint,
                    name: &data.name,
                    size: data.plan.size,
                    meta: &data.meta,
                    image: data.image.as_deref(),
                };
                return Some((vod.request(&on, &token, server_ms, &nonce), None));
            }
            What::Oss(oss) => oss.clone(),
        };
        let session = self.stage.session()?;
        let upload = self.stage.upload();
        let on = super::call::ForOss {
            credentials: &session.credentials,
            content_type: &data.content_type,
            upload_id: upload.map(|u| u.id.as_str()),
            parts: upload.map_or(&[], |u| u.parts.entries()),
        };
        let body = match oss {
            Oss::Part(n) => Some(data.plan.part(n)),
            Oss::Put => Some(0..data.plan.size),
            _ => None,
        };
        Some((oss.request(&on, &cx.http_date()), body))
    }

    /// Call `at` went out as request `id`.
    pub fn sent(&mut self, at: usize, id: RequestId, cx: &Shared) {
        self.tasks.requests.sent(at, id, cx);
    }

    /// A VOD call must wait for the page's STS token.
    pub fn needs_token(&mut self, at: usize) {
        self.tasks.requests.needs_token(at);
    }

    /// The page's STS token came (`true`) or could not be had.
    pub fn token_came(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        came: bool,
    ) -> Flow {
        if !self.tasks.requests.token_came(came) || came {
            return None;
        }
        self.tasks.requests.drop_vod();
        let unavailable = Err(Unavailable::NoToken);
        self.tasks
            .obtained(cx, out, data, &mut self.stage, unavailable)
    }

    /// Whether request `id` is this file's.
    pub fn sent_request(&self, id: RequestId) -> bool {
        self.tasks.requests.find(id).is_some()
    }

    /// Whether read `id` is this file's.
    pub fn reading(&self, id: ReadId) -> bool {
        self.tasks.reads.contains_key(&id)
    }

    /// Whether ask `id` is this file's.
    pub fn asking(&self, id: AskId) -> bool {
        self.tasks.obtain.as_ref().is_some_and(|o| o.asked(id))
    }

    /// Request `id` was answered, or failed on the way.
    pub fn answered(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        id: RequestId,
        result: Result<Response, TransportError>,
    ) -> Flow {
        self.tasks
            .answered(cx, out, data, &mut self.stage, id, result)
    }

    /// Read `id` ended: a part's CRC-64 or MD5, or `None` when the file could not be read.
    pub fn hashed(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        id: ReadId,
        hashed: Option<Hashed>,
    ) -> Flow {
        self.tasks
            .hashed(cx, out, data, &mut self.stage, id, hashed)
    }

    /// The page answered ask `id`.
    pub fn granted(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        id: AskId,
        answer: Result<Grant, UploadError>,
    ) -> Flow {
        self.tasks
            .granted(cx, out, data, &mut self.stage, id, answer)
    }

    /// The time has come: requests that ran out of time fail, backoffs end.
    pub fn timeout(&mut self, cx: &mut Shared, out: &mut Sink, data: &FileData) -> Flow {
        self.give_up(cx, out, data, Lost::Time)
    }

    /// The network went: requests in flight are given up, to go out again once it is back.
    pub fn network_lost(&mut self, cx: &mut Shared, out: &mut Sink, data: &FileData) -> Flow {
        self.give_up(cx, out, data, Lost::Network)
    }

    /// Gives up, one by one, the requests `lost` names, from where the last one was: each is
    /// aborted and tried as failed that way. The upload may end on the way.
    fn give_up(&mut self, cx: &mut Shared, out: &mut Sink, data: &FileData, lost: Lost) -> Flow {
        let (tasks, stage) = (&mut self.tasks, &mut self.stage);
        let mut at = 0;
        loop {
            let found = match lost {
                Lost::Time => tasks.requests.overdue(at, cx.now),
                Lost::Network => tasks.requests.flying(at),
            };
            let (i, id) = found?;
            out.push(Out::Cancel(id));
            let tried = match lost {
                Lost::Time => {
                    let limit = decimal(cx.options.timeout_ms.into());
                    let message = match tasks.requests.get(i).is_vod() {
                        true => format!("VOD gave no answer within {limit} ms"),
                        false => format!("no answer within {limit} ms"),
                    };
                    Tried::Failed(Failure::Transient, UploadError::new(Code::Timeout, message))
                }
                Lost::Network => Tried::NetworkGone,
            };
            let before = tasks.requests.len();
            if let Some(outcome) = tasks.tried(cx, out, data, stage, i, tried) {
                return Some(outcome);
            }
            at = if tasks.requests.len() < before {
                i
            } else {
                i + 1
            };
        }
    }

    /// When this upload next needs the time: a request's deadline, a backoff's end, renewal.
    pub fn deadline(&self, cx: &Shared) -> Option<f64> {
        // A renewal due while the network may not be used waits for the network's change.
        let refresh = match (self.stage.session(), &self.tasks.obtain, cx.wait_reason()) {
            (Some(session), None, None) => super::source::renewal_due(cx, session),
            _ => None,
        };
        self.tasks
            .requests
            .deadline()
            .into_iter()
            .chain(refresh)
            .reduce(f64::min)
    }
}

impl Tasks {
    fn new() -> Tasks {
        Tasks {
            requests: Requests::default(),
            reads: VecMap::default(),
            obtain: None,
            activity: Activity::Sending,
            restarted: false,
            passed: false,
        }
    }

    fn call(&mut self, what: What, cx: &Shared) {
        self.requests.push(what, cx);
    }

    /// Drops every request and read, aborting those in flight.
    fn drop_calls(&mut self, out: &mut Sink) {
        self.requests.clear(out);
        self.reads = VecMap::default();
    }

    /// The upload is over: every request is dropped, and what the stage kept is handed over.
    /// A transfer that hands back an [`Outcome`] is dropped by its file, so the stage left in
    /// its place is never read.
    fn end(&mut self, out: &mut Sink, stage: &mut Stage) -> Option<Kept> {
        self.drop_calls(out);
        core::mem::replace(stage, Stage::Allocate).kept()
    }

    /// The work of a session, from the multipart `upload` it has open, if any: that upload's
    /// parts are listed first.
    fn begin(&mut self, cx: &mut Shared, data: &FileData, upload: Option<OpenUpload>) -> Work {
        match upload {
            Some(upload) => {
                self.call(What::Oss(Oss::ListParts { marker: 0 }), cx);
                let list = Open::List {
                    listed: Vec::new(),
                    verify: false,
                };
                Work::Open(upload, list)
            }
            None if data.plan.count > 1 || data.stream => {
                self.call(What::Oss(Oss::Initiate), cx);
                Work::Initiate
            }
            None => Work::Put(Parts::new()),
        }
    }

    /// Starts the file over in a new multipart upload: what is under way is dropped, and the
    /// work it had (with the upload it held open, if any) handed back. A stream cannot once
    /// OSS acknowledged any of its bytes, on this page or an earlier one, as they are not kept:
    /// `None`, and nothing changes.
    fn start_over(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        work: &mut Work,
    ) -> Option<Work> {
        let acknowledged = matches!(work, Work::Open(upload, _) if !upload.parts.is_empty());
        if data.stream && (data.resumed || acknowledged) {
            return None;
        }
        self.drop_calls(out);
        let fresh = self.begin(cx, data, None);
        Some(core::mem::replace(work, fresh))
    }

    /// A stream's upload is lost (OSS lost it, it cannot be reached again, or renewed
    /// credentials name another object), and what OSS acknowledged of it is no longer kept: it
    /// fails.
    fn stream_lost(&mut self, out: &mut Sink, stage: &mut Stage) -> Flow {
        let error = UploadError::new(
            Code::StreamLost,
            "the stream's upload is lost, and the bytes OSS held of it are not kept",
        );
        Some(Outcome::Failed(error, self.end(out, stage)))
    }

    /// The file waits for the network; the page hears of it once.
    fn waiting(&mut self, out: &mut Sink, data: &FileData, wait: Wait) {
        if !matches!(self.activity, Activity::Waiting(_)) {
            self.activity = Activity::Waiting(wait);
            out.notify(Event::Retry(data.index, wait_error(wait)));
        }
    }

    /// The network may be used again: the page hears of it if the file was waiting.
    fn network_back(&mut self, out: &mut Sink, data: &FileData) {
        if matches!(self.activity, Activity::Waiting(_)) {
            self.activity = Activity::Sending;
            out.notify(Event::RetryResume(data.index));
        }
    }

    /// Reads a part of the file, to hash it.
    fn read(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        number: u32,
        digest: Digest,
    ) {
        let id = cx.read_id();
        self.reads.insert(id, number);
        out.push(Out::Read {
            id,
            file: data.index,
            bytes: data.plan.part(number),
            digest,
        });
    }
}

/// A digest the platform read from the file.
#[derive(Clone, Debug, PartialEq)]
pub enum Hashed {
    Crc64(u64),
    /// Lowercase hex.
    Md5(String),
}
