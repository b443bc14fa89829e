//! How the protocols write text: RFC 3986 percent-encoding for OSS keys and VOD's signed
//! queries. The percent-encoding crate does the work; this module fixes its settings in one
//! place.

use alloc::string::String;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_keeps_the_unreserved_and_encodes_the_rest() {
        assert_eq!(percent("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(percent("a b+c/ü*"), "a%20b%2Bc%2F%C3%BC%2A");
    }
}
