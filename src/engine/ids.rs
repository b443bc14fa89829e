//! The names the core gives what it waits for, one type each, so that an answer to a read can
//! never be taken for a request's. They share one counter, so no two are equal either.

/// A request sent; its response goes to [`super::Core::handle_response`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestId(pub(super) u32);

/// A read of a file's bytes; its digest goes to [`super::Core::handle_read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadId(pub(super) u32);

/// A question to the page; its answer goes to [`super::Core::handle_answer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AskId(pub(super) u32);
