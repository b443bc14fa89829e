//! Reading OSS answers: the documents of successful calls, and errors classified into what the
//! SDK does about them (docs/protocol.md, "Errors").

use super::xml;
use crate::error::{Code, UploadError};
use crate::text::number;
use alloc::{format, string::String, string::ToString, vec::Vec};

/// What a transport brings back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    pub status: u16,
    /// The ETag header, if the browser could read it (CORS must expose it).
    pub etag: Option<String>,
    /// The `x-oss-hash-crc64ecma` header, if sent and readable (CORS must expose it too).
    pub crc64: Option<u64>,
    pub body: String,
}

/// What the SDK does about a failed call.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Credentials expired: stop sending, ask for new ones, resume.
    Expired,
    /// The clock is off: correct it by the server's time and retry once.
    Skewed { server_ms: f64 },
    /// Worth retrying with backoff: 5xx, throttling, network failure, time-out.
    Transient,
    /// The multipart upload is gone: start the file again.
    UploadGone,
    /// Retrying cannot help.
    Fatal,
}

/// Classifies a non-2xx answer.
pub fn classify(response: &Response) -> (Failure, UploadError) {
    let doc = xml::parse(&response.body)
        .ok()
        .filter(|d| d.name == "Error");
    let text = |name: &str| {
        doc.as_ref()
            .and_then(|d| d.text_of(name))
            .unwrap_or("")
            .to_string()
    };
    let (oss_code, message) = (text("Code"), text("Message"));
    let status = response.status;
    let failure = match oss_code.as_str() {
        "SecurityTokenExpired" | "InvalidAccessKeyId" => Failure::Expired,
        "InvalidSecurityToken"
            if crate::text::find(&message.to_ascii_lowercase(), "expired").is_some() =>
        {
            Failure::Expired
        }
        "RequestTimeTooSkewed" => match crate::date::parse_iso8601(&text("ServerTime")) {
            Some(server_ms) => Failure::Skewed { server_ms },
            None => Failure::Fatal,
        },
        "NoSuchUpload" => Failure::UploadGone,
        _ if status >= 500 || status == 408 || status == 429 => Failure::Transient,
        _ => Failure::Fatal,
    };
    let error = if oss_code.is_empty() {
        UploadError::new(
            Code::InvalidResponse,
            format!("the server answered HTTP {status} without an OSS error document"),
        )
    } else {
        let request_id = text("RequestId");
        UploadError::new(
            Code::Server(oss_code),
            format!("{message} (HTTP {status}, request {request_id})"),
        )
    };
    (failure, error)
}

fn document(body: &str, root: &str) -> Result<xml::Element, UploadError> {
    xml::parse(body)
        .ok()
        .filter(|d| d.name == root)
        .ok_or_else(|| {
            UploadError::new(
                Code::InvalidResponse,
                format!("expected an {root} document"),
            )
        })
}

/// The UploadId of an InitiateMultipartUploadResult.
pub fn upload_id(body: &str) -> Result<String, UploadError> {
    document(body, "InitiateMultipartUploadResult")?
        .text_of("UploadId")
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            UploadError::new(
                Code::InvalidResponse,
                "InitiateMultipartUploadResult has no UploadId",
            )
        })
}

/// One part the server holds.
#[derive(Debug, PartialEq)]
pub struct ListedPart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

/// One page of ListParts: its parts, and the marker of the next page if there is one.
pub fn list_parts(body: &str) -> Result<(Vec<ListedPart>, Option<u32>), UploadError> {
    let doc = document(body, "ListPartsResult")?;
    let bad = || {
        UploadError::new(
            Code::InvalidResponse,
            "ListPartsResult has a malformed Part",
        )
    };
    let parts = doc
        .children_named("Part")
        .map(|p| {
            Some(ListedPart {
                number: number(p.text_of("PartNumber")?, 10)?.try_into().ok()?,
                etag: p.text_of("ETag")?.to_string(),
                size: number(p.text_of("Size")?, 10)?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    let next = match doc.text_of("IsTruncated") {
        Some("true") => Some(
            doc.text_of("NextPartNumberMarker")
                .and_then(|m| number(m, 10))
                .and_then(|m| m.try_into().ok())
                .ok_or_else(bad)?,
        ),
        _ => None,
    };
    Ok((parts, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn error(status: u16, code: &str, message: &str, extra: &str) -> Response {
        Response {
            status,
            etag: None,
            crc64: None,
            body: format!(
                "<?xml version=\"1.0\"?><Error xmlns=\"http://doc.example/\"><Code>{code}</Code><Message>{message}</Message>\
                 <RequestId>R1</RequestId><HostId>h</HostId>{extra}</Error>"
            ),
        }
    }

    #[test]
    fn classification_follows_the_protocol_table() {
        let cases = [
            (
                error(
                    403,
                    "SecurityTokenExpired",
                    "The security token you provided has expired.",
                    "",
                ),
                Failure::Expired,
            ),
            (
                error(
                    403,
                    "InvalidSecurityToken",
                    "The security token has expired.",
                    "",
                ),
                Failure::Expired,
            ),
            (
                error(
                    403,
                    "InvalidSecurityToken",
                    "The security token you provided is invalid.",
                    "",
                ),
                Failure::Fatal,
            ),
            (
                error(403, "InvalidAccessKeyId", "does not exist", ""),
                Failure::Expired,
            ),
            (
                error(
                    403,
                    "RequestTimeTooSkewed",
                    "too skewed",
                    "<ServerTime>2024-01-10T08:00:00.000Z</ServerTime>",
                ),
                Failure::Skewed {
                    server_ms: 1_704_873_600_000.0,
                },
            ),
            (
                error(403, "SignatureDoesNotMatch", "no", ""),
                Failure::Fatal,
            ),
            (error(403, "AccessDenied", "no", ""), Failure::Fatal),
            (error(404, "NoSuchUpload", "gone", ""), Failure::UploadGone),
            (error(400, "InvalidPart", "x", ""), Failure::Fatal),
            (error(400, "EntityTooSmall", "x", ""), Failure::Fatal),
            (error(400, "InvalidDigest", "x", ""), Failure::Fatal),
            (
                error(503, "ServiceUnavailable", "busy", ""),
                Failure::Transient,
            ),
            (error(500, "InternalError", "oops", ""), Failure::Transient),
        ];
        for (response, expected) in cases {
            let (failure, err) = classify(&response);
            assert_eq!(failure, expected, "{}", response.body);
            assert!(response.body.contains(err.code.as_str()));
            assert!(err.message.contains("request R1"));
        }
    }

    #[test]
    fn a_non_oss_answer_is_named_by_its_status() {
        let (failure, err) = classify(&Response {
            status: 502,
            etag: None,
            crc64: None,
            body: "<html>bad gateway</html>".into(),
        });
        assert_eq!(failure, Failure::Transient);
        assert_eq!(err.code, Code::InvalidResponse);
        assert!(err.message.contains("502"));
        let (failure, _) = classify(&Response {
            status: 404,
            etag: None,
            crc64: None,
            body: String::new(),
        });
        assert_eq!(failure, Failure::Fatal);
    }

    #[test]
    fn parses_initiate_and_list_parts() {
        let body = "<InitiateMultipartUploadResult xmlns=\"x\"><Bucket>b</Bucket><Key>k</Key>\
                    <UploadId>0004B999EF5A239BB9138C6227D6****</UploadId></InitiateMultipartUploadResult>";
        assert_eq!(upload_id(body).unwrap(), "0004B999EF5A239BB9138C6227D6****");
        assert!(upload_id("<Other/>").is_err());

        let page = "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>\
                    <Part><PartNumber>1</PartNumber><ETag>\"A\"</ETag><Size>102400</Size></Part>\
                    <Part><PartNumber>2</PartNumber><ETag>\"B\"</ETag><Size>5</Size></Part></ListPartsResult>";
        let (parts, next) = list_parts(page).unwrap();
        assert_eq!(next, Some(2));
        assert_eq!(
            parts[1],
            ListedPart {
                number: 2,
                etag: "\"B\"".into(),
                size: 5
            }
        );
        let last = "<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>";
        assert_eq!(list_parts(last).unwrap(), (vec![], None));
        assert!(list_parts(
            "<ListPartsResult><Part><PartNumber>x</PartNumber></Part></ListPartsResult>"
        )
        .is_err());
    }
}
