//! What the page is shown of a file: its state's name and its info, with no secret in it.

use alloc::string::String;

use crate::error::UploadError;

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
