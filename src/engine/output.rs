//! What the core asks of its driver: its outputs, and what a question to the page is for.

use ::core::ops::Range;
use alloc::collections::VecDeque;
use alloc::string::String;

use super::ids::{AskId, ReadId, RequestId};
use super::info::FileInfo;
use super::session::FileData;
use super::Event;
use crate::oss::request::Request;

/// What to read a part for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    Crc64,
    Md5,
}

/// What the core asks its driver to do, naming a file by `F` and telling the page of one as
/// `I`: the driver gets the file and its info; the core queues them by index ([`Out`]).
#[derive(Debug)]
pub enum Output<F, I = FileInfo> {
    /// Send a request, with the file's bytes as its body if it has one; answer with
    /// [`super::Core::handle_response`].
    Send {
        id: RequestId,
        request: Request,
        body: Option<(F, Range<u64>)>,
    },
    /// Abort request `id`; no answer is wanted any more.
    Cancel(RequestId),
    /// Read these bytes of the file and hash them; answer with [`super::Core::handle_read`].
    Read {
        id: ReadId,
        file: F,
        bytes: Range<u64>,
        digest: Digest,
    },
    /// Ask the page; answer with [`super::Core::handle_answer`] (an STS token as `Grant::Sts`).
    Ask { id: AskId, ask: AskFor<I> },
    /// OSS holds these bytes of a stream: the platform need not keep them any more. All of
    /// them (`0..u64::MAX`) once the stream's upload is over, and nothing is kept for later.
    Release { file: F, bytes: Range<u64> },
    /// Write a checkpoint to storage.
    Store { key: String, value: String },
    /// Remove a checkpoint from storage.
    Forget(String),
    /// Tell the developer something the page should fix.
    Warn(&'static str),
}

/// Outputs as the core queues them, naming files by index: a file deleted before its output
/// is polled is skipped.
pub(super) type Out = Output<usize, usize>;

/// Whom to ask.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AskFor<F = usize> {
    /// The page's `getUploadAuth(info)`.
    UploadAuth(F),
    /// The page's `refreshUploadAuth(info)`.
    Refresh(F),
    /// The page's `getSTSToken()`.
    StsToken,
}

/// Where what is decided goes, in the order it is decided: the driver's work and the page's
/// events, naming files by index. The core owns it, hands it to every input, and drains it
/// through `poll()` and `poll_event()`.
#[derive(Default)]
pub(super) struct Sink {
    pub out: VecDeque<Out>,
    pub events: VecDeque<Event<usize>>,
}

impl Sink {
    pub fn push(&mut self, out: Out) {
        self.out.push_back(out);
    }

    pub fn notify(&mut self, event: Event<usize>) {
        self.events.push_back(event);
    }

    /// Forgets the file's checkpoint.
    pub fn forget(&mut self, data: &FileData) {
        if let Some(key) = &data.checkpoint_key {
            self.push(Out::Forget(key.clone()));
        }
    }
}
