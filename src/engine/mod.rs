//! The upload itself: the file list and its states, parts in parallel, retries, credential
//! expiry, stop and resume, progress. It reaches the world only through [`Platform`], so native
//! tests drive it with a simulated one that fails, stalls and expires on command.

pub mod plan;
mod transfer;
mod uploader;

#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

use std::ops::Range;

use futures_util::future::LocalBoxFuture;

use crate::auth::{decode_upload_address, decode_upload_auth, UploadAddress, UploadAuth};
use crate::error::{code, UploadError};
use crate::oss::request::Request;
use crate::oss::response::Response;
pub use plan::Plan;
pub use uploader::Uploader;

/// What the engine needs from where it runs: in the browser fetch, `Blob.slice`, timers and
/// the page's callbacks; natively a simulation.
pub trait Platform: 'static {
    /// A file the page handed over.
    type File: Clone + 'static;
    /// A slice of a file, sent as a request body without being copied.
    type Body: 'static;

    fn slice(&self, file: &Self::File, bytes: Range<u64>) -> Self::Body;
    /// Sends a request. Dropping the future aborts the request.
    fn send(
        &self,
        request: Request,
        body: Option<Self::Body>,
    ) -> LocalBoxFuture<'static, Result<Response, String>>;
    fn sleep(&self, millis: u32) -> LocalBoxFuture<'static, ()>;
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> f64;
    /// A number in [0, 1), for jitter.
    fn random(&self) -> f64;
    fn spawn(&self, task: LocalBoxFuture<'static, ()>);
    /// The page's `getUploadAuth(info)`.
    fn upload_auth(
        &self,
        file: &FileInfo,
    ) -> LocalBoxFuture<'static, Result<Credentials, UploadError>>;
    /// Tells the page; must not call back into the engine while the engine holds state.
    fn emit(&self, event: Event);
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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            part_size: plan::DEFAULT_PART_SIZE,
            parallel: 5,
            retry_count: 3,
            retry_duration_ms: 2000,
            timeout_ms: 60_000,
        }
    }
}

impl Options {
    pub fn check(&self) -> Result<(), UploadError> {
        plan::check_part_size(self.part_size)?;
        if !(1..=100).contains(&self.parallel) {
            return Err(UploadError::new(
                code::INVALID_ARGUMENT,
                format!("parallel is {}; it must be 1 to 100", self.parallel),
            ));
        }
        if self.timeout_ms == 0 {
            return Err(UploadError::new(
                code::INVALID_ARGUMENT,
                "timeout must be more than 0 ms",
            ));
        }
        Ok(())
    }
}

/// What `getUploadAuth` gives for one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Credentials {
    pub auth: UploadAuth,
    pub address: UploadAddress,
    pub video_id: Option<String>,
}

impl Credentials {
    pub fn decode(
        upload_auth: &str,
        upload_address: &str,
        video_id: Option<String>,
    ) -> Result<Credentials, UploadError> {
        Ok(Credentials {
            auth: decode_upload_auth(upload_auth)?,
            address: decode_upload_address(upload_address)?,
            video_id,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    Ready,
    Uploading,
    Stopped,
    /// Waiting for `resumeUploadWithToken`.
    Expired,
    Success,
    Failure,
}

impl FileState {
    /// The name the page sees.
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Ready => "Ready",
            FileState::Uploading => "Uploading",
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
    /// Bytes the server acknowledged.
    pub loaded: u64,
    pub percent: f64,
    pub video_id: Option<String>,
    pub bucket: Option<String>,
    pub object: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Started(FileInfo),
    Progress(FileInfo),
    Succeeded(FileInfo),
    Failed(FileInfo, UploadError),
    TokenExpired(FileInfo),
    Retry(FileInfo, UploadError),
    RetryResume(FileInfo),
    /// Every file in the list has finished.
    End,
}
