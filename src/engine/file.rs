//! A file in the list and its states. Each state owns exactly the data valid in it: an upload
//! id and acknowledged parts only where a multipart upload is open, an error only in `Failure`.

use alloc::boxed::Box;
use alloc::string::{String, ToString};

use super::checkpoint::Checkpoint;
use super::transfer::Transfer;
use super::{Credentials, Destination, Plan};
use crate::error::UploadError;
use crate::vec_map::VecMap;
use crate::vod::meta::{Meta, IMAGE_EXTENSIONS};

/// The state's name, as the page sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    Ready,
    Uploading,
    /// Uploading, but waiting for the network (offline, or cellular with `pauseOnCellular`).
    Waiting,
    Stopped,
    /// Waiting for `resumeUploadWithToken`.
    Expired,
    Success,
    Failure,
}

impl FileState {
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Ready => "Ready",
            FileState::Uploading => "Uploading",
            FileState::Waiting => "Waiting",
            FileState::Stopped => "Stopped",
            FileState::Expired => "Expired",
            FileState::Success => "Success",
            FileState::Failure => "Failure",
        }
    }
}

/// A file as the page sees it, in `listFiles()` and every callback: no secret in it.
#[derive(Clone, Debug, PartialEq)]
pub struct FileInfo {
    pub index: usize,
    pub name: String,
    pub size: u64,
    pub state: FileState,
    /// Bytes the server acknowledged (never less than reported before).
    pub loaded: u64,
    pub percent: f64,
    pub video_id: Option<String>,
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub object: Option<String>,
    pub error: Option<UploadError>,
    /// For an image: its ImageId and ImageURL.
    pub image: Option<(String, String)>,
    /// It goes to VOD as an image (`CreateUploadImage`), not as a video.
    pub is_image: bool,
    /// The file came back from a checkpoint of an earlier page.
    pub resumed: bool,
}

/// A multipart upload the server holds open, and the parts it acknowledged.
pub(super) struct OpenUpload {
    pub id: String,
    /// Part number → ETag, exactly as the server gave it.
    pub parts: VecMap<u32, String>,
    /// Part number → CRC-64 of the part's bytes, as checked; parts the server held before
    /// this page have none until they are hashed from the file.
    pub crcs: VecMap<u32, u64>,
    /// Bytes of `parts`.
    pub loaded: u64,
}

impl OpenUpload {
    /// An upload with no part acknowledged yet.
    pub fn new(id: String) -> OpenUpload {
        OpenUpload {
            id,
            parts: VecMap::default(),
            crcs: VecMap::default(),
            loaded: 0,
        }
    }
}

/// A file's upload from the moment it has credentials.
pub(super) struct Session {
    pub credentials: Credentials,
    /// When the credentials arrived (local clock), for an `Expiration` lifetime.
    pub received_ms: f64,
    pub upload: Option<OpenUpload>,
}

impl Session {
    /// Credentials just come, with no multipart upload open yet.
    pub fn new(credentials: Credentials, received_ms: f64) -> Session {
        Session {
            credentials,
            received_ms,
            upload: None,
        }
    }

    pub fn loaded(&self) -> u64 {
        self.upload.as_ref().map_or(0, |u| u.loaded)
    }

    /// When the credentials should be renewed, on the local clock (the server's minus
    /// `clock_offset_ms`): ahead of their expiry by twice the request time limit, so that parts
    /// in flight finish with them, or by half their lifetime when they live shorter than that;
    /// never sooner than a second after they came.
    pub fn refresh_due_ms(&self, timeout_ms: u32, clock_offset_ms: f64) -> f64 {
        let auth = &self.credentials.auth;
        let expires = match auth.expires_at_ms {
            Some(server_ms) => server_ms - clock_offset_ms,
            None => self.received_ms + auth.expiration_secs as f64 * 1000.0,
        };
        let lifetime = (expires - self.received_ms).max(0.0);
        let margin = (2.0 * timeout_ms as f64).min(lifetime / 2.0);
        (expires - margin).max(self.received_ms + MIN_REFRESH_GAP_MS)
    }
}

/// Credentials are never renewed more often than this, however short their life.
const MIN_REFRESH_GAP_MS: f64 = 1_000.0;

/// Why an upload waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wait {
    Offline,
    Cellular,
}

/// What a running transfer is doing, for the page's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Activity {
    Sending,
    /// A request failed and is retried; no request has succeeded since.
    Retrying,
    Waiting(Wait),
}

pub(super) enum Phase {
    /// Never started.
    Ready,
    /// Never started on this page, but an earlier page left its upload open.
    Resumable(Checkpoint),
    Uploading(Box<Transfer>),
    /// Stopped by the page; `None` if it stopped before credentials came.
    Stopped(Option<Session>),
    /// The credentials expired and no refresh could be had; `None` if the STS token failed
    /// before any came.
    Expired(Option<Session>),
    Success(Destination),
    /// Where it was going, if credentials were had.
    Failure(UploadError, Option<Destination>),
}

/// What is known of a file from the moment it is added, and never changes.
pub(super) struct FileData {
    pub index: usize,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub plan: Plan,
    /// Where its checkpoint is kept, when checkpoints are on.
    pub checkpoint_key: Option<String>,
    pub resumed: bool,
    /// What the page said of it for VOD.
    pub meta: Meta,
    /// For an image: its extension, as `CreateUploadImage` takes it.
    pub image: Option<String>,
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

impl<F> Entry<F> {
    pub fn state(&self) -> FileState {
        match &self.phase {
            Phase::Ready | Phase::Resumable(_) => FileState::Ready,
            Phase::Uploading(transfer) => match transfer.activity {
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
        let sent = |session: Option<&Session>| {
            let destination = session.map(|s| s.credentials.destination());
            (destination, session.map_or(0, Session::loaded), None)
        };
        let data = &self.data;
        // Where the file goes: from its credentials, or from an earlier page's checkpoint.
        let (destination, loaded, error) = match &self.phase {
            Phase::Ready => (None, 0, None),
            Phase::Resumable(checkpoint) => {
                (Some(checkpoint.destination()), checkpoint.loaded, None)
            }
            Phase::Uploading(transfer) => match transfer.resuming() {
                Some(checkpoint) => (Some(checkpoint.destination()), 0, None),
                None => sent(transfer.session.as_ref()),
            },
            Phase::Stopped(session) | Phase::Expired(session) => sent(session.as_ref()),
            Phase::Success(destination) => (Some(destination.clone()), data.size, None),
            Phase::Failure(error, destination) => (destination.clone(), 0, Some(error.clone())),
        };
        let shown = self.shown.max(loaded);
        FileInfo {
            index: data.index,
            name: data.name.clone(),
            size: data.size,
            state: self.state(),
            loaded: shown,
            percent: shown as f64 * 100.0 / data.size.max(1) as f64,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{UploadAddress, UploadAuth};

    /// A session whose credentials came at 1,000,000 ms and live `seconds`, or until the
    /// server's `expires_at_ms` when given.
    fn session(seconds: u64, expires_at_ms: Option<f64>) -> Session {
        let auth = UploadAuth {
            expiration_secs: seconds,
            expires_at_ms,
            ..UploadAuth::default()
        };
        let credentials = Credentials {
            auth,
            address: UploadAddress {
                endpoint: "http://o".into(),
                bucket: "b".into(),
                file_name: "k".into(),
            },
            video_id: None,
            image: None,
            from_sts: false,
        };
        Session::new(credentials, 1_000_000.0)
    }

    #[test]
    fn credentials_are_renewed_twice_the_time_limit_ahead_of_expiry() {
        // 3000 s, a 60 s time limit: 120 s ahead.
        let due = session(3000, None).refresh_due_ms(60_000, 0.0);
        assert_eq!(due, 1_000_000.0 + 3_000_000.0 - 120_000.0);
    }

    #[test]
    fn short_lived_credentials_are_renewed_at_half_their_life_and_not_within_a_second() {
        assert_eq!(session(8, None).refresh_due_ms(60_000, 0.0), 1_004_000.0);
        assert_eq!(session(1, None).refresh_due_ms(60_000, 0.0), 1_001_000.0);
        assert_eq!(session(0, None).refresh_due_ms(60_000, 0.0), 1_001_000.0);
    }

    #[test]
    fn the_servers_expiry_time_is_read_on_the_corrected_clock() {
        // The server's clock is 5 s ahead: its 3000 s mark is 2995 s on ours.
        let s = session(9999, Some(1_000_000.0 + 3_000_000.0));
        assert_eq!(
            s.refresh_due_ms(60_000, 5_000.0),
            1_000_000.0 + 2_995_000.0 - 120_000.0
        );
    }
}
