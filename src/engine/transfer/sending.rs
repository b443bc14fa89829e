//! Sending the parts, and checking what arrived: each part's CRC-64 against the server's, an
//! earlier page's first and last part against their ETags, and the whole object's CRC-64.

use alloc::format;

use super::{Flow, Hashed, Open, Stage, Tasks, Work};
use crate::encoding::decimal;
use crate::engine::call::{Oss, What};
use crate::engine::checkpoint::Checkpoint;
use crate::engine::exchange::Stop;
use crate::engine::ids::ReadId;
use crate::engine::object::Combined;
use crate::engine::output::{Digest, Out, Sink};
use crate::engine::parts::{Checked, Parts};
use crate::engine::session::{Activity, FileData, OpenUpload, Session};
use crate::engine::shared::Shared;
use crate::engine::Event;
use crate::error::{Code, UploadError};

impl Tasks {
    /// Starts the next parts while this file's share of slots allows; Complete once every part
    /// is done.
    pub(super) fn send_parts(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
    ) {
        let Stage::Granted(_, work) = stage else {
            return;
        };
        let plan = data.plan;
        let (parts, upload) = match work {
            Work::Put(parts) => (parts, None),
            Work::Open(upload, Open::Parts(parts)) => (parts, Some(&*upload)),
            _ => return,
        };
        let done = |n| upload.is_some_and(|u| u.parts.contains_key(&n));
        let started = parts.take(plan, cx.options.parallel, done);
        // A stream gives the next file its turn at once: it may record for an hour, and its
        // parts still go first, as files take slots in the order of the list.
        self.passed |= parts.passed(plan) || data.stream;
        let finished = parts.finished(plan);
        let open = upload.is_some();
        for number in started {
            self.call(What::Oss(Oss::send_part(open, number)), cx);
            match cx.options.check_crc64 {
                true => self.read(cx, out, data, number, Digest::Crc64),
                false => _ = parts.hashed(number, None),
            }
        }
        if let (Work::Open(_, open), true) = (work, finished) {
            self.call(What::Oss(Oss::Complete), cx);
            *open = Open::Complete;
        }
    }

    /// A part's answer or hash came: once both are in, the part is checked and recorded, or
    /// sent again if it arrived damaged.
    pub(super) fn part_done(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        number: u32,
    ) -> Flow {
        let retries = cx.options.retry_count;
        let (local, etag) = match stage
            .parts()?
            .check(number, retries, |c| cx.server_crc(out, c))
        {
            Checked::Waiting => return None,
            Checked::Damaged(local, server, again) => {
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
                if !again {
                    return self.stopped(cx, out, data, stage, Stop::Failed(error));
                }
                self.activity = Activity::Retrying;
                out.notify(Event::Retry(data.index, error));
                let what = Oss::send_part(stage.upload().is_some(), number);
                self.call(What::Oss(what), cx);
                return None;
            }
            Checked::Stored(local, etag) => (local, etag),
        };
        let Stage::Granted(session, Work::Open(upload, _)) = stage else {
            // A file of one part, in one request: nothing to resume, so no checkpoint.
            out.notify(Event::Progress(data.index));
            return self.succeeded(out, stage);
        };
        let Some(etag) = etag else {
            let error = UploadError::new(
                Code::CorsEtagNotExposed,
                "the part was uploaded but its ETag header cannot be read: the bucket's CORS rule must expose ETag (ExposeHeader: ETag)",
            );
            return self.stopped(cx, out, data, stage, Stop::Failed(error));
        };
        if let Some(crc) = local {
            upload.crcs.insert(number, crc);
        }
        if upload.parts.insert(number, etag).is_none() {
            upload.loaded += data.plan.len(number);
            if data.stream {
                let bytes = data.plan.part(number);
                out.push(Out::Release {
                    file: data.index,
                    bytes,
                });
            }
        }
        self.save_checkpoint(cx, out, data, session, upload);
        out.notify(Event::Progress(data.index));
        None
    }

    /// Reads the next of an earlier page's parts left to verify; once all match, the parts
    /// the server lacks are sent.
    pub(super) fn verify_next(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        open: &mut Open,
    ) {
        if let Open::Verify(verify) = open {
            match verify.next() {
                Some(number) => self.read(cx, out, data, number, Digest::Md5),
                None => *open = Open::Parts(Parts::new()),
            }
        }
    }

    /// Combines the object's CRC-64 on; `read`: the CRC of the part last asked for, as read.
    pub(super) fn combine(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        read: Option<Option<u64>>,
    ) -> Flow {
        let Stage::Granted(_, Work::Open(upload, Open::Object(check))) = stage else {
            return None;
        };
        let local = match check.combine(data.plan, &upload.crcs, read) {
            Combined::Read(number) if !data.stream => {
                self.read(cx, out, data, number, Digest::Crc64);
                return None;
            }
            // A stream's bytes OSS held before this page are not kept: not checked.
            Combined::Read(_) => None,
            Combined::Done(local) => local,
        };
        match check.verdict(data.plan.size, local) {
            Ok(()) => self.succeeded(out, stage),
            Err(stop) => self.stopped(cx, out, data, stage, stop),
        }
    }

    /// Read `id` ended: a part's CRC-64 or MD5, or `None` when the file could not be read.
    pub(super) fn hashed(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        stage: &mut Stage,
        id: ReadId,
        hashed: Option<Hashed>,
    ) -> Flow {
        let number = self.reads.remove(&id)?;
        let (crc, md5) = match &hashed {
            Some(Hashed::Crc64(crc)) => (Some(*crc), None),
            Some(Hashed::Md5(md5)) => (None, Some(md5.as_str())),
            None => (None, None),
        };
        match stage.open() {
            Some(open @ Open::Verify(_)) => {
                if let Open::Verify(verify) = open {
                    if verify.matches(md5) {
                        self.verify_next(cx, out, data, open);
                        return None;
                    }
                }
                // Another file with the same name, size and date: a new video for this one.
                let earlier = core::mem::replace(stage, Stage::Allocate);
                cx.close(out, earlier.kept(), data);
                None
            }
            Some(Open::Object(_)) => self.combine(cx, out, data, stage, Some(crc)),
            // A file that cannot be read leaves the part unchecked.
            _ => stage
                .parts()?
                .hashed(number, crc)
                .then(|| self.part_done(cx, out, data, stage, number))?,
        }
    }

    /// Writes down where the upload is, at most once per acknowledged part.
    pub(super) fn save_checkpoint(
        &mut self,
        cx: &mut Shared,
        out: &mut Sink,
        data: &FileData,
        session: &Session,
        upload: &OpenUpload,
    ) {
        let Some(key) = &data.checkpoint_key else {
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
        out.push(Out::Store {
            key: key.clone(),
            value: checkpoint.encode(),
        });
    }
}
