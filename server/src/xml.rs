//! The XML vod-local writes and reads, with quick-xml: OSS's answers, and the part list of a
//! CompleteMultipartUpload.

use std::fmt::Display;

use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;
use quick_xml::Reader;

/// `<name>text</name>`, the text escaped.
pub fn leaf(name: &str, text: impl Display) -> String {
    format!("<{name}>{}</{name}>", escape(text.to_string().as_str()))
}

/// `<name>children</name>`, the children written already.
pub fn element(name: &str, children: &str) -> String {
    format!("<{name}>{children}</{name}>")
}

/// A whole document: the declaration and `<root>children</root>`.
pub fn document(root: &str, children: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        element(root, children)
    )
}

/// The `(PartNumber, ETag)` of each `Part` of a `CompleteMultipartUpload` document, in order;
/// none when it is not one, or a part lacks either.
pub fn complete_parts(text: &str) -> Option<Vec<(u32, String)>> {
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    // The text of the element being read: quick-xml gives it in pieces, references apart.
    let mut value = String::new();
    let mut parts = Vec::new();
    let (mut number, mut etag) = (None, None);
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => {
                let name = String::from_utf8(start.local_name().as_ref().to_vec()).ok()?;
                if path.is_empty() && name != "CompleteMultipartUpload" {
                    return None;
                }
                path.push(name);
                value.clear();
            }
            Event::Text(text) => value += &text.decode().ok()?,
            Event::GeneralRef(reference) => match reference.resolve_char_ref().ok()? {
                Some(c) => value.push(c),
                None => value += resolve_predefined_entity(&reference.decode().ok()?)?,
            },
            Event::End(_) => {
                match path.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                    ["CompleteMultipartUpload", "Part", "PartNumber"] => {
                        number = Some(value.trim().parse().ok()?)
                    }
                    ["CompleteMultipartUpload", "Part", "ETag"] => {
                        etag = Some(value.trim().to_string())
                    }
                    ["CompleteMultipartUpload", "Part"] => {
                        parts.push((number.take()?, etag.take()?))
                    }
                    _ => {}
                }
                path.pop();
                value.clear();
            }
            Event::Eof => return (path.is_empty() && !parts.is_empty()).then_some(parts),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_escape_their_text() {
        assert_eq!(leaf("Key", "a<b>&c"), "<Key>a&lt;b&gt;&amp;c</Key>");
    }

    #[test]
    fn the_parts_of_a_complete_document() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload>\
            <Part><PartNumber>1</PartNumber><ETag>\"A&amp;B\"</ETag></Part>\
            <Part> <PartNumber> 2 </PartNumber> <ETag>\"C\"</ETag> </Part></CompleteMultipartUpload>";
        assert_eq!(
            complete_parts(text),
            Some(vec![(1, "\"A&B\"".into()), (2, "\"C\"".into())])
        );
        for bad in [
            "<Other><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></Other>",
            "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part>",
            "not xml",
        ] {
            assert_eq!(complete_parts(bad), None, "{bad}");
        }
    }
}
