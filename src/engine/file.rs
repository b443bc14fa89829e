//! A file in the list and its states. Each state owns exactly the data valid in it: an upload
//! id and acknowledged parts only where a multipart upload is open, an error only in `Failure`.

use alloc::boxed::Box;
use alloc::string::{String, ToString};

use super::checkpoint::Checkpoint;
use super::info::{FileInfo, FileState};
use super::session::{Activity, FileData, Kept, Session};
use super::transfer::Transfer;
use super::Destination;
use crate::error::UploadError;
use crate::vod::meta::IMAGE_EXTENSIONS;

pub(super) enum Phase {
    /// Never started.
    Ready,
    /// Never started on this page, but an earlier page left its upload open.
    Resumable(Checkpoint),
    Uploading(Box<Transfer>),
    /// Stopped by the page; `None` if it stopped before credentials came.
    Stopped(Option<Kept>),
    /// The credentials expired and no refresh could be had; `None` if the STS token failed
    /// before any came.
    Expired(Option<Kept>),
    Success(Destination),
    /// Where it was going, if credentials were had.
    Failure(UploadError, Option<Destination>),
}

pub(super) struct Entry<F> {
    pub data: FileData,
    pub file: F,
    pub phase: Phase,
    /// The most ever reported, so progress never goes backwards.
    pub shown: u64,
}

/// An image's extension, as `CreateUploadImage` takes it, for a file that is an image; none for
/// video and audio.
pub(super) fn image_extension(name: &str, content_type: &str) -> Option<String> {
    let from_name = crate::text::rsplit_once(name, ".")
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|ext| IMAGE_EXTENSIONS.contains(&ext.as_str()));
    let from_type = content_type
        .strip_prefix("image/")
        .filter(|t| IMAGE_EXTENSIONS.contains(t))
        .map(ToString::to_string);
    from_name.or(from_type)
}

impl Phase {
    /// What the file keeps as it leaves this phase: a transfer stops, every request in flight
    /// aborted.
    pub fn into_kept(self, out: &mut super::output::Sink) -> Option<Kept> {
        match self {
            Phase::Uploading(transfer) => transfer.stop(out),
            Phase::Stopped(kept) | Phase::Expired(kept) => kept,
            Phase::Ready | Phase::Resumable(_) | Phase::Success(_) | Phase::Failure(..) => None,
        }
    }
}

impl<F> Entry<F> {
    /// The bytes OSS acknowledged of the upload under way or kept.
    pub fn acknowledged(&self) -> u64 {
        let upload = match &self.phase {
            Phase::Uploading(transfer) => transfer.upload(),
            Phase::Stopped(kept) | Phase::Expired(kept) => {
                kept.as_ref().and_then(|k| k.upload.as_ref())
            }
            _ => None,
        };
        upload.map_or(0, |u| u.loaded)
    }

    pub fn state(&self) -> FileState {
        match &self.phase {
            Phase::Ready | Phase::Resumable(_) => FileState::Ready,
            Phase::Uploading(transfer) => match transfer.activity() {
                Activity::Waiting(_) => FileState::Waiting,
                _ => FileState::Uploading,
            },
            Phase::Stopped(_) => FileState::Stopped,
            Phase::Expired(_) => FileState::Expired,
            Phase::Success(_) => FileState::Success,
            Phase::Failure(..) => FileState::Failure,
        }
    }

    /// The file as the page is to be shown it, and remembered as shown.
    pub fn report(&mut self) -> FileInfo {
        let info = self.info();
        self.shown = info.loaded;
        info
    }

    /// The file as it is now; its progress no less than what was shown.
    fn info(&self) -> FileInfo {
        let data = &self.data;
        let session = |session: Option<&Session>| session.map(|s| s.credentials.destination());
        // Where the file goes: from its credentials, or from an earlier page's checkpoint.
        let (destination, error) = match &self.phase {
            Phase::Ready => (None, None),
            Phase::Resumable(checkpoint) => (Some(checkpoint.destination()), None),
            Phase::Uploading(transfer) => match transfer.resuming() {
                Some(checkpoint) => (Some(checkpoint.destination()), None),
                None => (session(transfer.session()), None),
            },
            Phase::Stopped(kept) | Phase::Expired(kept) => {
                (session(kept.as_ref().map(|k| &k.session)), None)
            }
            Phase::Success(destination) => (Some(destination.clone()), None),
            Phase::Failure(error, destination) => (destination.clone(), Some(error.clone())),
        };
        let loaded = match &self.phase {
            Phase::Resumable(checkpoint) => checkpoint.loaded,
            Phase::Success(_) => data.plan.size,
            _ => self.acknowledged(),
        };
        let shown = self.shown.max(loaded);
        // A stream's size is unknown until it ends.
        let size = if data.plan.growing { 0 } else { data.plan.size };
        FileInfo {
            index: data.index,
            name: data.name.clone(),
            size,
            state: self.state(),
            loaded: shown,
            percent: match size {
                0 => 0.0,
                size => shown as f64 * 100.0 / size as f64,
            },
            video_id: destination.as_ref().and_then(|d| d.video_id.clone()),
            image: destination.as_ref().and_then(|d| d.image.clone()),
            endpoint: destination.as_ref().map(|d| d.endpoint.clone()),
            bucket: destination.as_ref().map(|d| d.bucket.clone()),
            object: destination.map(|d| d.object),
            error,
            is_image: data.image.is_some(),
            resumed: data.resumed,
        }
    }
}
