//! Percent-encoding as OSS keys and VOD signatures want it: RFC 3986's unreserved characters
//! kept, every other byte of the UTF-8 as `%XX` in upper-case hex.

use alloc::string::String;
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn unreserved_kept_the_rest_encoded() {
        assert_eq!(super::encode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(super::encode("a b+c/ü*"), "a%20b%2Bc%2F%C3%BC%2A");
    }

    /// percent-encoding is the oracle: RFC 3986's unreserved characters kept, every other byte
    /// of the UTF-8 encoded, for every ASCII character and a spread of others.
    #[test]
    fn agrees_with_percent_encoding() {
        use alloc::string::ToString;
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        const UNRESERVED: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        let mut next = crate::tests::xorshift(0x5eed3);
        for _ in 0..2000 {
            let text: std::string::String = (0..next() % 12)
                .filter_map(|_| match next() % 3 {
                    0 => char::from_u32((next() % 0x80) as u32),
                    1 => char::from_u32((next() % 0x800) as u32),
                    _ => char::from_u32((next() % 0x11_0000) as u32),
                })
                .collect();
            let expected = utf8_percent_encode(&text, UNRESERVED).to_string();
            assert_eq!(super::encode(&text), expected, "{text:?}");
        }
    }
}
