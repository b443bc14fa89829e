//! Reading OSS answers: the documents of successful calls, and errors classified into what the
//! SDK does about them (docs/protocol.md, "Errors").

use super::xml;
use crate::error::{is_broken_code, quote, Code, UploadError};
use crate::text::number;
use alloc::{format, string::String, string::ToString, vec::Vec};

/// What a transport brings back. Headers are kept as sent: whether one is well-formed is for
/// the reader of each answer to decide.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    pub status: u16,
    /// The ETag header, if the browser could read it (CORS must expose it).
    pub etag: Option<String>,
    /// The `x-oss-hash-crc64ecma` header, if sent and readable (CORS must expose it too).
    pub crc64: Option<String>,
    /// The Content-Length header, read for HeadObject.
    pub length: Option<String>,
    /// The body, at most [`MAX_BODY`] bytes of it.
    pub body: String,
}

/// The most of an answer's body that is read: the largest document the SDK reads.
pub const MAX_BODY: usize = xml::MAX_DOCUMENT;

/// What the SDK does about a failed call.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Credentials expired: stop sending, ask for new ones, resume.
    Expired,
    /// The clock is off: correct it by the server's time and retry once.
    Skewed { server_ms: f64 },
    /// Worth retrying with backoff: 5xx, throttling, network failure, time-out, and a 2xx
    /// whose answer is broken.
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
        _ if status >= 500 || status == 408 || status == 429 || is_broken_code(&oss_code) => {
            Failure::Transient
        }
        _ => Failure::Fatal,
    };
    let error = if oss_code.is_empty() {
        UploadError::new(
            Code::InvalidResponse,
            format!(
                "the server answered HTTP {} without an OSS error document",
                crate::encoding::decimal(status.into())
            ),
        )
    } else {
        let request_id = quote(&text("RequestId"), 64);
        UploadError::server(
            &oss_code,
            format!(
                "{message} (HTTP {}, request {request_id})",
                crate::encoding::decimal(status.into())
            ),
        )
    };
    (failure, error)
}

/// A broken answer to `operation`: what it is not, and the start of what it is.
fn broken(operation: &str, what: &str, text: &str) -> UploadError {
    UploadError::new(
        Code::InvalidResponse,
        format!(
            "the answer to {operation} is broken: {what} (it begins \"{}\")",
            quote(text, 100)
        ),
    )
}

/// The answer to `operation`, which must be a `root` document.
fn document(body: &str, operation: &str, root: &str) -> Result<xml::Element, UploadError> {
    xml::parse(body)
        .ok()
        .filter(|d| d.name == root)
        .ok_or_else(|| broken(operation, &format!("it is not a {root} document"), body))
}

/// Whether `value` may stand for an id or an ETag the SDK sends back: printable ASCII, no
/// space, at most 256 bytes.
fn token(value: &str) -> bool {
    (1..=256).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic())
}

/// The `x-oss-hash-crc64ecma` header: absent (CORS may hide it), or a decimal number.
pub fn crc64(response: &Response, operation: &str) -> Result<Option<u64>, UploadError> {
    match response.crc64.as_deref() {
        None => Ok(None),
        Some(value) => crate::text::number(value.trim_ascii(), 10)
            .map(Some)
            .ok_or_else(|| broken(operation, "its CRC-64 header is not a number", value)),
    }
}

/// What the server says it stored of a PutObject or an UploadPart.
#[derive(Debug, PartialEq)]
pub struct Stored {
    /// `None` when the browser cannot read it (CORS must expose it).
    pub etag: Option<String>,
    pub crc64: Option<u64>,
}

pub fn stored(response: &Response, operation: &str) -> Result<Stored, UploadError> {
    let etag = match response.etag.as_deref() {
        None | Some("") => None,
        Some(etag) if token(etag) => Some(etag.to_string()),
        Some(etag) => return Err(broken(operation, "its ETag header is malformed", etag)),
    };
    Ok(Stored {
        etag,
        crc64: crc64(response, operation)?,
    })
}

/// The UploadId of an InitiateMultipartUploadResult.
pub fn upload_id(response: &Response) -> Result<String, UploadError> {
    const OPERATION: &str = "InitiateMultipartUpload";
    let body = &response.body;
    let doc = document(body, OPERATION, "InitiateMultipartUploadResult")?;
    doc.text_of("UploadId")
        .filter(|id| token(id))
        .map(str::to_string)
        .ok_or_else(|| broken(OPERATION, "it has no well-formed UploadId", body))
}

/// A CompleteMultipartUploadResult for this `bucket` and `key`, and the object's CRC-64 if the
/// browser can read it.
pub fn completed(response: &Response, bucket: &str, key: &str) -> Result<Option<u64>, UploadError> {
    const OPERATION: &str = "CompleteMultipartUpload";
    let body = &response.body;
    let doc = document(body, OPERATION, "CompleteMultipartUploadResult")?;
    if doc.text_of("Bucket") != Some(bucket) || doc.text_of("Key") != Some(key) {
        return Err(broken(OPERATION, "it is for another bucket or key", body));
    }
    crc64(response, OPERATION)
}

/// What HeadObject says of an object: its size and, if the browser can read it, its CRC-64.
pub fn head(response: &Response) -> Result<(u64, Option<u64>), UploadError> {
    const OPERATION: &str = "HeadObject";
    let length = response.length.as_deref().unwrap_or_default();
    let size = crate::text::number(length.trim_ascii(), 10)
        .ok_or_else(|| broken(OPERATION, "its Content-Length is not a number", length))?;
    Ok((size, crc64(response, OPERATION)?))
}

/// One part the server holds.
#[derive(Debug, PartialEq)]
pub struct ListedPart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

/// One page of ListParts: its parts, and the marker of the next page if there is one.
pub fn list_parts(response: &Response) -> Result<(Vec<ListedPart>, Option<u32>), UploadError> {
    const OPERATION: &str = "ListParts";
    let body = &response.body;
    let doc = document(body, OPERATION, "ListPartsResult")?;
    let bad = || broken(OPERATION, "it has a malformed Part", body);
    let parts = doc
        .children_named("Part")
        .map(|p| {
            Some(ListedPart {
                number: number(p.text_of("PartNumber")?, 10)?.try_into().ok()?,
                etag: p.text_of("ETag").filter(|e| token(e))?.to_string(),
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
            body: format!(
                "<?xml version=\"1.0\"?><Error xmlns=\"http://doc.example/\"><Code>{code}</Code><Message>{message}</Message>\
                 <RequestId>R1</RequestId><HostId>h</HostId>{extra}</Error>"
            ),
            ..Response::default()
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
            body: "<html>bad gateway</html>".into(),
            ..Response::default()
        });
        assert_eq!(failure, Failure::Transient);
        assert_eq!(err.code, Code::InvalidResponse);
        assert!(err.message.contains("502"));
        let (failure, _) = classify(&Response {
            status: 404,
            ..Response::default()
        });
        assert_eq!(failure, Failure::Fatal);
    }

    fn ok(body: &str) -> Response {
        Response {
            status: 200,
            body: body.into(),
            ..Response::default()
        }
    }

    #[test]
    fn parses_initiate_and_list_parts() {
        let body = "<InitiateMultipartUploadResult xmlns=\"x\"><Bucket>b</Bucket><Key>k</Key>\
                    <UploadId>0004B999EF5A239BB9138C6227D6****</UploadId></InitiateMultipartUploadResult>";
        assert_eq!(
            upload_id(&ok(body)).unwrap(),
            "0004B999EF5A239BB9138C6227D6****"
        );
        for bad in [
            "<Other/>",
            "<InitiateMultipartUploadResult><UploadId>a b</UploadId></InitiateMultipartUploadResult>",
            "<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>",
            "",
        ] {
            let error = upload_id(&ok(bad)).unwrap_err();
            assert_eq!(error.code, Code::InvalidResponse, "{bad}");
        }

        let page = "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>\
                    <Part><PartNumber>1</PartNumber><ETag>\"A\"</ETag><Size>102400</Size></Part>\
                    <Part><PartNumber>2</PartNumber><ETag>\"B\"</ETag><Size>5</Size></Part></ListPartsResult>";
        let (parts, next) = list_parts(&ok(page)).unwrap();
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
        assert_eq!(list_parts(&ok(last)).unwrap(), (vec![], None));
        assert!(list_parts(&ok(
            "<ListPartsResult><Part><PartNumber>x</PartNumber></Part></ListPartsResult>"
        ))
        .is_err());
    }

    #[test]
    fn complete_must_be_for_this_object() {
        let answer = |body: &str, crc: Option<&str>| Response {
            crc64: crc.map(Into::into),
            ..ok(body)
        };
        let good = "<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket>\
                    <Key>sv/a &amp; b.mp4</Key><ETag>\"E-2\"</ETag></CompleteMultipartUploadResult>";
        assert_eq!(
            completed(&answer(good, Some("42")), "b", "sv/a & b.mp4"),
            Ok(Some(42))
        );
        assert_eq!(
            completed(&answer(good, None), "b", "sv/a & b.mp4"),
            Ok(None)
        );
        let cases = [
            (good, Some("4x2"), "b", "sv/a & b.mp4"),
            (good, Some(""), "b", "sv/a & b.mp4"),
            (good, Some("18446744073709551616"), "b", "sv/a & b.mp4"),
            (good, None, "other", "sv/a & b.mp4"),
            (good, None, "b", "sv/other.mp4"),
            ("", None, "b", "k"),
            (
                "<CompleteMultipartUploadResult><Bucket>b</Bucket>",
                None,
                "b",
                "k",
            ),
            ("<ListPartsResult/>", None, "b", "k"),
            ("\u{fffd}\u{fffd}PK", None, "b", "k"),
        ];
        for (body, crc, bucket, key) in cases {
            let error = completed(&answer(body, crc), bucket, key).unwrap_err();
            assert_eq!(error.code, Code::InvalidResponse, "{body} {crc:?}");
            assert!(error
                .message
                .starts_with("the answer to CompleteMultipartUpload is broken"));
        }
    }

    #[test]
    fn stored_and_head_read_their_headers() {
        let answer = Response {
            etag: Some("\"AB\"".into()),
            crc64: Some(" 7 ".into()),
            length: Some("12".into()),
            ..ok("")
        };
        let good = Stored {
            etag: Some("\"AB\"".into()),
            crc64: Some(7),
        };
        assert_eq!(stored(&answer, "UploadPart"), Ok(good));
        assert_eq!(head(&answer), Ok((12, Some(7))));
        let hidden = stored(&ok(""), "UploadPart").unwrap();
        assert_eq!((hidden.etag, hidden.crc64), (None, None));
        for bad in [
            Response {
                etag: Some("x".repeat(300)),
                ..ok("")
            },
            Response {
                etag: Some("\"a b\"".into()),
                ..ok("")
            },
            Response {
                crc64: Some("-1".into()),
                ..ok("")
            },
        ] {
            assert_eq!(
                stored(&bad, "UploadPart").unwrap_err().code,
                Code::InvalidResponse
            );
        }
        assert!(head(&ok("")).is_err());
    }

    #[test]
    fn error_codes_that_are_not_codes_are_invalid_responses() {
        let huge = "C".repeat(300_000);
        let (failure, err) = classify(&error(400, &huge, "m", ""));
        assert_eq!(
            (failure, err.code),
            (Failure::Transient, Code::InvalidResponse)
        );
        assert!(err.message.len() <= crate::error::MAX_MESSAGE);
        let (_, err) = classify(&error(400, "AccessDenied", &"m".repeat(5000), ""));
        assert_eq!(err.code, Code::Server("AccessDenied".into()));
        assert!(err.message.len() <= crate::error::MAX_MESSAGE);
    }
}
