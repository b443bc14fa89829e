//! Where a file's credentials come from: the page (`getUploadAuth`, `refreshUploadAuth`), or in
//! STS mode VOD's OpenAPI, called with the page's STS token (`getSTSToken`), which is asked for
//! again before it expires and when VOD says it has.

use super::core::{Core, Notice};
use super::task::{race, Either};
use super::{Credentials, FileInfo, Platform, Sts};
use crate::auth::{StsToken, UploadAuth};
use crate::error::{Code, UploadError};
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

/// Credentials for a new upload of the file.
pub(super) async fn allocate<P: Platform>(
    core: &Core<P>,
    info: &FileInfo,
    file: &Described<'_>,
) -> Result<Credentials, Unavailable> {
    let Some(sts) = &core.options.sts else {
        return core
            .platform
            .upload_auth(info)
            .await
            .map_err(Unavailable::Failed);
    };
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
    let answer = call(core, sts, file.index, &action).await?;
    Ok(Credentials {
        auth: answer.auth,
        address: answer.address,
        video_id: answer.video_id,
        image: answer.image_id.zip(answer.image_url),
    })
}

/// Whether the credentials can be renewed for the same object: a video's can, with
/// `refreshUploadAuth` or in STS mode; an image's cannot.
pub(super) fn can_renew<P: Platform>(core: &Core<P>, credentials: &Credentials) -> bool {
    match core.options.sts {
        Some(_) => credentials.image.is_none() && credentials.video_id.is_some(),
        None => core.platform.can_refresh(),
    }
}

/// New credentials for the same object.
pub(super) async fn renew<P: Platform>(
    core: &Core<P>,
    info: &FileInfo,
) -> Result<UploadAuth, Unavailable> {
    let Some(sts) = &core.options.sts else {
        return core
            .platform
            .refresh_upload_auth(info)
            .await
            .map_err(Unavailable::Failed);
    };
    let video_id = info.video_id.as_deref().unwrap_or_default();
    let answer = call(
        core,
        sts,
        info.index,
        &Action::RefreshUploadVideo { video_id },
    )
    .await?;
    Ok(answer.auth)
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
            *core.sts_token.borrow_mut() = Some(token.clone());
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
/// once when VOD says the one held expired.
async fn call<P: Platform>(
    core: &Core<P>,
    sts: &Sts,
    index: usize,
    action: &Action<'_>,
) -> Result<Allocated, Unavailable> {
    let options = &core.options;
    let mut retries = 0;
    let mut token_renewed = false;
    loop {
        let token = token(core).await?;
        let slot = core.slots.acquire(index).await;
        let request = action.build(
            &sts.endpoint,
            &token,
            &timestamp(core.server_now_ms()),
            &nonce(core),
        );
        let error = match race(
            core.platform.send(request, None),
            core.platform.sleep(options.timeout_ms),
        )
        .await
        {
            Either::Left(Ok(answer)) => {
                match response::read(answer.status, &answer.body).map_err(|mut refused| {
                    // VOD quotes the string it signed, security token and all: not for the page.
                    let secret = token.security_token.as_str();
                    let encoded = crate::vod::signature::encode(secret);
                    refused.error = refused.error.without(&[&encoded, secret]);
                    refused
                }) {
                    Ok(allocated) => return Ok(allocated),
                    Err(refused) if refused.token_expired && !token_renewed => {
                        token_renewed = true;
                        core.sts_token.borrow_mut().take();
                        continue;
                    }
                    Err(refused) if refused.transient => refused.error,
                    Err(refused) => return Err(Unavailable::Failed(refused.error)),
                }
            }
            Either::Left(Err(transport)) => UploadError::new(Code::NetworkError, transport.message),
            Either::Right(_) => UploadError::new(
                Code::Timeout,
                format!("VOD gave no answer within {} ms", options.timeout_ms),
            ),
        };
        drop(slot);
        if retries >= options.retry_count {
            return Err(Unavailable::Failed(error));
        }
        retries += 1;
        core.notify(index, Notice::Retry(error));
        core.platform.sleep(core.backoff_ms(retries)).await;
    }
}
