//! Checking a request's V1 signature and credentials, in the order OSS reports problems:
//! unknown key, bad or expired security token, clock skew, signature, then scope.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method};

use super::error::{access_denied, invalid_argument, OssError};
use crate::signing::{hmac_sha1_base64, OssRequest};
use crate::state::AppState;

/// OSS refuses requests dated further than this from its clock.
const MAX_SKEW: Duration = Duration::from_millis(vod_upload::oss::limits::MAX_CLOCK_SKEW_MS);

pub fn verify(
    state: &AppState,
    now: SystemTime,
    method: &Method,
    headers: &HeaderMap,
    bucket: &str,
    key: &str,
    query: &[(String, String)],
) -> Result<(), OssError> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let authorization = header("authorization").ok_or_else(|| {
        access_denied("You have no right to access this object because of bucket acl.")
    })?;
    let (id, provided) = authorization
        .strip_prefix("OSS ")
        .and_then(|rest| rest.split_once(':'))
        .ok_or_else(|| invalid_argument("Authorization header is invalid."))?;

    let credentials = state.credentials.lock().unwrap();
    let credential = credentials.get(id).ok_or_else(|| {
        OssError::new(
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
        )
        .with("OSSAccessKeyId", id)
    })?;
    let token = header("x-oss-security-token").or_else(|| {
        query
            .iter()
            .find(|(n, _)| n == "security-token")
            .map(|(_, v)| v.clone())
    });
    if token != credential.token {
        return Err(OssError::new(
            403,
            "InvalidSecurityToken",
            "The security token you provided is invalid.",
        ));
    }
    if now >= credential.expires {
        return Err(OssError::new(
            403,
            "SecurityTokenExpired",
            "The security token you provided has expired.",
        )
        .with(
            "Expiration",
            humantime::format_rfc3339_seconds(credential.expires).to_string(),
        ));
    }

    let date = header("x-oss-date")
        .or_else(|| header("date"))
        .ok_or_else(|| access_denied("Missing the Date or x-oss-date header."))?;
    let sent = httpdate::parse_http_date(&date)
        .map_err(|_| access_denied(format!("The date {date:?} is not an RFC 1123 date.")))?;
    let skew = now.duration_since(sent).unwrap_or_else(|e| e.duration());
    if skew > MAX_SKEW {
        return Err(OssError::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", date.clone())
        .with(
            "ServerTime",
            humantime::format_rfc3339_millis(now).to_string(),
        )
        .with(
            "MaxAllowedSkewMilliseconds",
            MAX_SKEW.as_millis().to_string(),
        ));
    }

    let all_headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let string_to_sign = OssRequest {
        method: method.as_str(),
        headers: &all_headers,
        bucket,
        key,
        query,
    }
    .string_to_sign();
    if hmac_sha1_base64(&credential.secret, &string_to_sign) != provided {
        let bytes: Vec<String> = string_to_sign.bytes().map(|b| format!("{b:02x}")).collect();
        return Err(OssError::new(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
            .with("OSSAccessKeyId", id)
            .with("SignatureProvided", provided)
            .with("StringToSign", string_to_sign)
            .with("StringToSignBytes", bytes.join(" ")));
    }

    if credential.bucket != bucket || credential.key != key {
        return Err(access_denied(format!(
            "The credential was issued for oss://{}/{} and may not access oss://{bucket}/{key}.",
            credential.bucket, credential.key
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Credential;
    use axum::http::HeaderValue;

    const SECRET: &str = "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV";

    /// The server accepts exactly the OSS documentation's worked example (docs/protocol.md,
    /// "Signing OSS requests"), with a clock set to its date and a permanent AccessKey.
    fn official(signature: &str) -> Result<(), OssError> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::default_config(dir.path().to_path_buf());
        config.bucket = "oss-example".into();
        let state = AppState::new(config, "127.0.0.1:1".parse().unwrap()).unwrap();
        let date = "Thu, 17 Nov 2005 18:49:58 GMT";
        let now = httpdate::parse_http_date(date).unwrap() + Duration::from_secs(60);
        state.credentials.lock().unwrap().insert(
            "44CF9590006BF252F707".into(),
            Credential {
                secret: SECRET.into(),
                token: None,
                expires: now + Duration::from_secs(3600),
                bucket: "oss-example".into(),
                key: "nelson".into(),
            },
        );
        let mut headers = HeaderMap::new();
        let mut set =
            |n: &'static str, v: &str| headers.insert(n, HeaderValue::from_str(v).unwrap());
        set(
            "content-md5",
            "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
        );
        set("content-type", "text/html");
        set("date", date);
        set("x-oss-magic", "abracadabra");
        set("x-oss-meta-author", "foo@bar.com");
        set(
            "authorization",
            &format!("OSS 44CF9590006BF252F707:{signature}"),
        );
        verify(
            &state,
            now,
            &Method::PUT,
            &headers,
            "oss-example",
            "nelson",
            &[],
        )
    }

    #[test]
    fn official_example_is_accepted() {
        official("26NBxoKdsyly4EDv6inkoDft/yA=").unwrap();
    }

    #[test]
    fn official_example_with_another_signature_is_refused_with_the_string_to_sign() {
        let error = official("26NBxoKdsyly4EDv6inkoDft/yB=").unwrap_err();
        assert_eq!(error.code, "SignatureDoesNotMatch");
        let (_, sts) = error
            .extra
            .iter()
            .find(|(n, _)| *n == "StringToSign")
            .unwrap();
        assert_eq!(
            sts,
            "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\n\
             Thu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\n\
             x-oss-meta-author:foo@bar.com\n/oss-example/nelson"
        );
    }
}
