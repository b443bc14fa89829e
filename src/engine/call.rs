//! One request of a file's upload, from the moment the upload wants it until it is answered:
//! what it is, how it is built and signed when it goes out, how its answer is read, and where
//! it stands (queued for a slot, in flight, backing off, waiting for credentials).

use alloc::{string::String, vec::Vec};

use super::exchange::Exchange;
use super::ids::RequestId;
use super::{Credentials, Destination};
use crate::auth::StsToken;
use crate::error::UploadError;
use crate::oss::request::{Call as OssCall, Request};
use crate::oss::response::{self, ListedPart, Response, Stored};
use crate::vod::meta::Meta;
use crate::vod::request::{timestamp, Action};
use crate::vod::response::Allocated;

/// What a request asks of OSS or VOD.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum What {
    /// The whole file in one PutObject.
    Put,
    Initiate,
    ListParts {
        marker: u32,
    },
    Part(u32),
    Complete,
    Head,
    /// VOD: `CreateUploadVideo` (or `CreateUploadImage`) for the file.
    Create,
    /// VOD: `RefreshUploadVideo`.
    Refresh {
        video_id: String,
    },
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum State {
    /// Goes out once the network may be used and a slot is free.
    Queued,
    /// Out as request `id`, signed with the credentials of `generation`, until `deadline`.
    InFlight {
        id: RequestId,
        deadline: f64,
        generation: u32,
    },
    /// Waits out a backoff before it is queued again.
    Backoff { until: f64 },
    /// Waits for the file's credentials to be renewed.
    Renewing,
    /// A VOD call waiting for the page's STS token.
    NeedsToken,
}

pub(super) struct Call {
    pub what: What,
    pub exchange: Exchange,
    pub state: State,
    /// A VOD call that waited for the page's STS token: it goes with the token that came,
    /// however short its life.
    pub token_came: bool,
}

impl Call {
    pub fn new(what: What, retry_count: u32) -> Call {
        let exchange = match what {
            // A token the page renews that VOD still finds expired fails the call.
            What::Create | What::Refresh { .. } => Exchange::renewing_once(retry_count),
            _ => Exchange::new(retry_count),
        };
        Call {
            what,
            exchange,
            state: State::Queued,
            token_came: false,
        }
    }

    pub fn is_vod(&self) -> bool {
        matches!(self.what, What::Create | What::Refresh { .. })
    }

    pub fn in_flight(&self) -> Option<RequestId> {
        match self.state {
            State::InFlight { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// What the request of an OSS call needs of the file's upload.
pub(super) struct Oss<'a> {
    pub credentials: &'a Credentials,
    pub content_type: &'a str,
    pub upload_id: Option<&'a str>,
    /// Acknowledged parts, for Complete.
    pub parts: &'a [(u32, String)],
}

/// What a VOD call needs of the file.
pub(super) struct Vod<'a> {
    pub endpoint: &'a str,
    pub name: &'a str,
    pub size: u64,
    pub meta: &'a Meta,
    /// For an image: its extension.
    pub image: Option<&'a str>,
}

impl What {
    /// The OSS request, signed and dated; `None` for a VOD call.
    pub fn oss_request(&self, on: &Oss<'_>, date: &str) -> Option<Request> {
        let upload_id = on.upload_id.unwrap_or_default();
        let call = match self {
            What::Put => OssCall::Put {
                content_type: on.content_type,
            },
            What::Initiate => OssCall::Initiate {
                content_type: on.content_type,
            },
            What::ListParts { marker } => OssCall::ListParts {
                upload_id,
                marker: *marker,
            },
            What::Part(number) => OssCall::UploadPart {
                upload_id,
                part_number: *number,
            },
            What::Complete => OssCall::Complete {
                upload_id,
                parts: on.parts,
            },
            What::Head => OssCall::Head,
            What::Create | What::Refresh { .. } => return None,
        };
        let credentials = on.credentials;
        Some(call.build(&credentials.address, &credentials.auth, date))
    }

    /// The VOD request, signed with the STS token.
    pub fn vod_request(
        &self,
        on: &Vod<'_>,
        token: &StsToken,
        server_ms: f64,
        nonce: &str,
    ) -> Request {
        let action = match (self, on.image) {
            (What::Refresh { video_id }, _) => Action::RefreshUploadVideo { video_id },
            (_, Some(extension)) => Action::CreateUploadImage {
                extension,
                meta: on.meta,
            },
            (_, None) => Action::CreateUploadVideo {
                file_name: on.name,
                size: on.size,
                meta: on.meta,
            },
        };
        action.build(on.endpoint, token, &timestamp(server_ms), nonce)
    }

    /// Reads an OSS answer of 2xx as this call expects it: a broken answer is an error, to be
    /// retried like a 5xx. `at`: where the file goes, which Complete's answer must name.
    pub fn read(&self, answer: &Response, at: &Destination) -> Result<Answer, UploadError> {
        Ok(match self {
            What::Put => Answer::Stored(response::stored(answer, "PutObject")?),
            What::Part(_) => Answer::Stored(response::stored(answer, "UploadPart")?),
            What::Initiate => Answer::UploadId(response::upload_id(answer)?),
            What::ListParts { .. } => {
                let (parts, next) = response::list_parts(answer)?;
                Answer::Listed(parts, next)
            }
            What::Complete => {
                Answer::Completed(response::completed(answer, &at.bucket, &at.object)?)
            }
            What::Head => {
                let (size, crc) = response::head(answer)?;
                Answer::Head(size, crc)
            }
            // VOD's answers are read by vod::response.
            What::Create | What::Refresh { .. } => unreachable!(),
        })
    }
}

/// What an accepted answer held.
pub(super) enum Answer {
    Stored(Stored),
    UploadId(String),
    Listed(Vec<ListedPart>, Option<u32>),
    /// The object's CRC-64, if the browser can read it.
    Completed(Option<u64>),
    /// The object's size and CRC-64.
    Head(u64, Option<u64>),
    Allocated(alloc::boxed::Box<Allocated>),
}
