//! OSS V1 header signature: `Authorization: OSS <AccessKeyId>:<Signature>`, where Signature is
//! base64(HMAC-SHA1(AccessKeySecret, StringToSign)).

use alloc::{format, string::String, string::ToString, vec::Vec};

/// Query parameters that take part in the CanonicalizedResource; all others are left unsigned.
const SIGNED_SUB_RESOURCES: &[&str] = &[
    "acl",
    "append",
    "bucketInfo",
    "cname",
    "comp",
    "cors",
    "delete",
    "endTime",
    "lifecycle",
    "live",
    "location",
    "logging",
    "objectMeta",
    "partNumber",
    "position",
    "qos",
    "referer",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "symlink",
    "tagging",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "x-oss-process",
];

/// Whether a query parameter is a signed sub-resource.
pub fn is_signed_sub_resource(name: &str) -> bool {
    SIGNED_SUB_RESOURCES.contains(&name)
}

/// Borrows owned name/value pairs as the `&str` pairs a [`Request`] takes.
pub fn borrowed<N: AsRef<str>, V: AsRef<str>>(pairs: &[(N, V)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .collect()
}

/// What a request contributes to its StringToSign.
pub struct Request<'a> {
    pub verb: &'a str,
    /// The Content-MD5 header's exact value, or "".
    pub content_md5: &'a str,
    /// The Content-Type header's exact value, or "".
    pub content_type: &'a str,
    /// The value of `x-oss-date` when sent, else of `Date`.
    pub date: &'a str,
    /// Every header of the request; only `x-oss-*` ones are used.
    pub headers: &'a [(&'a str, &'a str)],
    pub bucket: &'a str,
    /// The object key, raw UTF-8 (not percent-encoded).
    pub key: &'a str,
    /// Every query parameter, decoded; only signed sub-resources are used.
    pub query: &'a [(&'a str, &'a str)],
}

/// Sorts name/value pairs by name (then value). The OSS and the VOD signature both sort with
/// this one function.
pub(crate) fn sorted(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    // By insertion: there are a handful of pairs, and this is far less wasm than `sort`.
    let mut sorted: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let at = sorted.partition_point(|p| *p <= pair);
        sorted.insert(at, pair);
    }
    sorted
}

/// `x-oss-*` headers, lower-cased, trimmed, sorted, each as `name:value\n`.
pub fn canonical_headers(headers: &[(&str, &str)]) -> String {
    let oss = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim_ascii().to_string()))
        .filter(|(name, _)| name.starts_with("x-oss-"))
        .collect();
    sorted(oss)
        .iter()
        .map(|(n, v)| format!("{n}:{v}\n"))
        .collect()
}

/// `/<bucket>/<key>` then `?` and the signed sub-resources sorted by name.
pub fn canonical_resource(bucket: &str, key: &str, query: &[(&str, &str)]) -> String {
    let mut resource = format!("/{bucket}/{key}");
    let subs = query
        .iter()
        .filter(|(name, _)| is_signed_sub_resource(name))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    for (i, (name, value)) in sorted(subs).into_iter().enumerate() {
        resource.push(if i == 0 { '?' } else { '&' });
        resource.push_str(&name);
        if !value.is_empty() {
            resource.push('=');
            resource.push_str(&value);
        }
    }
    resource
}

impl Request<'_> {
    pub fn string_to_sign(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}{}",
            self.verb,
            self.content_md5,
            self.content_type,
            self.date,
            canonical_headers(self.headers),
            canonical_resource(self.bucket, self.key, self.query)
        )
    }
}

/// base64(HMAC-SHA1(secret, string_to_sign)).
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    use hmac::{KeyInit, Mac};
    // HMAC takes a key of any length; `new_from_slice` fails for none.
    let Ok(mut mac) = hmac::SimpleHmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        unreachable!()
    };
    mac.update(string_to_sign.as_bytes());
    crate::encoding::to_base64(&mac.finalize().into_bytes())
}

/// The `Authorization` header's value.
pub fn authorization(access_key_id: &str, secret: &str, string_to_sign: &str) -> String {
    format!("OSS {access_key_id}:{}", sign(secret, string_to_sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the OSS documentation (docs/protocol.md, "Signing OSS requests").
    #[test]
    fn official_example() {
        let request = Request {
            verb: "PUT",
            content_md5: "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
            content_type: "text/html",
            date: "Thu, 17 Nov 2005 18:49:58 GMT",
            headers: &[
                ("X-OSS-Meta-Author", "foo@bar.com"),
                ("X-OSS-Magic", " abracadabra "),
                ("Host", "oss-example.oss-cn-hangzhou.aliyuncs.com"),
            ],
            bucket: "oss-example",
            key: "nelson",
            query: &[],
        };
        let sts = request.string_to_sign();
        assert_eq!(
            sts,
            "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\n\
             Thu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\n\
             x-oss-meta-author:foo@bar.com\n/oss-example/nelson"
        );
        assert_eq!(
            sign("OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", &sts),
            "26NBxoKdsyly4EDv6inkoDft/yA="
        );
        assert_eq!(
            authorization(
                "44CF9590006BF252F707",
                "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV",
                &sts
            ),
            "OSS 44CF9590006BF252F707:26NBxoKdsyly4EDv6inkoDft/yA="
        );
    }

    #[test]
    fn sub_resources_sorted_bare_or_valued_and_others_dropped() {
        let query = [
            ("uploadId", "0004B9894A22E5B1888A1E29F823****"),
            ("max-parts", "10"),
            ("partNumber", "3"),
            ("encoding-type", "url"),
        ];
        assert_eq!(
            canonical_resource("b", "sv/1/a b ü.mp4", &query),
            "/b/sv/1/a b ü.mp4?partNumber=3&uploadId=0004B9894A22E5B1888A1E29F823****"
        );
        assert_eq!(
            canonical_resource("b", "k", &[("uploads", "")]),
            "/b/k?uploads"
        );
        assert_eq!(canonical_resource("b", "k", &[]), "/b/k");
    }

    #[test]
    fn no_oss_headers_gives_empty_canonical_headers() {
        assert_eq!(canonical_headers(&[("Content-Type", "text/plain")]), "");
    }
}
