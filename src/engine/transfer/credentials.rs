//! Getting a transfer's credentials: first ones, an earlier page's video's, or renewed ones
//! ahead of expiry. `source.rs` says whom to ask and what an answer comes to; this asks, and
//! moves the stage on with what came.

use alloc::vec::Vec;

use super::{Flow, Open, Outcome, Stage, Tasks, Work};
use crate::engine::call::{Oss, Vod, What};
use crate::engine::exchange::Stop;
use crate::engine::ids::AskId;
use crate::engine::output::{AskFor, Out, Sink};
use crate::engine::session::{FileData, OpenUpload, Session};
use crate::engine::shared::Shared;
use crate::engine::source::{renewable, renewal_due, Granted, Obtain, Purpose, Step, Unavailable};
use crate::engine::{Credentials, Grant};
use crate::error::UploadError;

impl Tasks {
    /// Asks for credentials when the stage wants them (first ones, an earlier page's video's)
    /// or they are to be renewed, once the network may be used.
    pub(super) fn credentials(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
    ) -> Flow {
        if self.obtain.is_some() {
            return None;
        }
        // Credentials with a session are asked for only when they are to be renewed.
        if let Stage::Granted(session, _) = stage {
            if !self.renewal_wanted(cx, session) {
                return None;
            }
        }
        if let Some(wait) = cx.wait_reason() {
            self.waiting(out, data, wait);
            return None;
        }
        self.network_back(out, data);
        let purpose = match &*stage {
            Stage::Allocate => Purpose::Allocate,
            Stage::Resume(checkpoint) => Purpose::Resume(Credentials {
                auth: Default::default(),
                address: crate::auth::UploadAddress {
                    endpoint: checkpoint.endpoint.clone(),
                    bucket: checkpoint.bucket.clone(),
                    file_name: checkpoint.object.clone(),
                },
                video_id: checkpoint.video_id.clone(),
                image: None,
                from_sts: cx.options.sts,
            }),
            Stage::Granted(session, _) => {
                if !renewable(cx, &session.credentials) {
                    return self.stopped(cx, out, data, stage, Stop::Expired);
                }
                Purpose::Renew(session.credentials.clone())
            }
        };
        let obtain = Obtain::new(purpose);
        let step = obtain.first(cx);
        self.obtain = Some(obtain);
        self.obtain_step(cx, out, data, step);
        None
    }

    /// Renewal is wanted: a request met expired credentials, or they are due.
    fn renewal_wanted(&self, cx: &Shared, session: &Session) -> bool {
        self.requests.renewing() || renewal_due(cx, session).is_some_and(|due| cx.now >= due)
    }

    fn obtain_step(&mut self, cx: &mut Shared, out: &mut Sink, data: &FileData, step: Step) {
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
                out.push(Out::Ask { id, ask });
            }
            Step::Vod(what) => {
                obtain.asked = None;
                obtain.create = what == Vod::Create;
                self.call(What::Vod(what), cx);
            }
        }
    }

    /// The page answered ask `id`.
    pub(super) fn granted(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        id: AskId,
        answer: Result<Grant, UploadError>,
    ) -> Flow {
        let obtain = self.obtain.as_ref().filter(|o| o.asked(id))?;
        match obtain.granted(answer) {
            Ok(credentials) => self.obtained(cx, out, data, stage, Ok(credentials)),
            Err(Granted::Done(unavailable)) => {
                self.obtained(cx, out, data, stage, Err(unavailable))
            }
            Err(Granted::Token(token, step)) => {
                cx.hold(token);
                self.obtain_step(cx, out, data, step);
                None
            }
        }
    }

    /// Credentials came, or could not be had.
    pub(super) fn obtained(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        result: Result<Credentials, Unavailable>,
    ) -> Flow {
        let obtain = self.obtain.take()?;
        let received_ms = cx.now;
        match (obtain.purpose, result) {
            (Purpose::Allocate, Ok(credentials)) => {
                let session = Session {
                    credentials,
                    received_ms,
                };
                *stage = Stage::Granted(session, self.begin(cx, data, None));
                None
            }
            (Purpose::Allocate, Err(Unavailable::NoToken)) => {
                self.drop_calls(out);
                Some(Outcome::Expired(None))
            }
            // The request failed because the network went: wait and ask again.
            (Purpose::Allocate, Err(_)) if cx.wait_reason().is_some() => None,
            (Purpose::Allocate, Err(Unavailable::Failed(error))) => {
                self.drop_calls(out);
                Some(Outcome::Failed(error, None))
            }
            (Purpose::Resume(_), Ok(credentials)) => {
                self.resumed(cx, out, data, stage, credentials)
            }
            (Purpose::Resume(_), Err(_)) if data.stream => self.stream_lost(out, stage),
            (Purpose::Resume(_), Err(_)) => {
                out.forget(data);
                *stage = Stage::Allocate;
                None
            }
            (Purpose::Renew(_), Ok(fresh)) => self.renewed(cx, out, data, stage, fresh),
            (Purpose::Renew(_), Err(_)) => self.stopped(cx, out, data, stage, Stop::Expired),
        }
    }

    /// An earlier page's video's credentials came: its upload is listed and verified, or, if
    /// the backend made a new video, the file goes there from the start.
    fn resumed(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        credentials: Credentials,
    ) -> Flow {
        let Stage::Resume(checkpoint) = stage else {
            return None;
        };
        let address = &credentials.address;
        let same_video = address.endpoint == checkpoint.endpoint
            && address.bucket == checkpoint.bucket
            && address.file_name == checkpoint.object;
        let work = match same_video {
            true => {
                self.call(What::Oss(Oss::ListParts { marker: 0 }), cx);
                let upload = OpenUpload::new(checkpoint.upload_id.clone());
                // A stream is named by its id, which no other shares: nothing to verify.
                let list = Open::List {
                    listed: Vec::new(),
                    verify: !data.stream,
                };
                Work::Open(upload, list)
            }
            false if data.stream => return self.stream_lost(out, stage),
            false => {
                out.forget(data);
                self.begin(cx, data, None)
            }
        };
        let session = Session {
            credentials,
            received_ms: cx.now,
        };
        *stage = Stage::Granted(session, work);
        None
    }

    /// Renewed credentials came: requests that waited go again with them. Credentials for
    /// another object end the old upload while the old ones still reach it, and the file goes
    /// to its new object from the start.
    fn renewed(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        fresh: Credentials,
    ) -> Flow {
        let Stage::Granted(session, work) = stage else {
            return None;
        };
        let moved = fresh.address != session.credentials.address;
        let old = core::mem::replace(&mut session.credentials, fresh);
        session.received_ms = cx.now;
        self.requests.renewed();
        if !moved {
            return None;
        }
        match self.start_over(cx, out, data, work) {
            Some(earlier) => {
                if let Some(upload) = earlier.into_upload() {
                    cx.abort(old, upload.id);
                }
                None
            }
            None => self.stream_lost(out, stage),
        }
    }
}
