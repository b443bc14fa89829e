//! Finding, splitting and replacing text within text. A plain scan: the standard library's
//! two-way search is faster on long patterns, but the SDK's patterns are a few bytes and its
//! haystacks small, and the scan is a fraction of the code. Nothing here can panic, so none of
//! the standard library's message formatting for a bad string index is downloaded.

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
    }
}
