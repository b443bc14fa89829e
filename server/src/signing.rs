//! vod-local's own check of signatures, written from the protocols' description
//! (docs/protocol.md) and sharing nothing with the SDK's signing, so that a mistake in the SDK
//! cannot pass behind the same mistake here: the OSS V1 string to sign built from the request
//! as received, the VOD RPC string to sign built from the query as received, and HMAC-SHA1 from
//! RustCrypto. The simulation's VOD (tests/engine/vod.rs) checks with this file too.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;

/// base64(HMAC-SHA1(key, message)).
pub fn hmac_sha1_base64(key: &str, message: &str) -> String {
    // Named through `KeyInit`, so that the simulation, which compiles this file against the
    // SDK's newer hmac, reads it the same.
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The query parameters OSS signs, as its documentation lists them; any other (`max-parts`,
/// `part-number-marker`, `encoding-type`, …) is left out of the string to sign.
const SIGNED_SUBRESOURCES: &[&str] = &[
    "acl",
    "append",
    "bucketInfo",
    "cname",
    "comp",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "objectMeta",
    "partNumber",
    "position",
    "referer",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "symlink",
    "tagging",
    "uploadId",
    "uploads",
    "versionId",
    "website",
    "x-oss-process",
];

/// An OSS request as it arrived, for its V1 string to sign: header names in any case, the key
/// and the query values decoded.
pub struct OssRequest<'a> {
    pub method: &'a str,
    pub headers: &'a [(String, String)],
    pub bucket: &'a str,
    pub key: &'a str,
    pub query: &'a [(String, String)],
}

impl OssRequest<'_> {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// VERB, Content-MD5, Content-Type and the date (`x-oss-date` when sent, else `Date`), each
    /// on its line; then every `x-oss-` header, lower-cased, trimmed and sorted, a line each;
    /// then `/bucket/key` and the signed sub-resources, sorted.
    pub fn string_to_sign(&self) -> String {
        let date = match self.header("x-oss-date") {
            "" => self.header("date"),
            sent => sent,
        };
        let mut out = format!(
            "{}\n{}\n{}\n{date}\n",
            self.method,
            self.header("content-md5"),
            self.header("content-type")
        );
        let oss: BTreeMap<String, &str> = self
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
            .filter(|(n, _)| n.starts_with("x-oss-"))
            .collect();
        for (name, value) in oss {
            out += &format!("{name}:{value}\n");
        }
        out += &format!("/{}/{}", self.bucket, self.key);
        let mut signed: Vec<&(String, String)> = self
            .query
            .iter()
            .filter(|(n, _)| SIGNED_SUBRESOURCES.contains(&n.as_str()))
            .collect();
        signed.sort();
        for (i, (name, value)) in signed.into_iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out += name;
            if !value.is_empty() {
                out += &format!("={value}");
            }
        }
        out
    }
}

/// RFC 3986's unreserved characters stay; every other byte is `%XX`, upper-case hex.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(text: &str) -> String {
    utf8_percent_encode(text, RESERVED).to_string()
}

/// The RPC string to sign of a VOD call, from its parameters as decoded (`Signature` left out):
/// every name and value percent-encoded, sorted by encoded name, joined with `&`, and that
/// encoded once more after `GET&%2F&`.
pub fn vod_string_to_sign(params: &BTreeMap<String, String>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name.as_str() != "Signature")
        .map(|(name, value)| (encode(name), encode(value)))
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    format!("GET&%2F&{}", encode(&query.join("&")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RPC signature documentation's worked example.
    #[test]
    fn the_vod_worked_example() {
        let params: BTreeMap<String, String> = [
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("Version", "2014-05-26"),
            ("AccessKeyId", "testid"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let string_to_sign = vod_string_to_sign(&params);
        assert_eq!(
            string_to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            hmac_sha1_base64("testsecret&", &string_to_sign),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    fn request<'a>(
        headers: &'a [(String, String)],
        query: &'a [(String, String)],
    ) -> OssRequest<'a> {
        OssRequest {
            method: "PUT",
            headers,
            bucket: "oss-example",
            key: "nelson",
            query,
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// The OSS documentation's worked example.
    #[test]
    fn the_oss_worked_example() {
        let headers = pairs(&[
            (
                "Content-MD5",
                "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
            ),
            ("Content-Type", "text/html"),
            ("Date", "Thu, 17 Nov 2005 18:49:58 GMT"),
            ("X-OSS-Meta-Author", "foo@bar.com"),
            ("X-OSS-Magic", "abracadabra"),
        ]);
        let string_to_sign = request(&headers, &[]).string_to_sign();
        assert_eq!(
            string_to_sign,
            "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\n\
             Thu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\n\
             x-oss-meta-author:foo@bar.com\n/oss-example/nelson"
        );
        assert_eq!(
            hmac_sha1_base64("OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", &string_to_sign),
            "26NBxoKdsyly4EDv6inkoDft/yA="
        );
    }

    #[test]
    fn sub_resources_are_signed_sorted_and_other_parameters_not() {
        let headers = pairs(&[("x-oss-date", "Wed, 10 Jan 2024 08:00:00 GMT")]);
        let query = pairs(&[
            ("uploadId", "0004B9894A22E5B1888A1E29F823****"),
            ("max-parts", "1000"),
            ("partNumber", "2"),
            ("uploads", ""),
        ]);
        let string_to_sign = request(&headers, &query).string_to_sign();
        assert!(
            string_to_sign.ends_with(
                "\nx-oss-date:Wed, 10 Jan 2024 08:00:00 GMT\n\
                 /oss-example/nelson?partNumber=2&uploadId=0004B9894A22E5B1888A1E29F823****&uploads"
            ),
            "{string_to_sign}"
        );
        assert!(string_to_sign.contains("\n\n\nWed, 10 Jan 2024 08:00:00 GMT\n"));
    }
}
