//! VOD's answers: what allocated an upload, or an error with VOD's code.

use crate::error::{Code, UploadError};
use crate::json::Fields;
use alloc::{format, string::String};

/// What `CreateUploadVideo`, `CreateUploadImage` or `RefreshUploadVideo` answered.
pub struct Allocated {
    pub upload_auth: String,
    pub upload_address: String,
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
        let malformed = || Refused {
            error: UploadError::new(
                Code::InvalidResponse,
                "VOD's answer has no UploadAuth or UploadAddress",
            ),
            transient: false,
            token_expired: false,
        };
        return Ok(Allocated {
            upload_auth: field("UploadAuth").ok_or_else(malformed)?,
            upload_address: field("UploadAddress").ok_or_else(malformed)?,
            video_id: field("VideoId"),
            image_id: field("ImageId"),
            image_url: field("ImageURL"),
        });
    }
    let code = field("Code").unwrap_or_default();
    let error = if code.is_empty() {
        UploadError::new(
            Code::InvalidResponse,
            format!("VOD answered HTTP {status} without an error document"),
        )
    } else {
        UploadError::new(
            Code::Server(code.clone()),
            format!(
                "{} (HTTP {status}, request {})",
                field("Message").unwrap_or_default(),
                field("RequestId").unwrap_or_default()
            ),
        )
    };
    Err(Refused {
        error,
        transient: status >= 500 || status == 429 || code == "Throttling",
        token_expired: code.starts_with("InvalidSecurityToken")
            || code.ends_with(".Expired") && crate::text::find(&code, "Token").is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_errors() {
        let ok = read(
            200,
            r#"{"RequestId":"R","VideoId":"v1","UploadAddress":"YQ==","UploadAuth":"Yg=="}"#,
        )
        .ok()
        .unwrap();
        assert_eq!(
            (ok.video_id.as_deref(), ok.upload_auth.as_str()),
            (Some("v1"), "Yg==")
        );
        let image = read(200, r#"{"ImageId":"i1","ImageURL":"http://x/i.png","UploadAddress":"YQ==","UploadAuth":"Yg=="}"#).ok().unwrap();
        assert_eq!(image.image_url.as_deref(), Some("http://x/i.png"));
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
