//! VOD's answers: what allocated an upload, or an error with VOD's code.

use crate::auth::{decode_upload_address, decode_upload_auth, UploadAddress, UploadAuth};
use crate::error::{is_broken_code, Code, UploadError};
use crate::json::Fields;
use alloc::{format, string::String};

/// What `CreateUploadVideo`, `CreateUploadImage` or `RefreshUploadVideo` answered.
pub struct Allocated {
    pub auth: UploadAuth,
    pub address: UploadAddress,
    pub video_id: Option<String>,
    pub image_id: Option<String>,
    pub image_url: Option<String>,
}

/// A refused call: its error, and what kind of failure it is.
pub struct Refused {
    pub error: UploadError,
    /// 5xx, throttling: worth retrying.
    pub transient: bool,
    /// The STS token expired: ask the page for a new one.
    pub token_expired: bool,
}

pub fn read(status: u16, body: &str) -> Result<Allocated, Refused> {
    let fields = Fields::parse(body);
    let field = |name: &str| fields.as_ref().and_then(|f| f.string(name));
    if (200..300).contains(&status) {
        // A broken answer is retried, as a 5xx is.
        let broken = |why: String| Refused {
            error: UploadError::new(
                Code::InvalidResponse,
                format!("VOD's answer is broken: {why}"),
            ),
            transient: true,
            token_expired: false,
        };
        let decoded = |name: &str| field(name).ok_or_else(|| broken(format!("it has no {name}")));
        return Ok(Allocated {
            auth: decode_upload_auth(&decoded("UploadAuth")?).map_err(|e| broken(e.message))?,
            address: decode_upload_address(&decoded("UploadAddress")?)
                .map_err(|e| broken(e.message))?,
            video_id: field("VideoId"),
            image_id: field("ImageId"),
            image_url: field("ImageURL"),
        });
    }
    let code = field("Code").unwrap_or_default();
    let error = if code.is_empty() {
        UploadError::new(
            Code::InvalidResponse,
            format!(
                "VOD answered HTTP {} without an error document",
                crate::encoding::decimal(status.into())
            ),
        )
    } else {
        UploadError::server(
            &code,
            format!(
                "{} (HTTP {}, request {})",
                field("Message").unwrap_or_default(),
                crate::encoding::decimal(status.into()),
                field("RequestId").unwrap_or_default()
            ),
        )
    };
    Err(Refused {
        error,
        transient: status >= 500 || status == 429 || code == "Throttling" || is_broken_code(&code),
        token_expired: code.starts_with("InvalidSecurityToken")
            || code.ends_with(".Expired") && crate::text::find(&code, "Token").is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_errors() {
        let b64 = |json: &str| crate::encoding::to_base64(json.as_bytes());
        let address = b64(r#"{"Endpoint":"https://e.example","Bucket":"b","FileName":"k.mp4"}"#);
        let auth = b64(
            r#"{"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"3000"}"#,
        );
        let answer = |extra: &str| {
            format!(
                r#"{{"RequestId":"R",{extra}"UploadAddress":"{address}","UploadAuth":"{auth}"}}"#
            )
        };
        let ok = read(200, &answer(r#""VideoId":"v1","#)).ok().unwrap();
        assert_eq!(
            (ok.video_id.as_deref(), ok.auth.access_key_id.as_str()),
            (Some("v1"), "STS.a")
        );
        assert_eq!(ok.address.file_name, "k.mp4");
        let image = read(
            200,
            &answer(r#""ImageId":"i1","ImageURL":"http://x/i.png","#),
        )
        .ok()
        .unwrap();
        assert_eq!(image.image_url.as_deref(), Some("http://x/i.png"));
        // Broken answers are retried.
        for broken in [
            String::new(),
            "{".into(),
            r#"{"UploadAddress":"YQ==","UploadAuth":"Yg=="}"#.into(),
            answer("").replace("\"UploadAuth\":\"", "\"UploadAuth\":\"x"),
        ] {
            let refused = read(200, &broken).err().unwrap();
            assert!(refused.transient, "{broken}");
            assert_eq!(refused.error.code, Code::InvalidResponse);
        }
        let long_code = read(400, &format!(r#"{{"Code":"{}"}}"#, "C".repeat(100_000)));
        let refused = long_code.err().unwrap();
        assert_eq!(refused.error.code, Code::InvalidResponse);
        assert!(refused.transient);
        let refused = read(
            400,
            r#"{"RequestId":"R9","Code":"InvalidParameter","Message":"Title is bad"}"#,
        )
        .err()
        .unwrap();
        assert_eq!(refused.error.code, Code::Server("InvalidParameter".into()));
        assert!(
            refused.error.message.contains("Title is bad") && refused.error.message.contains("R9")
        );
        assert!(!refused.transient && !refused.token_expired);
        let expired = read(
            403,
            r#"{"Code":"InvalidSecurityToken.Expired","Message":"m"}"#,
        )
        .err()
        .unwrap();
        assert!(expired.token_expired);
        let busy = read(503, "<html>").err().unwrap();
        assert!(busy.transient);
        assert_eq!(busy.error.code, Code::InvalidResponse);
    }
}
