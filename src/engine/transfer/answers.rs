//! What an answer comes to: it is judged (an OSS answer against the session's credentials, a
//! VOD answer with the STS token's secrets left out), and either moves the stage on, or is a try
//! that failed, which the request's exchange turns into a retry, a renewal or a stop; a stop
//! may start the upload over or end it.

use alloc::vec::Vec;

use super::{Flow, Open, Outcome, Stage, Tasks, Work};
use crate::engine::call::{Answer, Oss, What};
use crate::engine::exchange::{Stop, Tried};
use crate::engine::ids::RequestId;
use crate::engine::object::ObjectCheck;
use crate::engine::output::Sink;
use crate::engine::parts::Parts;
use crate::engine::requests::After;
use crate::engine::session::{Activity, FileData, Kept, OpenUpload, Session};
use crate::engine::shared::Shared;
use crate::engine::source::{renewable, Unavailable};
use crate::engine::verify::Verify;
use crate::engine::Event;
use crate::error::{Code, TransportError, UploadError};
use crate::oss::response::{classify, Failure, ListedPart, Response};

impl Tasks {
    pub(super) fn answered(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        id: RequestId,
        result: Result<Response, TransportError>,
    ) -> Flow {
        let at = self.requests.find(id)?;
        let call = self.requests.get(at);
        let tried = match (result, &call.what, stage.session()) {
            (Err(_), ..) if cx.wait_reason().is_some() => Err(Tried::NetworkGone),
            (Err(transport), ..) => Err(Tried::Failed(
                Failure::Transient,
                UploadError::new(Code::NetworkError, transport.message),
            )),
            (Ok(answer), What::Vod(_), _) => judge_vod(cx, answer),
            (Ok(answer), What::Oss(oss), Some(session)) => judge_oss(oss, session, answer),
            // No OSS call is made without a session, nor outlives it: nothing waits for this.
            (Ok(_), What::Oss(_), None) => {
                self.requests.remove(at);
                return None;
            }
        };
        match tried {
            Ok(answer) => {
                let call = self.requests.remove(at);
                if self.activity == Activity::Retrying && !call.is_vod() {
                    self.activity = Activity::Sending;
                    out.notify(Event::RetryResume(data.index));
                }
                self.accepted(cx, out, data, stage, call.what, answer)
            }
            Err(tried) => self.tried(cx, out, data, stage, at, tried),
        }
    }

    /// A try of call `at` ended as `tried`: its exchange says what next.
    pub(super) fn tried(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        at: usize,
        tried: Tried,
    ) -> Flow {
        match self.requests.tried(at, tried, cx) {
            After::Again => None,
            After::Retry(error, vod) => {
                if !vod {
                    self.activity = Activity::Retrying;
                }
                out.notify(Event::Retry(data.index, error));
                None
            }
            After::Renew => match stage.session() {
                Some(s) if !renewable(cx, &s.credentials) => {
                    self.stopped(cx, out, data, stage, Stop::Expired)
                }
                _ => {
                    self.requests.wait_for_renewal(at);
                    None
                }
            },
            After::Stop(what, stop) => self.call_stopped(cx, out, data, stage, what, stop),
        }
    }

    /// Call `what` stopped short.
    fn call_stopped(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        what: What,
        stop: Stop,
    ) -> Flow {
        let verifying = matches!(
            stage,
            Stage::Granted(_, Work::Open(_, Open::List { verify: true, .. }))
        );
        match (what, stop) {
            (What::Vod(_), stop) => {
                let unavailable = match stop {
                    Stop::Failed(e) | Stop::Unanswered(e) | Stop::Gone(e, _) => {
                        Unavailable::Failed(e)
                    }
                    Stop::Expired => Unavailable::NoToken,
                };
                self.obtained(cx, out, data, stage, Err(unavailable))
            }
            // The answer was lost or broken, and the server may have completed the object.
            (What::Oss(Oss::Complete), stop @ (Stop::Unanswered(_) | Stop::Gone(_, true))) => {
                let Some(open) = stage.open() else {
                    return self.stopped(cx, out, data, stage, stop);
                };
                let otherwise = match stop {
                    Stop::Gone(error, _) => Stop::Gone(error, false),
                    stop => stop,
                };
                *open = Open::Confirm { otherwise };
                self.call(What::Oss(Oss::Head), cx);
                None
            }
            (What::Oss(Oss::Head), stop) => {
                let stop = match (stop, stage.open()) {
                    (Stop::Expired, _) => Stop::Expired,
                    // Taken as the stage leaves `Confirm`: what stays behind is never read.
                    (_, Some(Open::Confirm { otherwise })) => {
                        core::mem::replace(otherwise, Stop::Expired)
                    }
                    (stop, _) => stop,
                };
                self.stopped(cx, out, data, stage, stop)
            }
            (What::Oss(Oss::ListParts { .. }), stop) if verifying => {
                // An earlier page's upload that cannot be listed: forget it.
                out.forget(data);
                match (stop, &mut *stage) {
                    // Only a file's earlier upload is verified, and a file can start over.
                    (Stop::Gone(..), Stage::Granted(_, work)) => {
                        self.start_over(cx, out, data, work);
                    }
                    _ => {
                        self.drop_calls(out);
                        *stage = Stage::Allocate;
                    }
                }
                None
            }
            (_, stop) => self.stopped(cx, out, data, stage, stop),
        }
    }

    /// The upload as a whole stops short: started over where that helps, else it ends.
    pub(super) fn stopped(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        stop: Stop,
    ) -> Flow {
        match stop {
            Stop::Expired => Some(Outcome::Expired(self.end(out, stage))),
            Stop::Failed(error) | Stop::Unanswered(error) => {
                Some(Outcome::Failed(error, self.end(out, stage)))
            }
            Stop::Gone(error, _) => {
                // Start the file over, once, in a new multipart upload; what was reported
                // stays reported.
                if let (Stage::Granted(_, work), false) = (&mut *stage, self.restarted) {
                    if self.start_over(cx, out, data, work).is_some() {
                        self.restarted = true;
                        return None;
                    }
                    return self.stream_lost(out, stage);
                }
                let kept = self.end(out, stage).map(|k| Kept { upload: None, ..k });
                Some(Outcome::Failed(error, kept))
            }
        }
    }

    /// Call `what` was answered as it wants: the stage goes on.
    fn accepted(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        what: What,
        answer: Answer,
    ) -> Flow {
        match (what, answer) {
            (_, Answer::Allocated(allocated)) => {
                let credentials = self.obtain.as_ref()?.allocated(*allocated);
                self.obtained(cx, out, data, stage, Ok(credentials))
            }
            (What::Oss(Oss::Initiate), Answer::UploadId(id)) => {
                let Stage::Granted(session, work @ Work::Initiate) = stage else {
                    return None;
                };
                let upload = OpenUpload::new(id);
                self.save_checkpoint(cx, out, data, session, &upload);
                *work = Work::Open(upload, Open::Parts(Parts::new()));
                None
            }
            (What::Oss(Oss::ListParts { marker }), Answer::Listed(parts, next)) => {
                let next = next.filter(|next| *next > marker);
                self.listed(cx, out, data, stage, parts, next);
                None
            }
            (What::Oss(what @ (Oss::Put | Oss::Part(_))), Answer::Stored(stored)) => {
                let number = match what {
                    Oss::Part(n) => n,
                    _ => 1,
                };
                let parts = stage.parts()?;
                parts
                    .stored(number, stored)
                    .then(|| self.part_done(cx, out, data, stage, number))?
            }
            (What::Oss(Oss::Complete), Answer::Completed(crc)) => {
                let open = stage.open()?;
                match cx.server_crc(out, crc) {
                    Some(server) if cx.options.check_crc64 => {
                        *open = Open::Object(ObjectCheck::completed(server));
                        self.combine(cx, out, data, stage, None)
                    }
                    _ => self.succeeded(out, stage),
                }
            }
            (What::Oss(Oss::Head), Answer::Head(size, server)) => {
                let Some(Open::Confirm { otherwise }) = stage.open() else {
                    return None;
                };
                // Taken as the stage leaves `Confirm`: what stays behind is never read.
                let otherwise = core::mem::replace(otherwise, Stop::Expired);
                match server {
                    Some(server) => {
                        let check = ObjectCheck::confirming(server, size, otherwise);
                        *stage.open()? = Open::Object(check);
                        self.combine(cx, out, data, stage, None)
                    }
                    None => self.stopped(cx, out, data, stage, otherwise),
                }
            }
            _ => None,
        }
    }

    /// A page of ListParts came, with the marker of the `next` if there is one: it is asked
    /// for, or, once all came, the server's list is taken as the truth and the upload verified
    /// (an earlier page's) or its parts sent.
    fn listed(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        parts: Vec<ListedPart>,
        next: Option<u32>,
    ) {
        let Stage::Granted(_, Work::Open(upload, open)) = stage else {
            return;
        };
        let Open::List { listed, verify } = open else {
            return;
        };
        listed.extend(parts);
        if let Some(next) = next {
            self.call(What::Oss(Oss::ListParts { marker: next }), cx);
            return;
        }
        upload.keep_listed(core::mem::take(listed), data.plan);
        *open = match *verify {
            true => Open::Verify(Verify::new(&upload.parts)),
            false => Open::Parts(Parts::new()),
        };
        self.verify_next(cx, out, data, open);
    }

    /// The object is the file: the upload succeeded.
    pub(super) fn succeeded(&mut self, out: &mut Sink, stage: &mut Stage) -> Flow {
        let kept = self.end(out, stage)?;
        Some(Outcome::Succeeded(kept.session.credentials))
    }
}

/// Reads VOD's answer; a refusal as the failure it is, with the STS token's secrets left out.
fn judge_vod(cx: &Shared, answer: Response) -> Result<Answer, Tried> {
    crate::vod::response::read(answer.status, &answer.body)
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
        })
}

/// Reads an OSS answer as call `what` expects it; a failure as what it is.
fn judge_oss(what: &Oss, session: &Session, answer: Response) -> Result<Answer, Tried> {
    let auth = &session.credentials.auth;
    if !(200..300).contains(&answer.status) {
        let (failure, error) = classify(&answer);
        // Should the server quote the credentials, the page is not shown them.
        let error = error.without(&[&auth.access_key_secret, &auth.security_token]);
        return Err(Tried::Failed(failure, error));
    }
    what.read(&answer, &session.credentials.destination())
        .map_err(|broken| Tried::Failed(Failure::Transient, broken))
}
