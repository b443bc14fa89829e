//! How the protocols write bytes as text: standard base64 (RFC 4648) for credentials and
//! signatures, RFC 3986 percent-encoding for OSS keys and VOD's signed queries, and hex for
//! digests. The crates do the work; this module fixes their settings in one place.

use alloc::{string::String, vec::Vec};
use base64ct::{Base64, Encoding};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// `bytes` in standard base64, with padding.
pub fn to_base64(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

/// The bytes `text` writes in standard base64, padded or not, as backends hand it out; `None` if
/// it is not base64.
pub fn from_base64(text: &str) -> Option<Vec<u8>> {
    // Padding put back where it was left out, so that one decoder serves both.
    let mut padded = String::from(text);
    while padded.len() % 4 != 0 {
        padded.push('=');
    }
    Base64::decode_vec(&padded).ok()
}

/// RFC 3986's unreserved characters, kept as they are; every other byte is `%XX`.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `text` percent-encoded: the unreserved characters kept, every other byte of its UTF-8 as
/// `%XX` in upper-case hex.
pub fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, RESERVED).collect()
}

/// `n` in decimal, as the protocols and the messages write numbers. By the itoa crate, not
/// `core::fmt`: with no integer formatted through `core::fmt`, its integer formatting is left
/// out of the wasm.
pub fn decimal(n: u64) -> String {
    itoa::Buffer::new().format(n).into()
}

/// Lower-case hex, as digests are written out.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_writes_padding_and_reads_without() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in vectors {
            assert_eq!(to_base64(plain.as_bytes()), coded);
            assert_eq!(from_base64(coded).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(from_base64("Zm9vYg").as_deref(), Some(&b"foob"[..]));
        for bad in ["Zm9v!", "Z", "Zm 9v", "-_", "Zm9vY==="] {
            assert_eq!(from_base64(bad), None, "{bad}");
        }
        let all: Vec<u8> = (0..=255).chain((0..=255).rev()).collect();
        for len in 0..all.len() {
            assert_eq!(
                from_base64(&to_base64(&all[..len])).as_deref(),
                Some(&all[..len])
            );
        }
    }

    #[test]
    fn percent_keeps_the_unreserved_and_encodes_the_rest() {
        assert_eq!(percent("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(percent("a b+c/ü*"), "a%20b%2Bc%2F%C3%BC%2A");
    }

    #[test]
    fn decimal_is_what_display_writes() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(decimal(n), alloc::format!("{n}"));
        }
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        let all: alloc::vec::Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| alloc::format!("{b:02x}")).collect();
        assert_eq!(hex(&all), expected);
    }
}
