//! The VOD calls of STS mode as signed GET requests: `<endpoint>/?<canonical query>&Signature=…`.

use super::meta::Meta;
use super::signature::{canonical_query, encode, sign, string_to_sign};
use crate::auth::StsToken;
use crate::oss::request::Request;
use alloc::{format, string::String, string::ToString, vec, vec::Vec};

pub const VERSION: &str = "2017-03-21";

pub enum Action<'a> {
    CreateUploadVideo {
        file_name: &'a str,
        size: u64,
        meta: &'a Meta,
    },
    CreateUploadImage {
        /// `png`, `jpg`, `jpeg` or `gif`.
        extension: &'a str,
        meta: &'a Meta,
    },
    RefreshUploadVideo {
        video_id: &'a str,
    },
}

/// `YYYY-MM-DDThh:mm:ssZ`, as the signature's `Timestamp` wants it.
pub fn timestamp(ms: f64) -> String {
    crate::date::iso8601(ms.max(0.0) as u64)
}

impl Action<'_> {
    fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Action::CreateUploadVideo {
                file_name,
                size,
                meta,
            } => {
                let mut params = vec![
                    ("Action", "CreateUploadVideo".to_string()),
                    ("FileName", file_name.to_string()),
                ];
                // A stream's size is not known (0): VOD takes none.
                if *size > 0 {
                    params.push(("FileSize", crate::encoding::decimal(*size)));
                }
                params.extend(meta.params(super::meta::default_title(file_name)));
                params
            }
            Action::CreateUploadImage { extension, meta } => {
                let mut params = vec![
                    ("Action", "CreateUploadImage".to_string()),
                    ("ImageExt", extension.to_string()),
                    (
                        "ImageType",
                        meta.image_type.clone().unwrap_or_else(|| "default".into()),
                    ),
                ];
                params.extend(meta.params("image"));
                params
            }
            Action::RefreshUploadVideo { video_id } => vec![
                ("Action", "RefreshUploadVideo".to_string()),
                ("VideoId", video_id.to_string()),
            ],
        }
    }

    /// The call at `endpoint`, signed with `token`, dated `timestamp`, with a fresh `nonce`.
    pub fn build(&self, endpoint: &str, token: &StsToken, timestamp: &str, nonce: &str) -> Request {
        let mut params = self.params();
        params.extend([
            ("Format", "JSON".to_string()),
            ("Version", VERSION.to_string()),
            ("AccessKeyId", token.access_key_id.clone()),
            ("SecurityToken", token.security_token.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_string()),
            ("SignatureVersion", "1.0".to_string()),
            ("SignatureNonce", nonce.to_string()),
            ("Timestamp", timestamp.to_string()),
        ]);
        let pairs = crate::oss::signature::borrowed(&params);
        let query = canonical_query(&pairs);
        let signature = sign(&token.access_key_secret, &string_to_sign("GET", &query));
        Request {
            method: "GET",
            url: format!(
                "{}/?{query}&Signature={}",
                crate::text::trim_end(endpoint, "/"),
                encode(&signature)
            ),
            headers: Vec::new(),
            body: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> StsToken {
        StsToken {
            access_key_id: "STS.id".into(),
            access_key_secret: "sec".into(),
            security_token: "tok".into(),
            expires_at_ms: 0.0,
        }
    }

    #[test]
    fn a_stream_of_unknown_size_asks_for_its_video_without_file_size() {
        let meta = Meta::default();
        let action = Action::CreateUploadVideo {
            file_name: "live.webm",
            size: 0,
            meta: &meta,
        };
        let request = action.build(
            "http://localhost:1/vod",
            &token(),
            "2024-01-10T08:00:00Z",
            "n1",
        );
        assert!(!request.url.contains("FileSize"), "{}", request.url);
        assert!(request.url.contains("&FileName=live.webm&Format=JSON&"));
    }

    #[test]
    fn create_upload_video_is_signed_over_every_parameter() {
        let meta = Meta {
            title: Some("我的 视频 *+/~(1)".into()),
            tags: vec!["a".into(), "b c".into()],
            ..Meta::default()
        };
        let request = Action::CreateUploadVideo {
            file_name: "clip.mp4",
            size: 42,
            meta: &meta,
        }
        .build(
            "http://localhost:1/vod",
            &token(),
            "2024-01-10T08:00:00Z",
            "n1",
        );
        assert_eq!(request.method, "GET");
        assert!(request.url.starts_with("http://localhost:1/vod/?AccessKeyId=STS.id&Action=CreateUploadVideo&FileName=clip.mp4&FileSize=42&Format=JSON&SecurityToken=tok&SignatureMethod=HMAC-SHA1&SignatureNonce=n1&SignatureVersion=1.0&Tags=a%2Cb%20c&Timestamp=2024-01-10T08%3A00%3A00Z&Title=%E6%88%91%E7%9A%84%20%E8%A7%86%E9%A2%91%20%2A%2B%2F~%281%29&Version=2017-03-21&Signature="), "{}", request.url);
        let (query, signature) = request
            .url
            .split_once("/?")
            .unwrap()
            .1
            .rsplit_once("&Signature=")
            .unwrap();
        let expected = string_to_sign("GET", query);
        assert_eq!(signature, encode(&sign("sec", &expected)));
        assert_eq!(timestamp(1_456_231_584_000.0), "2016-02-23T12:46:24Z");
    }
}
