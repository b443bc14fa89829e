//! The XML documents OSS exchanges: writing them, and reading them into a small element tree.
//! Elements are matched by local name, so a document with an `xmlns` (or prefixes) reads the
//! same as one without.

use quick_xml::escape::{partial_escape, unescape};
use quick_xml::events::Event;
use quick_xml::Reader;

/// `<name>text</name>`, the text escaped.
pub fn leaf(name: &str, text: impl std::fmt::Display) -> String {
    format!("<{name}>{}</{name}>", partial_escape(text.to_string()))
}

/// `<name>` + already written children + `</name>`.
pub fn element(name: &str, children: &str) -> String {
    format!("<{name}>{children}</{name}>")
}

/// A whole document with its declaration.
pub fn document(root: &str, children: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        element(root, children)
    )
}

#[derive(Debug, Default, PartialEq)]
pub struct Element {
    /// The local name, without any namespace prefix.
    pub name: String,
    /// The element's own text, unescaped and trimmed.
    pub text: String,
    pub children: Vec<Element>,
}

/// What is wrong with a document. The reader's own error is not kept: formatting it would
/// pull much of `std::io`'s error text into the wasm.
#[derive(Debug, PartialEq)]
pub struct XmlError(pub &'static str);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed XML: {}", self.0)
    }
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child with this name.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Parses a whole document into its root element.
pub fn parse(document: &str) -> Result<Element, XmlError> {
    let err = |_: quick_xml::Error| XmlError("not well-formed");
    let mut reader = Reader::from_str(document);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let event = reader.read_event().map_err(err)?;
        match event {
            Event::Start(start) => stack.push(Element {
                name: local_name(start.local_name().as_ref())?,
                ..Element::default()
            }),
            Event::Empty(start) => {
                let element = Element {
                    name: local_name(start.local_name().as_ref())?,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&text.decode().map_err(|_| XmlError("not well-formed"))?);
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&data.decode().map_err(|_| XmlError("not well-formed"))?);
                }
            }
            Event::GeneralRef(reference) => {
                let name = reference
                    .decode()
                    .map_err(|_| XmlError("not well-formed"))?;
                let resolved = unescape(&format!("&{name};"))
                    .map_err(|_| XmlError("not well-formed"))?
                    .into_owned();
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let mut done = stack.pop().ok_or(XmlError("unbalanced end tag"))?;
                done.text = done.text.trim().to_string();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Eof => return Err(XmlError("the document ends before its root element does")),
            _ => {}
        }
    }
}

fn local_name(bytes: &[u8]) -> Result<String, XmlError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| XmlError("an element name is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaced_document_reads_by_local_name() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
            <InitiateMultipartUploadResult xmlns="http://doc.example/">
              <Bucket>b</Bucket><Key>sv/a &amp; b.mp4</Key>
              <UploadId>0004B9894A22E5B1888A1E29F823****</UploadId>
            </InitiateMultipartUploadResult>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "InitiateMultipartUploadResult");
        assert_eq!(root.text_of("Key"), Some("sv/a & b.mp4"));
        assert_eq!(
            root.text_of("UploadId"),
            Some("0004B9894A22E5B1888A1E29F823****")
        );
    }

    #[test]
    fn repeated_children_and_entities() {
        let doc = "<C><Part><PartNumber>1</PartNumber><ETag>&quot;AB&quot;</ETag></Part>\
                   <Part><PartNumber>2</PartNumber><ETag>\"CD\"</ETag></Part><x:Empty xmlns:x=\"u\"/></C>";
        let root = parse(doc).unwrap();
        let tags: Vec<_> = root
            .children_named("Part")
            .map(|p| p.text_of("ETag").unwrap())
            .collect();
        assert_eq!(tags, ["\"AB\"", "\"CD\""]);
        assert!(root.child("Empty").is_some());
    }

    #[test]
    fn written_documents_read_back() {
        let doc = document(
            "R",
            &(leaf("K", "a<b & \"c\"") + &element("E", &leaf("N", 1))),
        );
        let root = parse(&doc).unwrap();
        assert_eq!(root.text_of("K"), Some("a<b & \"c\""));
        assert_eq!(root.child("E").unwrap().text_of("N"), Some("1"));
    }

    #[test]
    fn truncated_or_garbage_is_an_error() {
        assert!(parse("<A><B>1</B>").is_err());
        assert!(parse("not xml").is_err());
        assert!(parse("<A></B>").is_err());
    }
}
