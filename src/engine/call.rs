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

/// What a request asks, of OSS or of VOD.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum What {
    Oss(Oss),
    Vod(Vod),
}

/// What a request asks of OSS.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Oss {
    /// The whole file in one PutObject.
    Put,
    Initiate,
    ListParts {
        marker: u32,
    },
    Part(u32),
    Complete,
    Head,
}

/// What a request asks of VOD.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Vod {
    /// `CreateUploadVideo` (or `CreateUploadImage`) for the file.
    Create,
    /// `RefreshUploadVideo`.
    Refresh { video_id: String },
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
            What::Vod(_) => Exchange::renewing_once(retry_count),
            What::Oss(_) => Exchange::new(retry_count),
        };
        Call {
            what,
            exchange,
            state: State::Queued,
            token_came: false,
        }
    }

    pub fn is_vod(&self) -> bool {
        matches!(self.what, What::Vod(_))
    }

    pub fn in_flight(&self) -> Option<RequestId> {
        match self.state {
            State::InFlight { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// What the request of an OSS call needs of the file's upload.
pub(super) struct ForOss<'a> {
    pub credentials: &'a Credentials,
    pub content_type: &'a str,
    pub upload_id: Option<&'a str>,
    /// Acknowledged parts, for Complete.
    pub parts: &'a [(u32, String)],
}

/// What a VOD call needs of the file.
pub(super) struct ForVod<'a> {
    pub endpoint: &'a str,
    pub name: &'a str,
    pub size: u64,
    pub meta: &'a Meta,
    /// For an image: its extension.
    pub image: Option<&'a str>,
}

impl Oss {
    /// The call that sends part `number`: UploadPart into the multipart upload, when one is
    /// `open`; else the whole file in one PutObject.
    pub fn send_part(open: bool, number: u32) -> Oss {
        if open {
            Oss::Part(number)
        } else {
            Oss::Put
        }
    }

    /// The request, signed and dated.
    pub fn request(&self, on: &ForOss<'_>, date: &str) -> Request {
        let upload_id = on.upload_id.unwrap_or_default();
        let call = match self {
            Oss::Put => OssCall::Put {
                content_type: on.content_type,
            },
            Oss::Initiate => OssCall::Initiate {
                content_type: on.content_type,
            },
            Oss::ListParts { marker } => OssCall::ListParts {
                upload_id,
                marker: *marker,
            },
            Oss::Part(number) => OssCall::UploadPart {
                upload_id,
                part_number: *number,
            },
            Oss::Complete => OssCall::Complete {
                upload_id,
                parts: on.parts,
            },
            Oss::Head => OssCall::Head,
        };
        let credentials = on.credentials;
        call.build(&credentials.address, &credentials.auth, date)
    }

    /// Reads an answer of 2xx as this call expects it: a broken answer is an error, to be
    /// retried like a 5xx. `at`: where the file goes, which Complete's answer must name.
    pub fn read(&self, answer: &Response, at: &Destination) -> Result<Answer, UploadError> {
        Ok(match self {
            Oss::Put => Answer::Stored(response::stored(answer, "PutObject")?),
            Oss::Part(_) => Answer::Stored(response::stored(answer, "UploadPart")?),
            Oss::Initiate => Answer::UploadId(response::upload_id(answer)?),
            Oss::ListParts { .. } => {
                let (parts, next) = response::list_parts(answer)?;
                Answer::Listed(parts, next)
            }
            Oss::Complete => {
                Answer::Completed(response::completed(answer, &at.bucket, &at.object)?)
            }
            Oss::Head => {
                let (size, crc) = response::head(answer)?;
                Answer::Head(size, crc)
            }
        })
    }
}

impl Vod {
    /// The request, signed with the STS token.
    pub fn request(
        &self,
        on: &ForVod<'_>,
        token: &StsToken,
        server_ms: f64,
        nonce: &str,
    ) -> Request {
        let action = match (self, on.image) {
            (Vod::Refresh { video_id }, _) => Action::RefreshUploadVideo { video_id },
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
