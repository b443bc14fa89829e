//! One file's upload as a state machine, sans I/O. It owns the file's session (credentials and
//! open multipart upload), its requests and reads, and moves from stage to stage as answers,
//! hashes, the page's credentials and timers come in (methods taking `&mut Shared`, which
//! queues what is to be done). When it ends it hands back an [`Outcome`].
//!
//! The stages: credentials (first ones, or an earlier page's video's), ListParts (and, for an
//! earlier page's upload, the MD5 of its first and last part), Initiate, the parts `parallel`
//! at a time (one PutObject for a file of one part), Complete, and the object's CRC-64; HeadObject
//! when Complete's answer was lost. Beside them, credentials are renewed ahead of expiry.

use alloc::{format, string::String, vec::Vec};

use super::call::{Answer, Call, State, What};
use super::checkpoint::Checkpoint;
use super::exchange::{Next, Stop, Tried};
use super::ids::{AskId, ReadId, RequestId};
use super::output::AskFor;
use super::output::{Digest, Out};
use super::session::{Activity, FileData, OpenUpload, Session, Wait};
use super::shared::Shared;
use super::source::{Granted, Obtain, Purpose, Step, Unavailable};
use super::{Credentials, Event, Grant};
use crate::crc64;
use crate::encoding::decimal;
use crate::error::{Code, TransportError, UploadError};
use crate::oss::response::{classify, Failure, ListedPart, Response};
use crate::vec_map::VecMap;

pub(super) enum Outcome {
    Succeeded(Credentials),
    /// Failed for good. The session, if credentials were had: its multipart upload, if one
    /// is open, is to be aborted.
    Failed(UploadError, Option<Session>),
    /// The credentials expired and could not be renewed; no session if the STS token failed
    /// before any credentials came.
    Expired(Option<Session>),
}

/// Where the upload stands; each stage owns what is valid in it.
enum Stage {
    /// Credentials for an earlier page's video are asked for.
    Resume(Checkpoint),
    /// Credentials are asked for.
    Allocate,
    /// The parts the server holds are listed, page by page; `verify`: they are an earlier
    /// page's, to be checked against the file.
    List {
        listed: Vec<ListedPart>,
        verify: bool,
    },
    /// An earlier page's first and last parts, to be read (MD5) and compared with their ETags.
    Verify {
        ends: Vec<(u32, String)>,
    },
    Initiate,
    /// Parts are sent: once the file has its turn, `parallel` at a time. A file of one part with
    /// no upload open is one PutObject.
    Parts {
        next: u32,
        sending: VecMap<u32, Sending>,
    },
    Complete,
    /// Complete's answer was lost: HeadObject tells whether the server holds the file; if not,
    /// the upload stops as `otherwise` says.
    Confirm {
        otherwise: Stop,
    },
    /// The object's CRC-64 is combined from its parts' (reading from the file those not hashed
    /// yet, one at a time) and compared with the server's.
    Object {
        server: u64,
        /// After HeadObject: the object's size, and how the upload stops if it is not the file.
        confirming: Option<(u64, Stop)>,
        next: u32,
        whole: u64,
    },
}

/// A part on its way: its request is among the calls.
#[derive(Default)]
struct Sending {
    /// Its bytes' CRC-64, once read (`Some(None)`: not checked).
    crc: Option<Option<u64>>,
    /// What the server stored, once answered.
    stored: Option<crate::oss::response::Stored>,
    /// Times it arrived damaged and was sent again.
    damaged: u32,
}

pub(super) struct Transfer {
    stage: Stage,
    pub session: Option<Session>,
    calls: Vec<Call>,
    /// Reads under way: read id → part number.
    reads: VecMap<ReadId, u32>,
    /// Credentials being asked for: first ones, an earlier page's video's, or renewed ones.
    obtain: Option<Obtain>,
    pub activity: Activity,
    /// Counts renewals, so that requests that met expired credentials renew them once.
    generation: u32,
    skew_corrected: bool,
    /// Started over once already because the server lost the upload.
    restarted: bool,
    /// The last part is under way (or the file ended): the next file has its turn.
    pub passed: bool,
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

/// What an input came to: `Some` when the upload ended.
type Flow = Option<Outcome>;

impl Transfer {
    /// A new upload of a file: its credentials are asked for first.
    pub fn new() -> Transfer {
        Transfer::at(Stage::Allocate)
    }

    /// An earlier page's upload: its video's credentials are asked for first.
    pub fn resume(checkpoint: Checkpoint) -> Transfer {
        Transfer::at(Stage::Resume(checkpoint))
    }

    /// An upload stopped on this page goes on with its session.
    pub fn go_on(session: Session, cx: &mut Shared, data: &FileData) -> Transfer {
        let mut transfer = Transfer::new();
        transfer.session = Some(session);
        transfer.start_upload(cx, data, false);
        transfer
    }

    fn at(stage: Stage) -> Transfer {
        Transfer {
            stage,
            session: None,
            calls: Vec::new(),
            reads: VecMap::default(),
            obtain: None,
            activity: Activity::Sending,
            generation: 0,
            skew_corrected: false,
            restarted: false,
            passed: false,
        }
    }

    /// Where an earlier page's upload went, while its credentials are asked for.
    pub fn resuming(&self) -> Option<&Checkpoint> {
        match &self.stage {
            Stage::Resume(checkpoint) if self.session.is_none() => Some(checkpoint),
            _ => None,
        }
    }

    fn session(&mut self) -> &mut Session {
        // Only stages with a session get here.
        self.session.as_mut().unwrap_or_else(|| unreachable!())
    }

    fn upload(&mut self) -> &mut OpenUpload {
        // Only stages with an open upload get here.
        self.session()
            .upload
            .as_mut()
            .unwrap_or_else(|| unreachable!())
    }

    fn call(&mut self, what: What, cx: &Shared) {
        self.calls.push(Call::new(what, cx.options.retry_count));
    }

    /// Drops every request and read, aborting those in flight.
    fn drop_calls(&mut self, cx: &mut Shared) {
        for call in self.calls.drain(..) {
            if let Some(id) = call.in_flight() {
                cx.out.push_back(Out::Cancel(id));
            }
        }
        self.reads = VecMap::default();
    }

    /// Stopped or deleted: hands back its session, every request in flight aborted.
    pub fn stop(mut self, cx: &mut Shared) -> Option<Session> {
        self.drop_calls(cx);
        self.session
    }

    /// With a session: the upload proper, from where the session is. `listed`: the open
    /// upload's parts are what the server holds.
    fn start_upload(&mut self, cx: &mut Shared, data: &FileData, listed: bool) {
        let open = self.session().upload.is_some();
        self.stage = match (open, listed) {
            (true, false) => {
                self.call(What::ListParts { marker: 0 }, cx);
                Stage::List {
                    listed: Vec::new(),
                    verify: false,
                }
            }
            (false, _) if data.plan.count > 1 => {
                self.call(What::Initiate, cx);
                Stage::Initiate
            }
            _ => Stage::Parts {
                next: 1,
                sending: VecMap::default(),
            },
        };
    }

    /// Works the stage on as far as it can go without an answer: asks for credentials, sends
    /// parts once the file has its `turn`, renews credentials that are due.
    pub fn poll(&mut self, cx: &mut Shared, data: &FileData, turn: bool) -> Option<Outcome> {
        let wait = cx.wait_reason();
        if self.obtain.is_none() {
            let purpose = match &self.stage {
                Stage::Allocate => Some(Purpose::Allocate),
                Stage::Resume(_) if self.session.is_none() => Some(Purpose::Resume),
                _ if self.renewal_wanted(cx) => Some(Purpose::Renew),
                _ => None,
            };
            if let Some(purpose) = purpose {
                match wait {
                    Some(wait) => self.waiting(cx, data, wait),
                    None => {
                        self.network_back(cx, data);
                        if let Err(stop) = self.obtain(cx, data, purpose) {
                            return self.stopped(cx, data, stop);
                        }
                    }
                }
            }
        }
        if turn {
            self.send_parts(cx, data);
        }
        None
    }

    /// Renewal is wanted: a request met expired credentials, or they are due.
    fn renewal_wanted(&self, cx: &Shared) -> bool {
        let Some(session) = &self.session else {
            return false;
        };
        self.calls.iter().any(|c| c.state == State::Renewing)
            || (self.keeps_fresh(cx) && cx.now >= self.refresh_due(cx, session))
    }

    /// Renews ahead of expiry: credentials that can be renewed, once an upload is under way.
    fn keeps_fresh(&self, cx: &Shared) -> bool {
        !matches!(self.stage, Stage::Resume(_) | Stage::Allocate)
            && self
                .session
                .as_ref()
                .is_some_and(|s| super::source::can_renew(cx, &s.credentials))
    }

    fn refresh_due(&self, cx: &Shared, session: &Session) -> f64 {
        session.refresh_due_ms(cx.options.timeout_ms, cx.clock_offset_ms)
    }

    /// The file waits for the network; the page hears of it once.
    pub fn waiting(&mut self, cx: &mut Shared, data: &FileData, wait: Wait) {
        if !matches!(self.activity, Activity::Waiting(_)) {
            self.activity = Activity::Waiting(wait);
            cx.notify(Event::Retry(data.index, wait_error(wait)));
        }
    }

    /// The network may be used again: the page hears of it if the file was waiting.
    pub fn network_back(&mut self, cx: &mut Shared, data: &FileData) {
        if matches!(self.activity, Activity::Waiting(_)) {
            self.activity = Activity::Sending;
            cx.notify(Event::RetryResume(data.index));
        }
    }

    /// Starts the next parts while this file's share of slots allows.
    fn send_parts(&mut self, cx: &mut Shared, data: &FileData) {
        let Stage::Parts { next, sending } = &mut self.stage else {
            return;
        };
        let plan = data.plan;
        let put = self.session.as_ref().is_some_and(|s| s.upload.is_none());
        let done = |n: &u32| {
            self.session
                .as_ref()
                .and_then(|s| s.upload.as_ref())
                .is_some_and(|u| u.parts.contains_key(n))
        };
        let mut started = Vec::new();
        while sending.len() < cx.options.parallel {
            while *next <= plan.count && done(next) {
                *next += 1;
            }
            if *next > plan.count {
                break;
            }
            sending.insert(*next, Sending::default());
            started.push(*next);
            *next += 1;
        }
        while *next <= plan.count && done(next) {
            *next += 1;
        }
        let finished = *next > plan.count && sending.is_empty();
        self.passed |= *next > plan.count;
        for number in started {
            let what = if put { What::Put } else { What::Part(number) };
            self.call(what, cx);
            self.hash(cx, data, number);
        }
        if finished {
            self.complete(cx);
        }
    }

    /// Reads a part's CRC-64 from the file, when checks are on.
    fn hash(&mut self, cx: &mut Shared, data: &FileData, number: u32) {
        if !cx.options.check_crc64 {
            if let Some(part) = self.sending(number) {
                part.crc = Some(None);
            }
            return;
        }
        self.read(cx, data, number, Digest::Crc64);
    }

    fn read(&mut self, cx: &mut Shared, data: &FileData, number: u32, digest: Digest) {
        let id = cx.read_id();
        self.reads.insert(id, number);
        cx.out.push_back(Out::Read {
            id,
            file: data.index,
            bytes: data.plan.part(number),
            digest,
        });
    }

    /// Every part is acknowledged: Complete.
    fn complete(&mut self, cx: &mut Shared) {
        self.call(What::Complete, cx);
        self.stage = Stage::Complete;
    }

    /// The requests ready to go out, in order.
    pub fn queued(&self) -> impl Iterator<Item = usize> + '_ {
        self.calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.state == State::Queued)
            .map(|(i, _)| i)
    }

    pub fn has_queued(&self) -> bool {
        self.queued().next().is_some()
    }

    pub fn in_flight(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| c.in_flight().is_some())
            .count()
    }

    /// Builds the request of call `at`: signed with the file's credentials (OSS) or the STS
    /// token (VOD; `None` when the call must wait for a token). The body is the part's bytes.
    pub fn request(
        &mut self,
        at: usize,
        cx: &mut Shared,
        data: &FileData,
    ) -> Option<(crate::oss::request::Request, Option<core::ops::Range<u64>>)> {
        let what = self.calls[at].what.clone();
        if self.calls[at].is_vod() {
            let came = ::core::mem::take(&mut self.calls[at].token_came);
            let token = match (came, &cx.sts) {
                (true, Some(token)) => token.clone(),
                _ => cx.token()?,
            };
            let server_ms = cx.server_now_ms();
            let nonce = cx.nonce();
            let on = super::call::Vod {
                endpoint: &cx.options.vod_endpoint,
                name: &data.name,
                size: data.size,
                meta: &data.meta,
                image: data.image.as_deref(),
            };
            return Some((what.vod_request(&on, &token, server_ms, &nonce), None));
        }
        let session = self.session.as_ref()?;
        let parts: Vec<(u32, String)> = match what {
            What::Complete => session.upload.as_ref().map_or(Vec::new(), |u| {
                u.parts.iter().map(|(n, e)| (*n, e.clone())).collect()
            }),
            _ => Vec::new(),
        };
        let on = super::call::Oss {
            credentials: &session.credentials,
            content_type: &data.content_type,
            upload_id: session.upload.as_ref().map(|u| u.id.as_str()),
            parts: &parts,
        };
        let request = what.oss_request(&on, &cx.http_date())?;
        let body = match what {
            What::Part(n) => Some(data.plan.part(n)),
            What::Put => Some(0..data.size),
            _ => None,
        };
        Some((request, body))
    }

    /// Call `at` went out as request `id`.
    pub fn sent(&mut self, at: usize, id: RequestId, cx: &Shared) {
        self.calls[at].state = State::InFlight {
            id,
            deadline: cx.now + cx.options.timeout_ms as f64,
            generation: self.generation,
        };
    }

    /// A VOD call must wait for the page's STS token.
    pub fn needs_token(&mut self, at: usize) {
        self.calls[at].state = State::NeedsToken;
    }

    /// The page's STS token came (`true`) or could not be had.
    pub fn token_came(&mut self, cx: &mut Shared, data: &FileData, came: bool) -> Option<Outcome> {
        let mut waited = false;
        for call in &mut self.calls {
            if call.state == State::NeedsToken {
                call.state = State::Queued;
                call.token_came = came;
                waited = true;
            }
        }
        if came || !waited {
            return None;
        }
        self.calls.retain(|c| !c.is_vod());
        self.obtained(cx, data, Err(Unavailable::NoToken))
    }

    /// Whether request `id` is this file's.
    pub fn sent_request(&self, id: RequestId) -> bool {
        self.calls.iter().any(|c| c.in_flight() == Some(id))
    }

    /// Whether read `id` is this file's.
    pub fn reading(&self, id: ReadId) -> bool {
        self.reads.contains_key(&id)
    }

    /// Whether ask `id` is this file's.
    pub fn asking(&self, id: AskId) -> bool {
        self.obtain.as_ref().is_some_and(|o| o.asked(id))
    }

    /// Request `id` was answered, or failed on the way.
    pub fn answered(
        &mut self,
        cx: &mut Shared,
        data: &FileData,
        id: RequestId,
        result: Result<Response, TransportError>,
    ) -> Option<Outcome> {
        let at = self.calls.iter().position(|c| c.in_flight() == Some(id))?;
        let tried = match result {
            Ok(answer) => self.judge(at, cx, answer),
            Err(_) if cx.wait_reason().is_some() => Err(Tried::NetworkGone),
            Err(transport) => Err(Tried::Failed(
                Failure::Transient,
                UploadError::new(Code::NetworkError, transport.message),
            )),
        };
        match tried {
            Ok(answer) => {
                let call = self.calls.remove(at);
                if self.activity == Activity::Retrying && !call.is_vod() {
                    self.activity = Activity::Sending;
                    cx.notify(Event::RetryResume(data.index));
                }
                self.accepted(cx, data, call.what, answer)
            }
            Err(tried) => self.tried(cx, data, at, tried),
        }
    }

    /// Reads an answer as call `at` expects it; a failure as what it is.
    fn judge(&self, at: usize, cx: &Shared, answer: Response) -> Result<Answer, Tried> {
        let call = &self.calls[at];
        if call.is_vod() {
            return crate::vod::response::read(answer.status, &answer.body)
                .map(|a| Answer::Allocated(alloc::boxed::Box::new(a)))
                .map_err(|refused| {
                    // VOD quotes the string it signed, security token and all: not for the page.
                    let token = cx.sts.as_ref().map_or("", |t| t.security_token.as_str());
                    let encoded = crate::vod::signature::encode(token);
                    let secrets: &[&str] = match token {
                        "" => &[],
                        _ => &[&encoded, token],
                    };
                    let error = refused.error.without(secrets);
                    let failure = match (refused.token_expired, refused.transient) {
                        (true, _) => Failure::Expired,
                        (_, true) => Failure::Transient,
                        _ => Failure::Fatal,
                    };
                    Tried::Failed(failure, error)
                });
        }
        let session = self.session.as_ref();
        let secrets = |error: UploadError| match session {
            // Should the server quote the credentials, the page is not shown them.
            Some(s) => {
                let auth = &s.credentials.auth;
                error.without(&[&auth.access_key_secret, &auth.security_token])
            }
            None => error,
        };
        if !(200..300).contains(&answer.status) {
            let (failure, error) = classify(&answer);
            return Err(Tried::Failed(failure, secrets(error)));
        }
        let at_destination = session.map(|s| s.credentials.destination());
        // OSS calls are made with a session.
        let destination = at_destination.as_ref().unwrap_or_else(|| unreachable!());
        call.what
            .read(&answer, destination)
            .map_err(|broken| Tried::Failed(Failure::Transient, broken))
    }

    /// A try of call `at` ended as `tried`: its exchange says what next.
    fn tried(
        &mut self,
        cx: &mut Shared,
        data: &FileData,
        at: usize,
        tried: Tried,
    ) -> Option<Outcome> {
        let generation = match self.calls[at].state {
            State::InFlight { generation, .. } => generation,
            _ => self.generation,
        };
        let vod = self.calls[at].is_vod();
        // VOD's answers carry no clock to correct by.
        let mut corrected = self.skew_corrected || vod;
        let next = self.calls[at].exchange.step(tried, &mut corrected);
        if !vod {
            self.skew_corrected = corrected;
        }
        let state = match next {
            Next::Send => State::Queued,
            Next::Retry { retries, error } => {
                if !vod {
                    self.activity = Activity::Retrying;
                }
                cx.notify(Event::Retry(data.index, error));
                State::Backoff {
                    until: cx.now + cx.backoff_ms(retries) as f64,
                }
            }
            Next::Renew if vod => {
                cx.sts = None;
                State::Queued
            }
            Next::Renew if generation != self.generation => State::Queued,
            Next::Renew => {
                let session = self.session.as_ref()?;
                let credentials = &session.credentials;
                if !super::source::can_renew(cx, credentials) && !credentials.from_sts {
                    return self.stopped(cx, data, Stop::Expired);
                }
                State::Renewing
            }
            Next::CorrectClock { server_ms } => {
                cx.clock_offset_ms = server_ms - cx.now;
                State::Queued
            }
            Next::Stop(stop) => {
                let call = self.calls.remove(at);
                return self.call_stopped(cx, data, call.what, stop);
            }
        };
        self.calls[at].state = state;
        None
    }

    /// Call `what` stopped short.
    fn call_stopped(
        &mut self,
        cx: &mut Shared,
        data: &FileData,
        what: What,
        stop: Stop,
    ) -> Option<Outcome> {
        match (what, &self.stage, stop) {
            (What::Create | What::Refresh { .. }, _, stop) => {
                let unavailable = match stop {
                    Stop::Failed(e) | Stop::Unanswered(e) | Stop::Gone(e, _) => {
                        Unavailable::Failed(e)
                    }
                    Stop::Expired => Unavailable::NoToken,
                };
                self.obtained(cx, data, Err(unavailable))
            }
            // The answer was lost or broken, and the server may have completed the object.
            (What::Complete, _, stop @ (Stop::Unanswered(_) | Stop::Gone(_, true))) => {
                let otherwise = match stop {
                    Stop::Gone(error, _) => Stop::Gone(error, false),
                    stop => stop,
                };
                self.call(What::Head, cx);
                self.stage = Stage::Confirm { otherwise };
                None
            }
            (What::Head, Stage::Confirm { .. }, stop @ Stop::Expired) => {
                self.stopped(cx, data, stop)
            }
            (What::Head, Stage::Confirm { .. }, _) => {
                let Stage::Confirm { otherwise } =
                    core::mem::replace(&mut self.stage, Stage::Complete)
                else {
                    unreachable!() // matched above
                };
                self.stopped(cx, data, otherwise)
            }
            (What::ListParts { .. }, Stage::List { verify: true, .. }, stop) => {
                // An earlier page's upload that cannot be listed: forget it.
                cx.forget(data);
                self.drop_calls(cx);
                match stop {
                    Stop::Gone(..) => {
                        self.session().upload = None;
                        self.start_upload(cx, data, false);
                    }
                    _ => {
                        self.session = None;
                        self.stage = Stage::Allocate;
                    }
                }
                None
            }
            (_, _, stop) => self.stopped(cx, data, stop),
        }
    }

    /// The upload as a whole stops short: started over where that helps, else it ends.
    fn stopped(&mut self, cx: &mut Shared, data: &FileData, stop: Stop) -> Option<Outcome> {
        match stop {
            Stop::Expired => {
                self.drop_calls(cx);
                Some(Outcome::Expired(self.session.take()))
            }
            Stop::Failed(error) | Stop::Unanswered(error) => {
                self.drop_calls(cx);
                Some(Outcome::Failed(error, self.session.take()))
            }
            Stop::Gone(error, _) => {
                // Start the file over, once; what was reported stays reported.
                self.session().upload = None;
                if self.restarted {
                    self.drop_calls(cx);
                    return Some(Outcome::Failed(error, self.session.take()));
                }
                self.restarted = true;
                self.restart(cx, data);
                None
            }
        }
    }

    /// Starts the upload over from its session, dropping what is under way.
    fn restart(&mut self, cx: &mut Shared, data: &FileData) {
        self.drop_calls(cx);
        self.start_upload(cx, data, false);
    }

    /// Call `what` was answered as it wants: the stage goes on.
    fn accepted(&mut self, cx: &mut Shared, data: &FileData, what: What, answer: Answer) -> Flow {
        match (what, answer) {
            (_, Answer::Allocated(allocated)) => {
                let credentials = self.obtain.as_ref()?.allocated(*allocated);
                self.obtained(cx, data, Ok(credentials))
            }
            (What::Initiate, Answer::UploadId(id)) => {
                self.session().upload = Some(OpenUpload::new(id));
                self.save_checkpoint(cx, data);
                self.stage = Stage::Parts {
                    next: 1,
                    sending: VecMap::default(),
                };
                None
            }
            (What::ListParts { marker }, Answer::Listed(parts, next)) => {
                let Stage::List { listed, verify } = &mut self.stage else {
                    return None;
                };
                listed.extend(parts);
                if let Some(next) = next.filter(|next| *next > marker) {
                    self.call(What::ListParts { marker: next }, cx);
                    return None;
                }
                let (listed, verify) = (core::mem::take(listed), *verify);
                self.take_listed(data, listed);
                if verify {
                    self.verify(cx, data)
                } else {
                    self.start_upload(cx, data, true);
                    None
                }
            }
            (what @ (What::Put | What::Part(_)), Answer::Stored(stored)) => {
                let number = match what {
                    What::Part(n) => n,
                    _ => 1,
                };
                let part = self.sending(number)?;
                part.stored = Some(stored);
                self.part_done(cx, data, number)
            }
            (What::Complete, Answer::Completed(crc)) => match cx.server_crc(crc) {
                Some(server) if cx.options.check_crc64 => {
                    self.stage = Stage::Object {
                        server,
                        confirming: None,
                        next: 1,
                        whole: crc64::checksum(&[]),
                    };
                    self.combine(cx, data, None)
                }
                _ => self.succeeded(cx),
            },
            (What::Head, Answer::Head(size, server)) => {
                let Stage::Confirm { otherwise } =
                    core::mem::replace(&mut self.stage, Stage::Complete)
                else {
                    return None;
                };
                let Some(server) = server else {
                    return self.stopped(cx, data, otherwise);
                };
                self.stage = Stage::Object {
                    server,
                    confirming: Some((size, otherwise)),
                    next: 1,
                    whole: crc64::checksum(&[]),
                };
                self.combine(cx, data, None)
            }
            _ => None,
        }
    }

    fn succeeded(&mut self, cx: &mut Shared) -> Flow {
        self.drop_calls(cx);
        Some(Outcome::Succeeded(self.session.take()?.credentials))
    }

    fn sending(&mut self, number: u32) -> Option<&mut Sending> {
        match &mut self.stage {
            Stage::Parts { sending, .. } => sending.get_mut(&number),
            _ => None,
        }
    }

    /// A part's answer or hash came: once both are in, the part is checked and recorded, or
    /// sent again if it arrived damaged.
    fn part_done(&mut self, cx: &mut Shared, data: &FileData, number: u32) -> Flow {
        let retry_count = cx.options.retry_count;
        let part = self.sending(number)?;
        let (Some(local), true) = (part.crc, part.stored.is_some()) else {
            return None;
        };
        let stored = part.stored.take()?;
        let server = cx.server_crc(stored.crc64);
        if let (Some(local), Some(server)) = (local, server.filter(|s| Some(*s) != local)) {
            let error = UploadError::new(
                Code::Crc64Mismatch,
                format!(
                    "part {} of {} arrived damaged: its CRC-64 is {}, the server's {}",
                    decimal(number.into()),
                    decimal(data.plan.count.into()),
                    decimal(local),
                    decimal(server)
                ),
            );
            let part = self.sending(number)?;
            if part.damaged >= retry_count {
                return self.stopped(cx, data, Stop::Failed(error));
            }
            part.damaged += 1;
            self.activity = Activity::Retrying;
            cx.notify(Event::Retry(data.index, error));
            let what = match self.session.as_ref()?.upload {
                Some(_) => What::Part(number),
                None => What::Put,
            };
            self.call(what, cx);
            return None;
        }
        if let Stage::Parts { sending, .. } = &mut self.stage {
            sending.remove(&number);
        }
        let Some(upload) = self.session.as_mut()?.upload.as_mut() else {
            // A file of one part, in one request: nothing to resume, so no checkpoint.
            cx.notify(Event::Progress(data.index));
            return self.succeeded(cx);
        };
        let Some(etag) = stored.etag else {
            return self.stopped(
                cx,
                data,
                Stop::Failed(UploadError::new(
                    Code::CorsEtagNotExposed,
                    "the part was uploaded but its ETag header cannot be read: the bucket's CORS rule must expose ETag (ExposeHeader: ETag)",
                )),
            );
        };
        if let Some(crc) = local {
            upload.crcs.insert(number, crc);
        }
        if upload.parts.insert(number, etag).is_none() {
            upload.loaded += data.plan.len(number);
        }
        self.save_checkpoint(cx, data);
        cx.notify(Event::Progress(data.index));
        None
    }

    /// Takes the server's list of parts as the truth about what is done, so a resumed upload
    /// sends only what the server does not have. The CRCs checked on this page still hold for
    /// the parts the server lists as sent.
    fn take_listed(&mut self, data: &FileData, listed: Vec<ListedPart>) {
        let plan = data.plan;
        let session = self.session();
        let Some(previous) = session.upload.take() else {
            return;
        };
        let mut upload = OpenUpload::new(previous.id.clone());
        for part in listed {
            if (1..=plan.count).contains(&part.number) && part.size == plan.len(part.number) {
                if previous.parts.get(&part.number) == Some(&part.etag) {
                    if let Some(crc) = previous.crcs.get(&part.number) {
                        upload.crcs.insert(part.number, *crc);
                    }
                }
                upload.loaded += part.size;
                upload.parts.insert(part.number, part.etag);
            }
        }
        session.upload = Some(upload);
    }

    /// Checks that the first and the last part the server holds are this file's bytes: their
    /// MD5 must be their ETags.
    fn verify(&mut self, cx: &mut Shared, data: &FileData) -> Flow {
        let parts = &self.upload().parts;
        let mut ends: Vec<(u32, String)> = parts
            .iter()
            .take(1)
            .chain(parts.iter().next_back())
            .map(|(n, etag)| (*n, etag.clone()))
            .collect();
        ends.dedup();
        self.stage = Stage::Verify { ends };
        self.verify_next(cx, data)
    }

    fn verify_next(&mut self, cx: &mut Shared, data: &FileData) -> Flow {
        let Stage::Verify { ends } = &self.stage else {
            return None;
        };
        match ends.last() {
            Some((number, _)) => {
                let number = *number;
                self.read(cx, data, number, Digest::Md5);
            }
            None => self.start_upload(cx, data, true),
        }
        None
    }

    /// An earlier page's part read as `md5`: the upload goes on only if it is this file.
    fn verified(&mut self, cx: &mut Shared, data: &FileData, md5: Option<String>) -> Flow {
        let Stage::Verify { ends } = &mut self.stage else {
            return None;
        };
        let (_, etag) = ends.pop()?;
        let etag = crate::text::trim_end(crate::text::trim_start(&etag, "\""), "\"");
        if md5.is_some_and(|md5| etag.eq_ignore_ascii_case(&md5)) {
            return self.verify_next(cx, data);
        }
        // Another file with the same name, size and date: a new video for this one.
        cx.close(self.session.take(), data);
        self.stage = Stage::Allocate;
        None
    }

    /// Combines the object's CRC-64 from its parts', reading the next unknown one from the
    /// file; `read`: the CRC of part `next` just read (`Some(None)`: it could not be).
    fn combine(&mut self, cx: &mut Shared, data: &FileData, read: Option<Option<u64>>) -> Flow {
        let plan = data.plan;
        let crcs = self.session.as_ref()?.upload.as_ref()?.crcs.clone();
        let Stage::Object { next, whole, .. } = &mut self.stage else {
            return None;
        };
        let mut read = read;
        let local = loop {
            if *next > plan.count {
                break Some(*whole);
            }
            let crc = match (crcs.get(next), read.take()) {
                (Some(crc), _) => *crc,
                (None, Some(Some(crc))) => crc,
                (None, Some(None)) => break None,
                (None, None) => {
                    let number = *next;
                    self.read(cx, data, number, Digest::Crc64);
                    return None;
                }
            };
            *whole = crc64::combine(*whole, crc, plan.len(*next));
            *next += 1;
        };
        let Stage::Object {
            server, confirming, ..
        } = core::mem::replace(&mut self.stage, Stage::Complete)
        else {
            return None;
        };
        match (confirming, local) {
            (None, Some(local)) if local != server => self.stopped(
                cx,
                data,
                Stop::Failed(UploadError::new(
                    Code::Crc64Mismatch,
                    format!("the object on the server is not the file: its CRC-64 is {}, the file's {}", decimal(server), decimal(local)),
                )),
            ),
            (None, _) => self.succeeded(cx),
            (Some((_, otherwise)), None) => self.stopped(cx, data, otherwise),
            (Some((size, _)), Some(local)) if (size, server) != (data.size, local) => self.stopped(
                cx,
                data,
                Stop::Failed(UploadError::new(
                    Code::Crc64Mismatch,
                    format!(
                        "Complete's answer was lost, and the object on the server is not the file: {} bytes with CRC-64 {}, the file's {} with {}",
                        decimal(size), decimal(server), decimal(data.size), decimal(local)
                    ),
                )),
            ),
            (Some(_), Some(_)) => self.succeeded(cx),
        }
    }

    /// Read `id` ended: a part's CRC-64 or MD5, or `None` when the file could not be read.
    pub fn hashed(
        &mut self,
        cx: &mut Shared,
        data: &FileData,
        id: ReadId,
        hashed: Option<Hashed>,
    ) -> Flow {
        let number = self.reads.remove(&id)?;
        match (&self.stage, hashed) {
            (Stage::Verify { .. }, hashed) => {
                let md5 = match hashed {
                    Some(Hashed::Md5(md5)) => Some(md5),
                    _ => None,
                };
                self.verified(cx, data, md5)
            }
            (Stage::Object { .. }, hashed) => {
                let crc = match hashed {
                    Some(Hashed::Crc64(crc)) => Some(crc),
                    _ => None,
                };
                self.combine(cx, data, Some(crc))
            }
            (Stage::Parts { .. }, hashed) => {
                let crc = match hashed {
                    Some(Hashed::Crc64(crc)) => Some(crc),
                    _ => None,
                };
                // A file that cannot be read leaves the part unchecked.
                self.sending(number)?.crc = Some(crc);
                self.part_done(cx, data, number)
            }
            _ => None,
        }
    }

    /// Writes down where the upload is, at most once per acknowledged part.
    fn save_checkpoint(&mut self, cx: &mut Shared, data: &FileData) {
        let Some(key) = &data.checkpoint_key else {
            return;
        };
        let Some(session) = &self.session else {
            return;
        };
        let Some(upload) = &session.upload else {
            return;
        };
        let address = &session.credentials.address;
        let checkpoint = Checkpoint {
            video_id: session.credentials.video_id.clone(),
            endpoint: address.endpoint.clone(),
            bucket: address.bucket.clone(),
            object: address.file_name.clone(),
            upload_id: upload.id.clone(),
            part_size: data.plan.part_size,
            loaded: upload.loaded,
            saved_ms: cx.now as u64,
        };
        cx.out.push_back(Out::Store {
            key: key.clone(),
            value: checkpoint.encode(),
        });
    }

    /// The time has come: requests that ran out of time fail, backoffs end.
    pub fn timeout(&mut self, cx: &mut Shared, data: &FileData) -> Flow {
        let mut at = 0;
        while at < self.calls.len() {
            match self.calls[at].state {
                State::Backoff { until } if until <= cx.now => {
                    self.calls[at].state = State::Queued;
                }
                State::InFlight { id, deadline, .. } if deadline <= cx.now => {
                    cx.out.push_back(Out::Cancel(id));
                    let message = match self.calls[at].is_vod() {
                        true => format!(
                            "VOD gave no answer within {} ms",
                            decimal(cx.options.timeout_ms.into())
                        ),
                        false => format!(
                            "no answer within {} ms",
                            decimal(cx.options.timeout_ms.into())
                        ),
                    };
                    let error = UploadError::new(Code::Timeout, message);
                    let before = self.calls.len();
                    if let Some(outcome) =
                        self.tried(cx, data, at, Tried::Failed(Failure::Transient, error))
                    {
                        return Some(outcome);
                    }
                    if self.calls.len() < before {
                        continue;
                    }
                }
                _ => {}
            }
            at += 1;
        }
        None
    }

    /// The network went: requests in flight are given up, to go out again once it is back.
    pub fn network_lost(&mut self, cx: &mut Shared, data: &FileData) -> Flow {
        let mut at = 0;
        while at < self.calls.len() {
            if let Some(id) = self.calls[at].in_flight() {
                cx.out.push_back(Out::Cancel(id));
                let before = self.calls.len();
                if let Some(outcome) = self.tried(cx, data, at, Tried::NetworkGone) {
                    return Some(outcome);
                }
                if self.calls.len() < before {
                    continue;
                }
            }
            at += 1;
        }
        None
    }

    /// When this upload next needs the time: a request's deadline, a backoff's end, renewal.
    pub fn deadline(&self, cx: &Shared) -> Option<f64> {
        let calls = self.calls.iter().filter_map(|c| match c.state {
            State::InFlight { deadline, .. } => Some(deadline),
            State::Backoff { until } => Some(until),
            _ => None,
        });
        // A renewal due while the network may not be used waits for the network's change.
        let refresh = match (&self.session, &self.obtain, cx.wait_reason()) {
            (Some(session), None, None) if self.keeps_fresh(cx) => {
                Some(self.refresh_due(cx, session))
            }
            _ => None,
        };
        calls.chain(refresh).reduce(f64::min)
    }
}

/// Getting credentials.
impl Transfer {
    fn obtain(&mut self, cx: &mut Shared, data: &FileData, purpose: Purpose) -> Result<(), Stop> {
        let base = match purpose {
            Purpose::Allocate => None,
            Purpose::Resume => {
                let Stage::Resume(checkpoint) = &self.stage else {
                    return Ok(());
                };
                Some(Credentials {
                    auth: Default::default(),
                    address: crate::auth::UploadAddress {
                        endpoint: checkpoint.endpoint.clone(),
                        bucket: checkpoint.bucket.clone(),
                        file_name: checkpoint.object.clone(),
                    },
                    video_id: checkpoint.video_id.clone(),
                    image: None,
                    from_sts: cx.options.sts,
                })
            }
            Purpose::Renew => {
                let credentials = &self.session().credentials;
                if !super::source::can_renew(cx, credentials) && !credentials.from_sts {
                    return Err(Stop::Expired);
                }
                Some(credentials.clone())
            }
        };
        let obtain = Obtain::new(purpose, base);
        let step = obtain.first(cx);
        self.obtain = Some(obtain);
        self.obtain_step(cx, data, step);
        Ok(())
    }

    fn obtain_step(&mut self, cx: &mut Shared, data: &FileData, step: Step) {
        let Some(obtain) = &mut self.obtain else {
            return;
        };
        match step {
            Step::Ask(ask) => {
                let id = cx.ask_id();
                obtain.asked = Some((id, ask));
                let ask = match ask {
                    AskFor::UploadAuth(()) => AskFor::UploadAuth(data.index),
                    AskFor::Refresh(()) => AskFor::Refresh(data.index),
                    AskFor::StsToken => AskFor::StsToken,
                };
                cx.out.push_back(Out::Ask { id, ask });
            }
            Step::Vod(what) => {
                obtain.asked = None;
                obtain.create = what == What::Create;
                self.call(what, cx);
            }
        }
    }

    /// The page answered ask `id`.
    pub fn granted(
        &mut self,
        cx: &mut Shared,
        data: &FileData,
        id: AskId,
        answer: Result<Grant, UploadError>,
    ) -> Flow {
        let obtain = self.obtain.as_ref().filter(|o| o.asked(id))?;
        match obtain.granted(answer) {
            Ok(credentials) => self.obtained(cx, data, Ok(credentials)),
            Err(Granted::Done(unavailable)) => self.obtained(cx, data, Err(unavailable)),
            Err(Granted::Token(token, step)) => {
                cx.hold(token);
                self.obtain_step(cx, data, step);
                None
            }
        }
    }

    /// Credentials came, or could not be had.
    fn obtained(
        &mut self,
        cx: &mut Shared,
        data: &FileData,
        result: Result<Credentials, Unavailable>,
    ) -> Flow {
        let obtain = self.obtain.take()?;
        match (obtain.purpose, result) {
            (Purpose::Allocate, Ok(credentials)) => {
                self.session = Some(Session::new(credentials, cx.now));
                self.start_upload(cx, data, false);
                None
            }
            (Purpose::Allocate, Err(Unavailable::NoToken)) => {
                self.drop_calls(cx);
                Some(Outcome::Expired(None))
            }
            // The request failed because the network went: wait and ask again.
            (Purpose::Allocate, Err(_)) if cx.wait_reason().is_some() => None,
            (Purpose::Allocate, Err(Unavailable::Failed(error))) => {
                self.drop_calls(cx);
                Some(Outcome::Failed(error, None))
            }
            (Purpose::Resume, Ok(credentials)) => {
                let Stage::Resume(checkpoint) =
                    core::mem::replace(&mut self.stage, Stage::Allocate)
                else {
                    return None;
                };
                let address = &credentials.address;
                let same_video = address.endpoint == checkpoint.endpoint
                    && address.bucket == checkpoint.bucket
                    && address.file_name == checkpoint.object;
                let upload = same_video.then(|| OpenUpload::new(checkpoint.upload_id));
                self.session = Some(Session {
                    credentials,
                    received_ms: cx.now,
                    upload,
                });
                if same_video {
                    self.call(What::ListParts { marker: 0 }, cx);
                    self.stage = Stage::List {
                        listed: Vec::new(),
                        verify: true,
                    };
                } else {
                    // The backend made a new video: upload into it from the start.
                    cx.forget(data);
                    self.start_upload(cx, data, false);
                }
                None
            }
            (Purpose::Resume, Err(_)) => {
                cx.forget(data);
                self.stage = Stage::Allocate;
                None
            }
            (Purpose::Renew, Ok(fresh)) => {
                let session = self.session.as_mut()?;
                let moved = fresh.address != session.credentials.address;
                let old = core::mem::replace(&mut session.credentials, fresh);
                session.received_ms = cx.now;
                self.generation += 1;
                for call in &mut self.calls {
                    if call.state == State::Renewing {
                        call.state = State::Queued;
                    }
                }
                if moved {
                    // The old credentials still reach the old upload, ahead of their expiry:
                    // it goes, and the file goes to its new object from the start.
                    if let Some(upload) = session.upload.take() {
                        cx.abort(old, upload.id);
                    }
                    self.restart(cx, data);
                }
                None
            }
            (Purpose::Renew, Err(_)) => self.stopped(cx, data, Stop::Expired),
        }
    }
}

/// A digest the platform read from the file.
#[derive(Clone, Debug, PartialEq)]
pub enum Hashed {
    Crc64(u64),
    /// Lowercase hex.
    Md5(String),
}
