//! Decoding and checking what the customer's backend hands the page: `UploadAuth` and
//! `UploadAddress`, each standard base64 of a JSON object (docs/protocol.md, "Where an upload goes"). Everything
//! is checked before any request is made.

use alloc::{format, string::String, string::ToString};
use core::fmt;

use crate::error::{Code, UploadError};
use crate::json::Fields;

/// Temporary OSS credentials.
#[derive(Clone, Default, PartialEq)]
pub struct UploadAuth {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    /// Lifetime in seconds, as VOD gave it.
    pub expiration_secs: u64,
    /// When they expire, in milliseconds since the epoch, from `ExpireUTCTime`.
    pub expires_at_ms: Option<f64>,
    pub region: Option<String>,
}

/// Never prints the secret or the token.
impl fmt::Debug for UploadAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadAuth")
            .field("access_key_id", &self.access_key_id)
            .field("expiration_secs", &self.expiration_secs)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// An STS token the page holds in STS mode, as STS `AssumeRole` gave it.
#[derive(Clone, PartialEq)]
pub struct StsToken {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    /// When it expires, ms since the epoch.
    pub expires_at_ms: f64,
}

/// Never prints the secret or the token.
impl fmt::Debug for StsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsToken")
            .field("access_key_id", &self.access_key_id)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

impl StsToken {
    /// Checks an STS token's fields; `expiration` is an ISO-8601 UTC instant.
    pub fn new(
        access_key_id: Option<String>,
        access_key_secret: Option<String>,
        security_token: Option<String>,
        expiration: Option<String>,
    ) -> Result<StsToken, UploadError> {
        let bad = |what: &str| {
            UploadError::new(
                Code::InvalidStsToken,
                format!("the STS token {what}; getSTSToken returns {{ AccessKeyId, AccessKeySecret, SecurityToken, Expiration }}"),
            )
        };
        let present = |value: Option<String>, name: &str| {
            value
                .filter(|v| !v.trim_ascii().is_empty())
                .ok_or_else(|| bad(&format!("lacks {name}")))
        };
        let expiration = present(expiration, "Expiration")?;
        Ok(StsToken {
            access_key_id: present(access_key_id, "AccessKeyId")?,
            access_key_secret: present(access_key_secret, "AccessKeySecret")?,
            security_token: present(security_token, "SecurityToken")?,
            expires_at_ms: crate::date::parse_iso8601(&expiration).ok_or_else(|| {
                bad(&format!(
                    "has an Expiration that is not an ISO-8601 UTC time: \"{expiration}\""
                ))
            })?,
        })
    }
}

/// Where the object goes.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadAddress {
    /// Scheme and host, without a trailing slash: `https://oss-cn-shanghai.aliyuncs.com`.
    pub endpoint: String,
    pub bucket: String,
    /// The object key.
    pub file_name: String,
}

/// The JSON object inside a base64 string.
fn decode_fields(b64: &str, what: &str, error: Code) -> Result<Fields, UploadError> {
    if b64.len() > crate::json::MAX_TEXT / 3 * 4 {
        return Err(UploadError::new(error, format!("{what} is too long")));
    }
    let bytes = crate::encoding::from_base64(b64.trim_ascii())
        .ok_or_else(|| UploadError::new(error.clone(), format!("{what} is not base64")))?;
    core::str::from_utf8(&bytes)
        .ok()
        .and_then(Fields::parse)
        .ok_or_else(|| UploadError::new(error, format!("{what} is not base64 of a JSON object")))
}

/// A required, non-empty string field.
fn required(fields: &Fields, name: &str, what: &str, error: Code) -> Result<String, UploadError> {
    fields
        .string(name)
        .filter(|v| !v.trim_ascii().is_empty())
        .ok_or_else(|| UploadError::new(error, format!("{what} lacks {name}")))
}

pub fn decode_upload_auth(b64: &str) -> Result<UploadAuth, UploadError> {
    const WHAT: &str = "UploadAuth";
    const BAD: Code = Code::InvalidUploadAuth;
    let fields = decode_fields(b64, WHAT, BAD)?;
    let expiration_secs = fields.whole_number("Expiration").ok_or_else(|| {
        UploadError::new(BAD, "UploadAuth lacks Expiration (a lifetime in seconds)")
    })?;
    let expires_at_ms = match fields.string("ExpireUTCTime") {
        Some(t) => Some(crate::date::parse_iso8601(&t).ok_or_else(|| {
            UploadError::new(
                BAD,
                format!("UploadAuth's ExpireUTCTime \"{t}\" is not an ISO-8601 UTC time"),
            )
        })?),
        None => None,
    };
    Ok(UploadAuth {
        access_key_id: required(&fields, "AccessKeyId", WHAT, BAD)?,
        access_key_secret: required(&fields, "AccessKeySecret", WHAT, BAD)?,
        security_token: required(&fields, "SecurityToken", WHAT, BAD)?,
        expiration_secs,
        expires_at_ms,
        region: fields.string("Region"),
    })
}

/// `http(s)://host`, without a trailing slash, if `endpoint` is one: every URL of an upload is
/// built on it.
pub fn checked_endpoint(endpoint: &str) -> Option<String> {
    let endpoint = crate::text::trim_end(endpoint.trim_ascii(), "/");
    endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .filter(|host| !host.is_empty() && !crate::text::has_any(host, b"/?# "))
        .map(|_| endpoint.to_string())
}

pub fn decode_upload_address(b64: &str) -> Result<UploadAddress, UploadError> {
    const WHAT: &str = "UploadAddress";
    const BAD: Code = Code::InvalidUploadAddress;
    let fields = decode_fields(b64, WHAT, BAD)?;
    let endpoint = required(&fields, "Endpoint", WHAT, BAD)?;
    let endpoint = checked_endpoint(&endpoint).ok_or_else(|| {
        UploadError::new(
            BAD,
            format!("UploadAddress's Endpoint \"{endpoint}\" is not http(s)://host"),
        )
    })?;
    Ok(UploadAddress {
        endpoint,
        bucket: required(&fields, "Bucket", WHAT, BAD)?,
        file_name: required(&fields, "FileName", WHAT, BAD)?,
    })
}

/// An UploadAddress as VOD gives it: base64 of its JSON.
pub fn encode_upload_address(address: &UploadAddress) -> String {
    let json = crate::json::Writer::default()
        .string("Endpoint", &address.endpoint)
        .string("Bucket", &address.bucket)
        .string("FileName", &address.file_name)
        .finish();
    crate::encoding::to_base64(json.as_bytes())
}

/// An UploadAuth as VOD gives it: base64 of its JSON, with `ExpireUTCTime` when it is known.
pub fn encode_upload_auth(auth: &UploadAuth) -> String {
    let mut json = crate::json::Writer::default()
        .string("AccessKeyId", &auth.access_key_id)
        .string("AccessKeySecret", &auth.access_key_secret)
        .string("SecurityToken", &auth.security_token)
        .number("Expiration", auth.expiration_secs);
    if let Some(at) = auth.expires_at_ms {
        json = json.string("ExpireUTCTime", &crate::date::iso8601(at as u64));
    }
    if let Some(region) = &auth.region {
        json = json.string("Region", region);
    }
    crate::encoding::to_base64(json.finish().as_bytes())
}

/// STS's default lifetime, for credentials handed over without one.
pub const DEFAULT_LIFETIME_MS: f64 = 3600.0 * 1000.0;

/// When credentials handed over loosely expire, in ms since the epoch: `expiration` is an
/// ISO-8601 time, or a lifetime in whole seconds from `now_ms`; anything else (nothing, `""`,
/// a word) counts as STS's default hour. aliyun-upload-sdk 1.5.x's pages pass any of these.
pub fn loose_expiry(expiration: Option<&str>, now_ms: f64) -> f64 {
    let text = expiration.map(str::trim_ascii).unwrap_or_default();
    if let Some(at) = crate::date::parse_iso8601(text) {
        return at;
    }
    match crate::text::number(text, 10) {
        Some(secs) if secs > 0 => now_ms + secs as f64 * 1000.0,
        _ => now_ms + DEFAULT_LIFETIME_MS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn b64(json: &str) -> String {
        crate::encoding::to_base64(json.as_bytes())
    }

    const AUTH: &str = r#"{"AccessKeyId":"STS.id","AccessKeySecret":"s3cret","SecurityToken":"tok","Expiration":"3000","ExpireUTCTime":"2024-01-10T08:50:00Z","Region":"cn-shanghai"}"#;

    #[test]
    fn sts_tokens_are_checked_and_never_printed_whole() {
        let some = |s: &str| Some(s.to_string());
        let token = StsToken::new(
            some("STS.a"),
            some("s3cret"),
            some("t0ken"),
            some("2024-01-10T08:50:00Z"),
        )
        .unwrap();
        assert_eq!(token.expires_at_ms, 1_704_876_600_000.0);
        let printed = format!("{token:?}");
        assert!(
            !printed.contains("s3cret") && !printed.contains("t0ken"),
            "{printed}"
        );
        for (id, secret, expiration) in [
            (None, some("s"), some("2024-01-10T08:50:00Z")),
            (some("a"), some(" "), some("2024-01-10T08:50:00Z")),
            (some("a"), some("s"), some("tomorrow")),
        ] {
            let error = StsToken::new(id, secret, some("t"), expiration).unwrap_err();
            assert_eq!(error.code, Code::InvalidStsToken);
        }
    }

    #[test]
    fn decodes_a_complete_upload_auth() {
        let auth = decode_upload_auth(&b64(AUTH)).unwrap();
        assert_eq!(auth.access_key_id, "STS.id");
        assert_eq!(auth.expiration_secs, 3000);
        assert_eq!(auth.expires_at_ms, Some(1_704_876_600_000.0));
        assert_eq!(auth.region.as_deref(), Some("cn-shanghai"));
        // A number works as well as a string, and ExpireUTCTime may be absent.
        let numeric = decode_upload_auth(&b64(
            r#"{"AccessKeyId":"a","AccessKeySecret":"b","SecurityToken":"c","Expiration":3600}"#,
        ))
        .unwrap();
        assert_eq!(
            (numeric.expiration_secs, numeric.expires_at_ms),
            (3600, None)
        );
    }

    #[test]
    fn debug_never_shows_the_secret_or_token() {
        let printed = format!("{:?}", decode_upload_auth(&b64(AUTH)).unwrap());
        assert!(
            !printed.contains("s3cret") && !printed.contains("tok\""),
            "{printed}"
        );
    }

    #[test]
    fn every_missing_field_is_named() {
        for field in [
            "AccessKeyId",
            "AccessKeySecret",
            "SecurityToken",
            "Expiration",
        ] {
            let without = AUTH.replace(&format!("\"{field}\""), "\"Other\"");
            let error = decode_upload_auth(&b64(&without)).unwrap_err();
            assert_eq!(error.code, Code::InvalidUploadAuth);
            assert!(error.message.contains(field), "{error}");
        }
        let empty = decode_upload_auth(&b64(&AUTH.replace("\"STS.id\"", "\"\""))).unwrap_err();
        assert!(empty.message.contains("AccessKeyId"));
    }

    #[test]
    fn malformed_values_are_invalid_upload_auth() {
        for bad in [
            "%%%".to_string(),
            b64("not json"),
            b64("[1,2]"),
            b64(&AUTH.replace("2024-01-10T08:50:00Z", "soon")),
        ] {
            let error = decode_upload_auth(&bad).unwrap_err();
            assert_eq!(error.code, Code::InvalidUploadAuth, "{bad}");
            assert!(!error.message.contains("s3cret"));
        }
    }

    #[test]
    fn decodes_and_checks_upload_address() {
        let address = decode_upload_address(&b64(r#"{"Endpoint":"https://oss-cn-shanghai.aliyuncs.com/","Bucket":"b","FileName":"sv/1/a b.mp4"}"#)).unwrap();
        assert_eq!(address.endpoint, "https://oss-cn-shanghai.aliyuncs.com");
        assert_eq!(address.file_name, "sv/1/a b.mp4");
        for (json, field) in [
            (r#"{"Bucket":"b","FileName":"k"}"#, "Endpoint"),
            (r#"{"Endpoint":"http://h","FileName":"k"}"#, "Bucket"),
            (r#"{"Endpoint":"http://h","Bucket":"b"}"#, "FileName"),
            (
                r#"{"Endpoint":"ftp://h","Bucket":"b","FileName":"k"}"#,
                "Endpoint",
            ),
            (
                r#"{"Endpoint":"http://h/path","Bucket":"b","FileName":"k"}"#,
                "Endpoint",
            ),
        ] {
            let error = decode_upload_address(&b64(json)).unwrap_err();
            assert_eq!(error.code, Code::InvalidUploadAddress);
            assert!(error.message.contains(field), "{json}: {error}");
        }
    }

    #[test]
    fn encoded_credentials_decode_to_what_was_encoded() {
        let address = decode_upload_address(&b64(
            r#"{"Endpoint":"https://oss-cn-beijing.aliyuncs.com","Bucket":"b","FileName":"custom/\u00e9 \"q\".mp4"}"#,
        ))
        .unwrap();
        assert_eq!(address.file_name, "custom/é \"q\".mp4");
        assert_eq!(
            decode_upload_address(&encode_upload_address(&address)).unwrap(),
            address
        );
        let mut auth = decode_upload_auth(&b64(AUTH)).unwrap();
        assert_eq!(
            decode_upload_auth(&encode_upload_auth(&auth)).unwrap(),
            auth
        );
        auth.expires_at_ms = None;
        auth.region = None;
        assert_eq!(
            decode_upload_auth(&encode_upload_auth(&auth)).unwrap(),
            auth
        );
    }

    #[test]
    fn loose_expiry_takes_a_time_or_seconds_and_else_an_hour() {
        let now = 1_704_873_000_000.0;
        let at = |text: Option<&str>| loose_expiry(text, now);
        assert_eq!(at(Some("2024-01-10T08:50:00Z")), 1_704_876_600_000.0);
        assert_eq!(at(Some(" 3000 ")), now + 3_000_000.0);
        for none in [
            None,
            Some(""),
            Some("0"),
            Some("soon"),
            Some("-5"),
            Some("1e3"),
        ] {
            assert_eq!(at(none), now + DEFAULT_LIFETIME_MS, "{none:?}");
        }
    }
}
