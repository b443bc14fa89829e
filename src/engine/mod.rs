//! The upload itself: the file list and its states, parts in parallel, retries, waiting for the
//! network, credential expiry and refresh, stop and resume, progress.
//!
//! [`Core`] is all of it, sans I/O: it is told what happened and says what to do, so native
//! tests step it directly. [`Uploader`] drives it on a [`Platform`]: in the browser fetch,
//! `Blob` reads, timers, `localStorage` and the page's functions; natively (tests/engine/) a
//! simulation on a virtual clock that fails, stalls, expires and goes offline on command.
//!
//! The page is never called while the core is borrowed: events are queued, the platform is
//! asked to [`Platform::wake`] the uploader, and drains them with [`Uploader::poll_event`]
//! from outside, so a callback may call back into the uploader.

use alloc::{boxed::Box, format, string::String, vec::Vec};
mod call;
pub mod checkpoint;
mod core;
mod driver;
mod exchange;
mod file;
mod hasher;
mod ids;
mod info;
mod object;
mod output;
mod parts;
pub mod plan;
mod requests;
mod session;
mod shared;
mod source;
#[cfg(test)]
mod stepping;
mod transfer;
mod verify;

use ::core::ops::Range;

pub use self::core::Core;
use crate::auth::{decode_upload_address, decode_upload_auth, StsToken, UploadAddress, UploadAuth};
use crate::error::{Code, TransportError, UploadError};
use crate::oss::request::Request;
use crate::oss::response::Response;
pub use checkpoint::Fingerprint;
pub use driver::Uploader;
pub use hasher::Hasher;
pub use ids::{AskId, ReadId, RequestId};
pub use info::{FileInfo, FileState};
pub use output::{AskFor, Digest, Output};
pub use plan::Plan;
pub use transfer::Hashed;

/// Called back once, later: never from within the call it is handed to.
pub type Done<T> = Box<dyn FnOnce(T)>;

/// The page's files: slices to send as request bodies, parts to hash.
pub trait Files {
    /// A file the page handed over.
    type File: Clone + 'static;

    /// Reads bytes of a file and hashes them (with a [`Hasher`], piece by piece, so hashing
    /// gigabytes leaves no garbage behind), wherever the platform likes: on the page's thread
    /// or off it.
    fn hash(
        &self,
        file: &Self::File,
        bytes: Range<u64>,
        digest: Digest,
        done: Done<Result<Hashed, TransportError>>,
    );

    /// No part is to be hashed until the uploader starts again: free what hashing holds.
    fn rest(&self);

    /// OSS holds these bytes of a stream: they need not be kept any more.
    fn release(&self, file: &Self::File, bytes: Range<u64>);
}

/// HTTP.
pub trait Http: Files {
    /// A request under way; dropping it aborts the request.
    type Sending: 'static;

    /// Sends a request, with a slice of the file as its body if it has one.
    fn send(
        &self,
        request: Request,
        body: Option<(Self::File, Range<u64>)>,
        done: Done<Result<Response, TransportError>>,
    ) -> Self::Sending;
}

/// Time, timers, and randomness.
pub trait Clock {
    /// A timer set; dropping it clears it.
    type Timer: 'static;

    /// Milliseconds since the epoch.
    fn now_ms(&self) -> f64;
    /// Calls `fire` in `millis` ms.
    fn set_timer(&self, millis: f64, fire: Done<()>) -> Self::Timer;
    /// 256 bits from a cryptographically secure source, the seed of every SignatureNonce and
    /// of the jitter of retries; none where the platform has no such source.
    fn entropy(&self) -> Option<[u8; 32]>;
}

/// The browser's storage, for checkpoints.
pub trait Storage {
    /// A value, if one is stored under `key`.
    fn load(&self, key: &str) -> Option<String>;
    fn store(&self, key: &str, value: &str);
    fn forget(&self, key: &str);
    fn stored_keys(&self) -> Vec<String>;
}

/// The network as the browser tells it, and its changes.
pub trait Connectivity {
    fn network(&self) -> Network;
    /// Calls `changed` at every change of the network (online, offline, connection type).
    fn watch_network(&self, changed: Box<dyn Fn()>);
}

/// The page: its functions that answer for credentials, and the console.
pub trait Page {
    /// The page's `getSTSToken()`, in STS mode.
    fn sts_token(&self, done: Done<Result<StsToken, UploadError>>);
    /// The page's `getUploadAuth(info)`.
    fn upload_auth(&self, file: &FileInfo, done: Done<Result<Grant, UploadError>>);
    /// Whether the page gave `refreshUploadAuth`.
    fn can_refresh(&self) -> bool;
    /// The page's `refreshUploadAuth(info)`: new credentials, as a rule for the same video.
    fn refresh_upload_auth(&self, file: &FileInfo, done: Done<Result<Grant, UploadError>>);
    /// Tells the developer something the page should fix (on the console, in a browser).
    fn warn(&self, message: &str);
}

/// Everything the driver needs from where it runs, in small parts, and the delivery of events.
pub trait Platform: Http + Clock + Storage + Connectivity + Page + Sized + 'static {
    /// Events are queued: drain them soon with `uploader.poll_event()`, from outside the
    /// engine (never from within this call).
    fn wake(&self, uploader: Uploader<Self>);
}

/// The network as the browser reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    pub online: bool,
    /// The connection type is known to be cellular.
    pub cellular: bool,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub part_size: u64,
    /// Parts in flight per file.
    pub parallel: usize,
    /// Retries of a transient failure before the file fails.
    pub retry_count: u32,
    /// The first retry's delay; each next one doubles, with jitter.
    pub retry_duration_ms: u32,
    /// One request's time limit.
    pub timeout_ms: u32,
    /// Wait while the connection is cellular, as while offline.
    pub pause_on_cellular: bool,
    /// Keep checkpoints for resuming after a reload, for at most this long; `None`: keep none.
    pub checkpoint_max_age_ms: Option<f64>,
    /// STS mode: every file's credentials come from VOD, asked with the page's STS token.
    /// Otherwise the page answers for each file, with credentials or an STS token of its own.
    pub sts: bool,
    /// VOD's OpenAPI, such as `https://vod.cn-shanghai.aliyuncs.com`, for files that go
    /// through an STS token.
    pub vod_endpoint: String,
    /// Check every part's and the whole object's CRC-64 against the server's.
    pub check_crc64: bool,
}

/// A week: how long checkpoints are kept unless the page says otherwise.
pub const DEFAULT_CHECKPOINT_MAX_AGE_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;

impl Default for Options {
    fn default() -> Options {
        Options {
            part_size: plan::DEFAULT_PART_SIZE,
            parallel: 5,
            retry_count: 3,
            retry_duration_ms: 2000,
            timeout_ms: 60_000,
            pause_on_cellular: false,
            checkpoint_max_age_ms: Some(DEFAULT_CHECKPOINT_MAX_AGE_MS),
            sts: false,
            vod_endpoint: "https://vod.cn-shanghai.aliyuncs.com".into(),
            check_crc64: true,
        }
    }
}

impl Options {
    pub fn check(&self) -> Result<(), UploadError> {
        plan::check_part_size(self.part_size)?;
        if !(1..=100).contains(&self.parallel) {
            return Err(UploadError::new(
                Code::InvalidArgument,
                format!("parallel is {}; it must be 1 to 100", self.parallel),
            ));
        }
        if self.timeout_ms == 0 {
            return Err(UploadError::new(
                Code::InvalidArgument,
                "timeout must be more than 0 ms",
            ));
        }
        Ok(())
    }
}

/// What a stream did, as its platform reads it.
#[derive(Debug)]
pub enum Stream {
    /// It has `size` bytes so far, and no more if `ended`.
    Grew { size: u64, ended: bool },
    /// It failed; its multipart upload is kept for a later page if the flag is set, else
    /// aborted.
    Failed(UploadError, bool),
}

/// What the browser tells of a file, besides its bytes, and what the page says of it.
pub struct Described {
    pub name: String,
    pub size: u64,
    pub content_type: String,
    /// `File.lastModified`, ms since the epoch.
    pub last_modified: f64,
    pub meta: crate::vod::meta::Meta,
}

impl Described {
    /// Where the checkpoint of this file's upload is kept, in STS mode or the other.
    pub fn checkpoint_key(&self, sts: bool) -> String {
        Fingerprint {
            sts,
            name: &self.name,
            size: self.size,
            last_modified: self.last_modified,
            content_type: &self.content_type,
        }
        .key()
    }
}

/// A file's credentials: where it goes and what signs for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Credentials {
    pub auth: UploadAuth,
    pub address: UploadAddress,
    pub video_id: Option<String>,
    /// For an image: its ImageId and ImageURL.
    pub image: Option<(String, String)>,
    /// VOD answered them to an STS token, so the SDK renews them itself (RefreshUploadVideo);
    /// otherwise the page's backend does.
    pub from_sts: bool,
}

impl Credentials {
    /// What an answer of `CreateUploadVideo`, `CreateUploadImage` or `RefreshUploadVideo`
    /// holds: a video's id, or an image's id and URL.
    pub fn decode(
        upload_auth: &str,
        upload_address: &str,
        video_id: Option<String>,
        image: Option<(String, String)>,
    ) -> Result<Credentials, UploadError> {
        Ok(Credentials {
            auth: decode_upload_auth(upload_auth)?,
            address: decode_upload_address(upload_address)?,
            video_id,
            image,
            from_sts: false,
        })
    }

    /// Where these credentials upload to, without their secrets.
    pub fn destination(&self) -> Destination {
        Destination {
            endpoint: self.address.endpoint.clone(),
            bucket: self.address.bucket.clone(),
            object: self.address.file_name.clone(),
            video_id: self.video_id.clone(),
            image: self.image.clone(),
        }
    }
}

/// Where a file goes or went, as the page is shown it: all that is kept of its credentials once
/// its upload is over, so that no secret outlives the upload.
#[derive(Clone, Debug, PartialEq)]
pub struct Destination {
    pub endpoint: String,
    pub bucket: String,
    pub object: String,
    pub video_id: Option<String>,
    /// For an image: its ImageId and ImageURL.
    pub image: Option<(String, String)>,
}

/// What the page answers when the SDK asks for a file's credentials (`getUploadAuth`,
/// `refreshUploadAuth`) or hands it after `onUploadTokenExpired`.
#[derive(Clone, Debug)]
pub enum Grant {
    /// An upload address and credential, as `CreateUploadVideo` answers them. Given for a file
    /// already under way, an address of another object moves the file there, from the start.
    Credentials(Credentials),
    /// A new UploadAuth for the object the file already goes to, as `RefreshUploadVideo`
    /// answers it.
    Auth(UploadAuth),
    /// An STS token: the SDK asks VOD for the file's credentials itself.
    Sts(StsToken),
}

/// What the page is told, in the order it happened, about the file `F` names: its index while
/// queued, its info once the page is told.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<F = FileInfo> {
    Started(F),
    Progress(F),
    Succeeded(F),
    Failed(F, UploadError),
    TokenExpired(F),
    Retry(F, UploadError),
    RetryResume(F),
    /// Every file in the list has finished.
    End,
}

impl<F> Event<F> {
    /// The same event about what `to` makes of its file; none if `to` finds none (a file
    /// deleted meanwhile).
    pub fn about<G>(self, to: impl FnOnce(F) -> Option<G>) -> Option<Event<G>> {
        Some(match self {
            Event::Started(f) => Event::Started(to(f)?),
            Event::Progress(f) => Event::Progress(to(f)?),
            Event::Succeeded(f) => Event::Succeeded(to(f)?),
            Event::Failed(f, e) => Event::Failed(to(f)?, e),
            Event::TokenExpired(f) => Event::TokenExpired(to(f)?),
            Event::Retry(f, e) => Event::Retry(to(f)?, e),
            Event::RetryResume(f) => Event::RetryResume(to(f)?),
            Event::End => Event::End,
        })
    }
}
