//! The RPC signature: every parameter percent-encoded (RFC 3986 unreserved kept, `%20` for a
//! space, upper-case hex), sorted by name, joined with `&`; the text signed is
//! `GET&%2F&` + that string encoded once more; HMAC-SHA1 keyed with the secret and `&`.

pub use crate::encoding::percent as encode;
use alloc::{format, string::String, vec::Vec};

/// The sorted, encoded query string of `params` (without `Signature`).
pub fn canonical_query(params: &[(&str, &str)]) -> String {
    let encoded = params
        .iter()
        .map(|(name, value)| (encode(name), encode(value)))
        .collect();
    crate::oss::signature::sorted(encoded)
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn string_to_sign(method: &str, canonical_query: &str) -> String {
    format!("{method}&%2F&{}", encode(canonical_query))
}

/// base64(HMAC-SHA1(secret + "&", string_to_sign)).
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    crate::oss::signature::sign(&format!("{secret}&"), string_to_sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_describe_regions_example() {
        let params = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ];
        let text = string_to_sign("GET", &canonical_query(&params));
        assert!(
            text.contains("Timestamp%3D2016-02-23T12%253A46%253A24Z"),
            "{text}"
        );
        assert_eq!(sign("testsecret", &text), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    #[test]
    fn titles_are_encoded_as_rfc_3986_asks() {
        let query = canonical_query(&[("Title", "我的 视频*+/~(1)")]);
        assert_eq!(
            query,
            "Title=%E6%88%91%E7%9A%84%20%E8%A7%86%E9%A2%91%2A%2B%2F~%281%29"
        );
        // Sorted by encoded name, whatever the order given.
        assert_eq!(canonical_query(&[("b", "1"), ("a", "2")]), "a=2&b=1");
    }
}
