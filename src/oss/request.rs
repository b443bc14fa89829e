//! Building the five multipart calls and the single PutObject as signed HTTP requests: virtual-hosted URLs, keys
//! percent-encoded per segment, `x-oss-date` (a browser may not set `Date`), the security
//! token, and an explicit Content-Type wherever a body goes, signed exactly as sent.

use super::{signature, xml};
use crate::auth::{UploadAddress, UploadAuth};
use alloc::{format, string::String, string::ToString, vec, vec::Vec};

/// The type every part is sent with: a `File.slice()` has none, and fetch must not pick one.
pub const PART_CONTENT_TYPE: &str = "application/octet-stream";
const XML_CONTENT_TYPE: &str = "application/xml";

pub enum Call<'a> {
    /// A whole file in one request, for a file no larger than one part.
    Put {
        content_type: &'a str,
    },
    Initiate {
        content_type: &'a str,
    },
    UploadPart {
        upload_id: &'a str,
        part_number: u32,
    },
    /// Parts as (number, ETag exactly as the server gave it), ascending.
    Complete {
        upload_id: &'a str,
        parts: &'a [(u32, String)],
    },
    Abort {
        upload_id: &'a str,
    },
    ListParts {
        upload_id: &'a str,
        marker: u32,
    },
    /// HeadObject: what the server holds under the key.
    Head,
}

#[derive(Debug, PartialEq)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// An XML body; the body of a PutObject or an UploadPart is the file slice, attached by
    /// the caller.
    pub body: Option<String>,
}

impl Call<'_> {
    /// The OSS operation's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Put { .. } => "PutObject",
            Call::Initiate { .. } => "InitiateMultipartUpload",
            Call::UploadPart { .. } => "UploadPart",
            Call::Complete { .. } => "CompleteMultipartUpload",
            Call::Abort { .. } => "AbortMultipartUpload",
            Call::ListParts { .. } => "ListParts",
            Call::Head => "HeadObject",
        }
    }

    /// The request, signed with `auth` and dated `date` (RFC 1123, the clock as corrected).
    pub fn build(&self, address: &UploadAddress, auth: &UploadAuth, date: &str) -> Request {
        let (method, query, content_type, body) = match *self {
            Call::Put { content_type } => ("PUT", vec![], content_type, None),
            Call::Initiate { content_type } => {
                ("POST", vec![("uploads", String::new())], content_type, None)
            }
            Call::UploadPart {
                upload_id,
                part_number,
            } => (
                "PUT",
                vec![
                    ("partNumber", crate::encoding::decimal(part_number.into())),
                    ("uploadId", upload_id.to_string()),
                ],
                PART_CONTENT_TYPE,
                None,
            ),
            Call::Complete { upload_id, parts } => (
                "POST",
                vec![("uploadId", upload_id.to_string())],
                XML_CONTENT_TYPE,
                Some(complete_document(parts)),
            ),
            Call::Abort { upload_id } => (
                "DELETE",
                vec![("uploadId", upload_id.to_string())],
                "",
                None,
            ),
            Call::ListParts { upload_id, marker } => (
                "GET",
                vec![
                    (
                        "part-number-marker",
                        crate::encoding::decimal(marker.into()),
                    ),
                    ("uploadId", upload_id.to_string()),
                ],
                "",
                None,
            ),
            Call::Head => ("HEAD", vec![], "", None),
        };
        let mut headers = vec![
            ("x-oss-date", date.to_string()),
            ("x-oss-security-token", auth.security_token.clone()),
        ];
        if !content_type.is_empty() {
            headers.push(("content-type", content_type.to_string()));
        }
        let header_refs = signature::borrowed(&headers);
        let query_refs = signature::borrowed(&query);
        let string_to_sign = signature::Request {
            verb: method,
            content_md5: "",
            content_type,
            date,
            headers: &header_refs,
            bucket: &address.bucket,
            key: &address.file_name,
            query: &query_refs,
        }
        .string_to_sign();
        headers.push((
            "authorization",
            signature::authorization(
                &auth.access_key_id,
                &auth.access_key_secret,
                &string_to_sign,
            ),
        ));
        Request {
            method,
            url: url(address, &query),
            headers,
            body,
        }
    }
}

/// `<scheme>://<bucket>.<host>/<key, encoded per segment>?<query>`.
pub fn url(address: &UploadAddress, query: &[(&str, String)]) -> String {
    let (scheme, host) = crate::text::split_once(&address.endpoint, "://")
        .expect("UploadAddress checks the endpoint's scheme");
    let key: Vec<String> = crate::text::split(&address.file_name, "/")
        .map(crate::encoding::percent)
        .collect();
    let query: Vec<String> = query
        .iter()
        .map(|(name, value)| match value.as_str() {
            "" => name.to_string(),
            v => format!("{name}={}", crate::encoding::percent(v)),
        })
        .collect();
    let mut url = format!("{scheme}://{}.{host}/{}", address.bucket, key.join("/"));
    if !query.is_empty() {
        url += "?";
        url += &query.join("&");
    }
    url
}

fn complete_document(parts: &[(u32, String)]) -> String {
    let parts: String = parts
        .iter()
        .map(|(number, etag)| {
            xml::element(
                "Part",
                &(xml::leaf("PartNumber", &crate::encoding::decimal((*number).into()))
                    + &xml::leaf("ETag", etag)),
            )
        })
        .collect();
    xml::document("CompleteMultipartUpload", &parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Wed, 10 Jan 2024 08:00:00 GMT";

    fn address() -> UploadAddress {
        UploadAddress {
            endpoint: "https://oss-cn-shanghai.aliyuncs.com".into(),
            bucket: "outin-b".into(),
            file_name: "sv/1a/My film ü+x.mp4".into(),
        }
    }

    fn auth() -> UploadAuth {
        UploadAuth {
            access_key_id: "STS.id".into(),
            access_key_secret: "secret".into(),
            security_token: "tok".into(),
            expiration_secs: 3000,
            expires_at_ms: None,
            region: None,
        }
    }

    /// The request's Authorization is the signature over `string_to_sign`.
    fn assert_signed(r: &Request, string_to_sign: String) {
        let authorization = &r.headers.iter().find(|(n, _)| *n == "authorization");
        let expected = signature::authorization("STS.id", "secret", &string_to_sign);
        assert_eq!(authorization.unwrap().1, expected, "{string_to_sign:?}");
    }

    fn tail(resource: &str) -> String {
        format!(
            "x-oss-date:{DATE}\nx-oss-security-token:tok\n/outin-b/sv/1a/My film ü+x.mp4{resource}"
        )
    }

    #[test]
    fn initiate() {
        let r = Call::Initiate {
            content_type: "video/mp4",
        }
        .build(&address(), &auth(), DATE);
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.url,
            "https://outin-b.oss-cn-shanghai.aliyuncs.com/sv/1a/My%20film%20%C3%BC%2Bx.mp4?uploads"
        );
        assert_signed(
            &r,
            format!("POST\n\nvideo/mp4\n{DATE}\n{}", tail("?uploads")),
        );
        assert!(r.headers.contains(&("content-type", "video/mp4".into())));
    }

    #[test]
    fn put_object_has_no_query_and_signs_the_files_type() {
        let r = Call::Put {
            content_type: "image/png",
        }
        .build(&address(), &auth(), DATE);
        assert_eq!((r.method, r.body.as_deref()), ("PUT", None));
        assert_eq!(
            r.url,
            "https://outin-b.oss-cn-shanghai.aliyuncs.com/sv/1a/My%20film%20%C3%BC%2Bx.mp4"
        );
        assert_signed(&r, format!("PUT\n\nimage/png\n{DATE}\n{}", tail("")));
        assert!(r.headers.contains(&("content-type", "image/png".into())));
    }

    #[test]
    fn upload_part() {
        let r = Call::UploadPart {
            upload_id: "UP1",
            part_number: 7,
        }
        .build(&address(), &auth(), DATE);
        assert_eq!((r.method, r.body.as_deref()), ("PUT", None));
        assert!(r.url.ends_with("?partNumber=7&uploadId=UP1"));
        assert_signed(
            &r,
            format!(
                "PUT\n\napplication/octet-stream\n{DATE}\n{}",
                tail("?partNumber=7&uploadId=UP1")
            ),
        );
    }

    #[test]
    fn complete() {
        let parts = [(1, "\"AA\"".to_string()), (2, "\"BB\"".to_string())];
        let r = Call::Complete {
            upload_id: "UP1",
            parts: &parts,
        }
        .build(&address(), &auth(), DATE);
        assert_signed(
            &r,
            format!("POST\n\napplication/xml\n{DATE}\n{}", tail("?uploadId=UP1")),
        );
        let doc = xml::parse(r.body.as_deref().unwrap()).unwrap();
        let listed: Vec<_> = doc
            .children_named("Part")
            .map(|p| (p.text_of("PartNumber").unwrap(), p.text_of("ETag").unwrap()))
            .collect();
        assert_eq!(listed, [("1", "\"AA\""), ("2", "\"BB\"")]);
    }

    #[test]
    fn abort() {
        let r = Call::Abort { upload_id: "UP1" }.build(&address(), &auth(), DATE);
        assert_eq!(r.method, "DELETE");
        assert_signed(&r, format!("DELETE\n\n\n{DATE}\n{}", tail("?uploadId=UP1")));
        assert!(!r.headers.iter().any(|(n, _)| *n == "content-type"));
    }

    #[test]
    fn list_parts_signs_the_upload_id_but_not_the_marker() {
        let r = Call::ListParts {
            upload_id: "UP1",
            marker: 1000,
        }
        .build(&address(), &auth(), DATE);
        assert_eq!(r.method, "GET");
        assert!(r.url.ends_with("?part-number-marker=1000&uploadId=UP1"));
        assert_signed(&r, format!("GET\n\n\n{DATE}\n{}", tail("?uploadId=UP1")));
    }

    #[test]
    fn local_endpoint_with_port() {
        let mut a = address();
        a.endpoint = "http://localhost:8080".into();
        a.file_name = "a/b".into();
        let r = Call::Abort { upload_id: "U" }.build(&a, &auth(), DATE);
        assert_eq!(r.url, "http://outin-b.localhost:8080/a/b?uploadId=U");
    }
}
