//! Where a file's credentials come from: the page (`getUploadAuth`, `refreshUploadAuth`), or in
//! STS mode VOD's OpenAPI, called with the page's STS token (`getSTSToken`), which is asked for
//! again before it expires and when VOD says it has.

use super::core::Core;
use super::exchange::{Exchange, Next, Stop, Tried};
use super::task::{race, Either};
use super::{Credentials, Event, FileInfo, Grant, Platform};
use crate::auth::StsToken;
use crate::error::{Code, UploadError};
use crate::oss::response::Failure;
use crate::vod::meta::Meta;
use crate::vod::request::{timestamp, Action};
use crate::vod::response::{self, Allocated};
use alloc::{format, string::String};

/// Why credentials could not be had.
pub(super) enum Unavailable {
    /// The STS token could not be had: the upload waits for `resumeUploadWithToken`.
    NoToken,
    Failed(UploadError),
}

/// What VOD needs to know of a file to allocate its upload.
pub(super) struct Described<'a> {
    pub index: usize,
    pub name: &'a str,
    pub size: u64,
    pub meta: &'a Meta,
    /// For an image: its extension (`png`, `jpg`, `jpeg`, `gif`).
    pub image: Option<&'a str>,
}

/// Credentials for a new upload of the file: from the page, or from VOD with an STS token
/// (the page's own, in STS mode, or one the page answered for this file).
pub(super) async fn allocate<P: Platform>(
    core: &Core<P>,
    info: &FileInfo,
    file: &Described<'_>,
) -> Result<Credentials, Unavailable> {
    if !core.options.sts {
        match core.platform.upload_auth(info).await {
            Ok(Grant::Credentials(credentials)) => return Ok(credentials),
            Ok(Grant::Sts(token)) => hold(core, token),
            Ok(Grant::Auth(_)) => {
                return Err(Unavailable::Failed(UploadError::new(
                    Code::InvalidUploadAddress,
                    "getUploadAuth answered an UploadAuth without its UploadAddress",
                )))
            }
            Err(e) => return Err(Unavailable::Failed(e)),
        }
    }
    let action = match file.image {
        Some(extension) => Action::CreateUploadImage {
            extension,
            meta: file.meta,
        },
        None => Action::CreateUploadVideo {
            file_name: file.name,
            size: file.size,
            meta: file.meta,
        },
    };
    let answer = call(core, file.index, &action).await?;
    Ok(Credentials {
        auth: answer.auth,
        address: answer.address,
        video_id: answer.video_id,
        image: answer.image_id.zip(answer.image_url),
        from_sts: true,
    })
}

/// Keeps an STS token the page handed over, for every VOD call until it nears its expiry.
pub(super) fn hold<P: Platform>(core: &Core<P>, token: StsToken) {
    *core.sts_token.borrow_mut() = Some(token);
}

/// Whether the credentials can be renewed for the same object: a video's can, by VOD when
/// they came from VOD, else when the page gave `refreshUploadAuth`; an image's VOD cannot.
pub(super) fn can_renew<P: Platform>(core: &Core<P>, credentials: &Credentials) -> bool {
    match credentials.from_sts {
        true => credentials.image.is_none() && credentials.video_id.is_some(),
        false => core.platform.can_refresh(),
    }
}

/// New credentials for the file that `current` (its credentials, or what a checkpoint knows
/// of them) sends to: for the same object, unless the page answered another.
pub(super) async fn renew<P: Platform>(
    core: &Core<P>,
    info: &FileInfo,
    current: &Credentials,
) -> Result<Credentials, Unavailable> {
    if !current.from_sts {
        let grant = core
            .platform
            .refresh_upload_auth(info)
            .await
            .map_err(Unavailable::Failed)?;
        match grant {
            // The same object: what the answer leaves out (its VideoId, an image's id and URL)
            // is still what it was.
            Grant::Credentials(fresh) if fresh.address == current.address => {
                return Ok(Credentials {
                    video_id: fresh.video_id.or_else(|| current.video_id.clone()),
                    image: fresh.image.or_else(|| current.image.clone()),
                    ..fresh
                })
            }
            Grant::Credentials(elsewhere) => return Ok(elsewhere),
            Grant::Auth(auth) => {
                return Ok(Credentials {
                    auth,
                    ..current.clone()
                })
            }
            Grant::Sts(token) => hold(core, token),
        }
    }
    let video_id = current.video_id.as_deref().unwrap_or_default();
    let answer = call(core, info.index, &Action::RefreshUploadVideo { video_id }).await?;
    Ok(Credentials {
        auth: answer.auth,
        from_sts: true,
        ..current.clone()
    })
}

/// The STS token to sign with: the one held, unless it expires within the margin.
async fn token<P: Platform>(core: &Core<P>) -> Result<StsToken, Unavailable> {
    let margin = (2.0 * core.options.timeout_ms as f64).min(60_000.0);
    let _turn = core.sts_asking.acquire(0).await;
    let held = core.sts_token.borrow().clone();
    if let Some(token) = held.filter(|t| t.expires_at_ms - margin > core.server_now_ms()) {
        return Ok(token);
    }
    match core.platform.sts_token().await {
        Ok(token) => {
            hold(core, token.clone());
            Ok(token)
        }
        Err(_) => Err(Unavailable::NoToken),
    }
}

/// A fresh `SignatureNonce`.
fn nonce<P: Platform>(core: &Core<P>) -> String {
    (0..4)
        .map(|_| format!("{:08x}", (core.platform.random() * 4_294_967_296.0) as u32))
        .collect()
}

/// Calls VOD until it answers, retrying transient failures and asking for a new STS token
/// once when VOD says the one held expired ([`Exchange::renewing_once`]).
async fn call<P: Platform>(
    core: &Core<P>,
    index: usize,
    action: &Action<'_>,
) -> Result<Allocated, Unavailable> {
    let options = &core.options;
    let mut exchange = Exchange::renewing_once(options.retry_count);
    loop {
        let token = token(core).await?;
        let slot = core.slots.acquire(index).await;
        let request = action.build(
            &options.vod_endpoint,
            &token,
            &timestamp(core.server_now_ms()),
            &nonce(core),
        );
        let raced = race(
            core.platform.send(request, None),
            core.platform.sleep(options.timeout_ms),
        )
        .await;
        drop(slot);
        let tried = match raced {
            Either::Left(Ok(answer)) => match response::read(answer.status, &answer.body) {
                Ok(allocated) => return Ok(allocated),
                Err(refused) => {
                    // VOD quotes the string it signed, security token and all: not for the page.
                    let secret = token.security_token.as_str();
                    let encoded = crate::vod::signature::encode(secret);
                    let error = refused.error.without(&[&encoded, secret]);
                    let failure = match (refused.token_expired, refused.transient) {
                        (true, _) => Failure::Expired,
                        (_, true) => Failure::Transient,
                        _ => Failure::Fatal,
                    };
                    Tried::Failed(failure, error)
                }
            },
            Either::Left(Err(transport)) => Tried::Failed(
                Failure::Transient,
                UploadError::new(Code::NetworkError, transport.message),
            ),
            Either::Right(_) => Tried::Failed(
                Failure::Transient,
                UploadError::new(
                    Code::Timeout,
                    format!("VOD gave no answer within {} ms", options.timeout_ms),
                ),
            ),
        };
        // VOD's answers carry no clock to correct by.
        match exchange.step(tried, &mut true) {
            Next::Renew => {
                core.sts_token.borrow_mut().take();
            }
            Next::Retry { retries, error } => {
                core.notify(Event::Retry(index, error));
                core.platform.sleep(core.backoff_ms(retries)).await;
            }
            Next::Stop(Stop::Failed(error) | Stop::Unanswered(error) | Stop::Gone(error, _)) => {
                return Err(Unavailable::Failed(error))
            }
            Next::Stop(Stop::Expired | Stop::Moved) => return Err(Unavailable::NoToken),
            Next::Done | Next::Send | Next::CorrectClock { .. } => {}
        }
    }
}
