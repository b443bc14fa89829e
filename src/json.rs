//! Reading and writing the few small JSON objects the SDK handles (credentials, checkpoints)
//! through one dynamic value type: one set of code in the wasm, whatever the object.

use miniserde::json::{self, Number, Object, Value};

/// A JSON object's fields.
pub struct Fields(Object);

impl Fields {
    /// The fields of `text`, if it is a JSON object.
    pub fn parse(text: &str) -> Option<Fields> {
        match json::from_str::<Value>(text).ok()? {
            Value::Object(object) => Some(Fields(object)),
            _ => None,
        }
    }

    pub fn string(&self, name: &str) -> Option<String> {
        match self.0.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// A whole number, given as a number or as a string of digits.
    pub fn whole_number(&self, name: &str) -> Option<u64> {
        match self.0.get(name)? {
            Value::Number(Number::U64(n)) => Some(*n),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Builds a JSON object field by field. Written by hand: serializing miniserde's values would
/// bring float formatting into the wasm for numbers that are always whole.
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
        self.0 += &value.to_string();
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
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
