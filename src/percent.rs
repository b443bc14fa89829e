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
}
