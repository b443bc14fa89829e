//! Finding, splitting, trimming and replacing text within text, and reading numbers. A plain
//! scan of bytes: the standard library's two-way search is faster on long patterns, and its
//! `char` patterns decode UTF-8 as they go, but the SDK's patterns are a few ASCII bytes and its
//! haystacks small, and the scan is a fraction of the code. Nothing here can panic, so none of
//! the standard library's message formatting for a bad string index is downloaded. Whitespace
//! is trimmed with `trim_ascii`: every format the SDK reads (XML, JSON, HTTP headers) has only
//! ASCII whitespace.

use alloc::string::String;

/// Where `needle` first occurs in `haystack`.
#[inline(never)]
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

/// What comes before the first `pattern` in `text`, and what comes after it.
pub fn split_once<'a>(text: &'a str, pattern: &str) -> Option<(&'a str, &'a str)> {
    let at = find(text, pattern)?;
    Some((text.get(..at)?, text.get(at + pattern.len()..)?))
}

/// Where `needle` last occurs in `haystack`.
#[inline(never)]
pub fn rfind(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(haystack.len());
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .rposition(|window| window == needle.as_bytes())
}

/// What comes before the last `pattern` in `text`, and what comes after it.
pub fn rsplit_once<'a>(text: &'a str, pattern: &str) -> Option<(&'a str, &'a str)> {
    let at = rfind(text, pattern)?;
    Some((text.get(..at)?, text.get(at + pattern.len()..)?))
}

/// The pieces of `text` between `separator`s, left to right.
pub fn split<'a>(text: &'a str, separator: &'a str) -> impl Iterator<Item = &'a str> {
    let mut rest = Some(text);
    core::iter::from_fn(move || {
        let text = rest?;
        let (piece, after) = split_once(text, separator)
            .filter(|_| !separator.is_empty())
            .map_or((text, None), |(piece, after)| (piece, Some(after)));
        rest = after;
        Some(piece)
    })
}

/// `text` without every `pattern` it starts with.
pub fn trim_start<'a>(mut text: &'a str, pattern: &str) -> &'a str {
    while let Some(rest) = text.strip_prefix(pattern).filter(|_| !pattern.is_empty()) {
        text = rest;
    }
    text
}

/// `text` without every `pattern` it ends with.
pub fn trim_end<'a>(mut text: &'a str, pattern: &str) -> &'a str {
    while let Some(rest) = text.strip_suffix(pattern).filter(|_| !pattern.is_empty()) {
        text = rest;
    }
    text
}

/// The whole number `text` writes in `radix` (10 or 16) digits and nothing else: no sign, no
/// space; `None` when it does not fit in a `u64`.
pub fn number(text: &str, radix: u32) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        let digit = char::from(b).to_digit(radix)?;
        n.checked_mul(radix.into())?.checked_add(digit.into())
    })
}

/// Whether `text` holds any of the ASCII characters `bytes`.
pub fn has_any(text: &str, bytes: &[u8]) -> bool {
    text.bytes().any(|b| bytes.contains(&b))
}

/// How many bytes `text` starts with that `keep` accepts.
pub fn leading(text: &str, keep: impl Fn(u8) -> bool) -> usize {
    text.bytes().position(|b| !keep(b)).unwrap_or(text.len())
}

/// `text` with every `from` replaced by `to`, left to right.
pub fn replace(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = split_once(rest, from).filter(|_| !from.is_empty()) {
        out.push_str(before);
        out.push_str(to);
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn agrees_with_the_standard_library() {
        let texts = [
            "",
            "a",
            "aaa",
            "abcabc",
            "xx://yy://",
            "é<![CDATA[x]]>]]>",
            "-->",
        ];
        let patterns = ["", "a", "aa", "abc", "://", "]]>", "-->", "é", "zz"];
        for text in texts {
            for pattern in patterns {
                assert_eq!(find(text, pattern), text.find(pattern), "{text} {pattern}");
                assert_eq!(split_once(text, pattern), text.split_once(pattern));
                if !pattern.is_empty() {
                    assert_eq!(replace(text, pattern, "*"), text.replace(pattern, "*"));
                }
            }
        }
        assert_eq!(replace("abc", "", "*"), "abc");
        for text in texts {
            for pattern in patterns {
                assert_eq!(
                    rfind(text, pattern),
                    text.rfind(pattern),
                    "{text} {pattern}"
                );
                assert_eq!(rsplit_once(text, pattern), text.rsplit_once(pattern));
                if !pattern.is_empty() {
                    let pieces: Vec<&str> = split(text, pattern).collect();
                    assert_eq!(pieces, text.split(pattern).collect::<Vec<_>>());
                    assert_eq!(trim_start(text, pattern), text.trim_start_matches(pattern));
                    assert_eq!(trim_end(text, pattern), text.trim_end_matches(pattern));
                }
            }
        }
    }

    #[test]
    fn numbers_are_digits_only() {
        for text in ["0", "7", "0042", "18446744073709551615", "1000000"] {
            assert_eq!(number(text, 10), text.parse().ok(), "{text}");
        }
        for text in [
            "",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "18446744073709551616",
            "x",
        ] {
            assert_eq!(number(text, 10), None, "{text}");
        }
        assert_eq!(number("fF10", 16), Some(0xff10));
        assert_eq!(number("10", 16), Some(16));
        assert_eq!(number("g", 16), None);
        assert_eq!(leading("123abc", |b| b.is_ascii_digit()), 3);
        assert_eq!(leading("123", |b| b.is_ascii_digit()), 3);
        assert_eq!(leading("", |b| b.is_ascii_digit()), 0);
        assert!(has_any("a/b", b"?/"));
        assert!(!has_any("ab", b"?/"));
        assert!(!has_any("", b"?/"));
    }
}
