//! Where a file's credentials come from, as rules: the page (`getUploadAuth`,
//! `refreshUploadAuth`), or VOD's OpenAPI called with an STS token (the page's `getSTSToken` in
//! STS mode, or one the page answered for the file). Each rule says what to ask next and what
//! an answer comes to; the transfer asks.

use super::call::What;
use super::core::Shared;
use super::ids::AskId;
use super::{Credentials, Grant};
use crate::error::{Code, UploadError};
use crate::vod::response::Allocated;

/// Why credentials could not be had.
pub(super) enum Unavailable {
    /// The STS token could not be had: the upload waits for `resumeUploadWithToken`.
    NoToken,
    Failed(UploadError),
}

/// What credentials are for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Purpose {
    /// A new upload of the file.
    Allocate,
    /// An earlier page's video, to go on with its upload.
    Resume,
    /// The current ones are expiring.
    Renew,
}

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

/// The next step in getting credentials.
pub(super) enum Step {
    Ask(AskFor<()>),
    /// Call VOD with the STS token.
    Vod(What),
}

/// Credentials being asked for.
pub(super) struct Obtain {
    pub purpose: Purpose,
    /// What is known of the credentials sought: the current ones when renewing, the
    /// checkpoint's video when resuming.
    pub base: Option<Credentials>,
    /// The page's answer awaited, by id; `None` while VOD is called.
    pub asked: Option<(AskId, AskFor<()>)>,
    /// VOD is called for a new upload (`CreateUploadVideo`), not a refresh.
    pub create: bool,
}

/// Whether the credentials can be renewed for the same object: a video's can, by VOD when
/// they came from VOD, else when the page gave `refreshUploadAuth`; an image's VOD cannot.
pub(super) fn can_renew(cx: &Shared, credentials: &Credentials) -> bool {
    match credentials.from_sts {
        true => credentials.image.is_none() && credentials.video_id.is_some(),
        false => cx.can_refresh,
    }
}

/// The refresh of `base`'s video by VOD.
fn refresh(base: Option<&Credentials>) -> Step {
    let video_id = base.and_then(|b| b.video_id.clone()).unwrap_or_default();
    Step::Vod(What::Refresh { video_id })
}

impl Obtain {
    pub fn new(purpose: Purpose, base: Option<Credentials>) -> Obtain {
        Obtain {
            purpose,
            base,
            asked: None,
            create: false,
        }
    }

    pub fn asked(&self, id: AskId) -> bool {
        self.asked.is_some_and(|(asked, _)| asked == id)
    }

    /// The first step. Renewing credentials that cannot be renewed (an image's that VOD gave)
    /// gets new ones.
    pub fn first(&self, cx: &Shared) -> Step {
        let base = self.base.as_ref();
        let from_sts = base.map_or(cx.options.sts, |b| b.from_sts);
        match self.purpose {
            Purpose::Allocate if !cx.options.sts => Step::Ask(AskFor::UploadAuth(())),
            Purpose::Allocate => Step::Vod(What::Create),
            Purpose::Resume if !cx.options.sts && !cx.can_refresh => {
                Step::Ask(AskFor::UploadAuth(()))
            }
            Purpose::Renew if base.is_some_and(|b| !can_renew(cx, b)) => Step::Vod(What::Create),
            Purpose::Resume | Purpose::Renew if from_sts => refresh(base),
            Purpose::Resume | Purpose::Renew => Step::Ask(AskFor::Refresh(())),
        }
    }

    /// What the page's answer comes to: credentials, a failure, or (for an STS token, which
    /// the caller keeps) a call of VOD.
    pub fn granted(&self, answer: Result<Grant, UploadError>) -> Result<Credentials, Granted> {
        let asked = self.asked.map(|(_, a)| a);
        let base = self.base.as_ref();
        match (
            answer.map_err(|e| Granted::Done(Unavailable::Failed(e)))?,
            asked,
        ) {
            (Grant::Credentials(fresh), Some(AskFor::Refresh(()))) => match base {
                // The same object: what the answer leaves out (its VideoId, an image's id and
                // URL) is still what it was.
                Some(current) if fresh.address == current.address => Ok(Credentials {
                    video_id: fresh.video_id.or_else(|| current.video_id.clone()),
                    image: fresh.image.or_else(|| current.image.clone()),
                    ..fresh
                }),
                _ => Ok(fresh),
            },
            (Grant::Credentials(fresh), _) => Ok(fresh),
            (Grant::Auth(_), _) if self.purpose == Purpose::Allocate => {
                Err(Granted::Done(Unavailable::Failed(UploadError::new(
                    Code::InvalidUploadAddress,
                    "getUploadAuth answered an UploadAuth without its UploadAddress",
                ))))
            }
            (Grant::Auth(auth), _) => match base {
                Some(base) => Ok(Credentials {
                    auth,
                    ..base.clone()
                }),
                None => unreachable!("only a new upload is asked for without a base"),
            },
            (Grant::Sts(token), _) => {
                let step = match self.purpose {
                    Purpose::Allocate => Step::Vod(What::Create),
                    _ => refresh(base),
                };
                Err(Granted::Token(token, step))
            }
        }
    }

    /// What VOD's answer comes to.
    pub fn allocated(&self, answer: Allocated) -> Credentials {
        match (&self.base, self.create) {
            (Some(base), false) => Credentials {
                auth: answer.auth,
                from_sts: true,
                ..base.clone()
            },
            _ => Credentials {
                auth: answer.auth,
                address: answer.address,
                video_id: answer.video_id,
                image: answer.image_id.zip(answer.image_url),
                from_sts: true,
            },
        }
    }
}

/// A page's answer that is not credentials yet.
pub(super) enum Granted {
    Done(Unavailable),
    /// An STS token, to keep and call VOD with.
    Token(crate::auth::StsToken, Step),
}
