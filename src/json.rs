//! Reading and writing the few small JSON objects the SDK handles (credentials, checkpoints,
//! VOD's answers). Only a top-level object's strings and whole numbers are ever read; nested
//! values are checked and skipped.

use crate::text;
use alloc::{string::String, string::ToString, vec::Vec};
/// A value the SDK reads: a string, a number as written, or anything else.
enum Value {
    String(String),
    Number(String),
    Other,
}

/// A JSON object's fields.
pub struct Fields(Vec<(String, Value)>);

impl Fields {
    /// The fields of `text`, if it is a JSON object no larger than [`MAX_TEXT`].
    pub fn parse(text: &str) -> Option<Fields> {
        if text.len() > MAX_TEXT {
            return None;
        }
        let mut reader = Reader(text.trim_ascii_start());
        reader.eat("{")?;
        let mut fields = Vec::new();
        if reader.eat("}").is_none() {
            loop {
                let name = reader.string()?;
                reader.eat(":")?;
                fields.push((name, reader.value(0)?));
                if reader.eat("}").is_some() {
                    break;
                }
                reader.eat(",")?;
            }
        }
        reader.0.trim_ascii().is_empty().then_some(Fields(fields))
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn string(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A whole number, given as a number or as a string of digits.
    pub fn whole_number(&self, name: &str) -> Option<u64> {
        match self.get(name)? {
            Value::Number(n) => text::number(n, 10),
            Value::String(s) => text::number(s.trim_ascii(), 10),
            Value::Other => None,
        }
    }
}

/// The largest object read, in bytes: the bound on XML documents. Credentials, checkpoints and
/// VOD's answers are a few kilobytes.
pub const MAX_TEXT: usize = crate::oss::xml::MAX_DOCUMENT;

/// Nesting deeper than this is refused rather than followed.
const MAX_DEPTH: u32 = 32;

/// What is left of the text, whitespace skipped before every token.
struct Reader<'a>(&'a str);

impl Reader<'_> {
    fn eat(&mut self, token: &str) -> Option<()> {
        self.0 = self.0.trim_ascii_start().strip_prefix(token)?;
        Some(())
    }

    fn value(&mut self, depth: u32) -> Option<Value> {
        self.0 = self.0.trim_ascii_start();
        let first = *self.0.as_bytes().first()?;
        match first {
            b'"' => return self.string().map(Value::String),
            b'{' | b'[' if depth < MAX_DEPTH => {
                let (open, close) = if first == b'{' {
                    ("{", "}")
                } else {
                    ("[", "]")
                };
                self.eat(open)?;
                if self.eat(close).is_some() {
                    return Some(Value::Other);
                }
                loop {
                    if first == b'{' {
                        self.string()?;
                        self.eat(":")?;
                    }
                    self.value(depth + 1)?;
                    if self.eat(close).is_some() {
                        return Some(Value::Other);
                    }
                    self.eat(",")?;
                }
            }
            _ => {}
        }
        let end = text::leading(self.0, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
        });
        let (token, rest) = self.0.split_at_checked(end)?;
        self.0 = rest;
        match token {
            "true" | "false" | "null" => Some(Value::Other),
            _ if is_number(token) => Some(Value::Number(token.to_string())),
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        self.eat("\"")?;
        let mut out = String::new();
        let mut chars = self.0.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.0 = self.0.get(i + 1..)?;
                    return Some(out);
                }
                '\\' => {
                    let escaped = match chars.next()?.1 {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'u' => {
                            let high = hex4(&mut chars)?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                if chars.next()?.1 != '\\' || chars.next()?.1 != 'u' {
                                    return None;
                                }
                                let low = hex4(&mut chars)?;
                                0x10000 + ((high - 0xD800) << 10) + low.checked_sub(0xDC00)?
                            } else {
                                high
                            };
                            char::from_u32(code)?
                        }
                        c @ ('"' | '\\' | '/') => c,
                        _ => return None,
                    };
                    out.push(escaped);
                }
                c if (c as u32) < 0x20 => return None,
                c => out.push(c),
            }
        }
        None
    }
}

/// Whether `token` is a JSON number: `-`? digits (no leading zero), `.` digits?, exponent?
fn is_number(token: &str) -> bool {
    // How many digits lead, and what follows them.
    fn digits(s: &str) -> (usize, &str) {
        let n = text::leading(s, |b| b.is_ascii_digit());
        (n, s.get(n..).unwrap_or_default())
    }
    let unsigned = token.strip_prefix("-").unwrap_or(token);
    let (whole, mut rest) = digits(unsigned);
    if whole == 0 || (whole > 1 && unsigned.starts_with("0")) {
        return false;
    }
    if let Some(fraction) = rest.strip_prefix(".") {
        let (n, after) = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = after;
    }
    if let Some(exponent) = rest.strip_prefix("e").or_else(|| rest.strip_prefix("E")) {
        let exponent = exponent
            .strip_prefix("+")
            .or_else(|| exponent.strip_prefix("-"))
            .unwrap_or(exponent);
        let (n, after) = digits(exponent);
        return n > 0 && after.is_empty();
    }
    rest.is_empty()
}

/// The four hex digits of a `\\u` escape.
fn hex4(chars: &mut core::str::CharIndices) -> Option<u32> {
    let hex: String = chars.take(4).map(|(_, c)| c).collect();
    text::number(&hex, 16)
        .filter(|_| hex.len() == 4)
        .map(|n| n as u32)
}

/// Builds a JSON object field by field.
pub struct Writer(String);

impl Default for Writer {
    fn default() -> Writer {
        Writer("{".into())
    }
}

impl Writer {
    fn name(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        quote(&mut self.0, name);
        self.0.push(':');
    }

    pub fn string(mut self, name: &str, value: &str) -> Writer {
        self.name(name);
        quote(&mut self.0, value);
        self
    }

    pub fn number(mut self, name: &str, value: u64) -> Writer {
        self.name(name);
        self.0 += &crate::encoding::decimal(value);
        self
    }

    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// `text` as a JSON string.
fn quote(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push_str(&crate::encoding::hex(&[c as u8]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn what_is_written_reads_back() {
        let tricky = "a \"quoted\" \\ path/视频\n\u{1}.mp4";
        let text = Writer::default()
            .string("name", tricky)
            .number("size", u64::MAX)
            .finish();
        let fields = Fields::parse(&text).unwrap();
        assert_eq!(fields.string("name").as_deref(), Some(tricky));
        assert_eq!(fields.whole_number("size"), Some(u64::MAX));
        assert_eq!(Writer::default().finish(), "{}");
    }

    #[test]
    fn nested_values_are_skipped_and_escapes_read() {
        let text = r#" { "a" : [1, {"x": [true, null]}, -2.5e3], "s": "\u00e9\ud83d\ude00\/\t",
            "n": 18446744073709551615, "d": "42", "o": {}, "e": [] } "#;
        let fields = Fields::parse(text).unwrap();
        assert_eq!(fields.string("s").as_deref(), Some("é😀/\t"));
        assert_eq!(fields.whole_number("n"), Some(u64::MAX));
        assert_eq!(fields.whole_number("d"), Some(42));
        assert_eq!(fields.whole_number("a"), None);
        assert_eq!(fields.string("missing"), None);
        assert!(Fields::parse("{}").is_some());
        let numbers = Fields::parse(r#"{"a": -0, "b": 1.5e+3, "c": 2E-2, "d": 10e2, "e": 7}"#);
        let numbers = numbers.unwrap();
        assert_eq!(
            numbers.whole_number("a"),
            None,
            "a sign is not a whole number's"
        );
        assert_eq!(numbers.whole_number("b"), None);
        assert_eq!(numbers.whole_number("e"), Some(7));
    }

    #[test]
    fn what_is_not_a_json_object_is_refused() {
        for bad in [
            "",
            "[]",
            "\"s\"",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":1} x",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\n\"}",
            "{\"a\":tru}",
            "{\"a\":\"\\ud83d\"}",
            "{'a':1}",
            "{\"a\":+1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":1e}",
            "{\"a\":1e+}",
            "{\"a\":-}",
            "{\"a\":\"\\u+041\"}",
        ] {
            assert!(Fields::parse(bad).is_none(), "{bad}");
        }
        let deep = "{\"a\":".to_string() + &"[".repeat(100) + &"]".repeat(100) + "}";
        assert!(Fields::parse(&deep).is_none());
    }

    /// A random string: ASCII, quotes, backslashes, control characters, and characters beyond
    /// the BMP.
    fn random_text(next: &mut impl FnMut() -> u64) -> std::string::String {
        const PIECES: [&str; 10] = [
            "a", "Z9", "\"", "\\", "\n", "\u{1}", "é", "视频", "😀", " / ",
        ];
        (0..next() % 6)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect()
    }

    /// A random JSON value, nested at most `depth` more levels.
    fn random_value(next: &mut impl FnMut() -> u64, depth: u32) -> serde_json::Value {
        use serde_json::{json, Value as Json};
        match next() % if depth == 0 { 5 } else { 7 } {
            0 => Json::String(random_text(next)),
            1 => json!(next() >> (next() % 64)),
            2 => json!(-((next() % 1000) as i64) - 1),
            3 => json!((next() % 1000) as f64 + 0.5),
            4 => [Json::Null, json!(true), json!(false)][(next() % 3) as usize].clone(),
            5 => Json::Array(
                (0..next() % 3)
                    .map(|_| random_value(next, depth - 1))
                    .collect(),
            ),
            _ => random_object(next, depth - 1),
        }
    }

    fn random_object(next: &mut impl FnMut() -> u64, depth: u32) -> serde_json::Value {
        let fields = (0..next() % 6).map(|_| (random_text(next), random_value(next, depth)));
        serde_json::Value::Object(fields.collect())
    }

    /// `text` with every character beyond ASCII written as `\uXXXX` escapes (surrogate pairs
    /// beyond the BMP), as some servers write JSON.
    fn ascii_only(text: &str) -> std::string::String {
        let mut out = std::string::String::new();
        for c in text.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out += &format!("\\u{unit:04x}");
                }
            }
        }
        out
    }

    /// serde_json is the oracle: what it writes, `Fields` reads to the same strings and whole
    /// numbers, and what `Writer` writes, serde_json reads back.
    #[test]
    fn agrees_with_serde_json() {
        let mut next = crate::tests::xorshift(0x5eed1);
        for _ in 0..3000 {
            let object = random_object(&mut next, 3);
            let compact = serde_json::to_string(&object).unwrap();
            let pretty = serde_json::to_string_pretty(&object).unwrap();
            for text in [compact.clone(), pretty, ascii_only(&compact)] {
                let fields = Fields::parse(&text).unwrap_or_else(|| panic!("refused {text}"));
                for (name, value) in object.as_object().unwrap() {
                    let string = value.as_str().map(str::to_string);
                    assert_eq!(fields.string(name), string, "{name:?} in {text}");
                    if !value.is_string() {
                        assert_eq!(
                            fields.whole_number(name),
                            value.as_u64(),
                            "{name:?} in {text}"
                        );
                    }
                }
            }
            let (name, value, number) = (random_text(&mut next), random_text(&mut next), next());
            let written = Writer::default()
                .string(&name, &value)
                .number("n", number)
                .finish();
            let read: serde_json::Value = serde_json::from_str(&written).unwrap();
            let mut expected = serde_json::Map::new();
            expected.insert(name, serde_json::Value::String(value));
            expected.insert("n".into(), serde_json::json!(number));
            assert_eq!(read, serde_json::Value::Object(expected), "{written}");
        }
    }
}
