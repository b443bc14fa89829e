//! The XML documents OSS exchanges: writing them, and reading them into a small element tree.
//! Elements are matched by local name, so a document with an `xmlns` (or prefixes) reads the
//! same as one without.

use alloc::{format, string::String, string::ToString, vec::Vec};

use crate::text::{self, split_once};
/// `<name>text</name>`, the text escaped.
pub fn leaf(name: &str, text: &str) -> String {
    let mut escaped = String::new();
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    format!("<{name}>{escaped}</{name}>")
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
/// pull much of `core::io`'s error text into the wasm.
#[derive(Debug, PartialEq)]
pub struct XmlError(pub &'static str);

impl core::fmt::Display for XmlError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
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

const MALFORMED: XmlError = XmlError("not well-formed");

/// The deepest nesting read. OSS's documents nest three deep; a tree much deeper is no answer of
/// its, and dropping one hundreds of thousands deep would exhaust the stack.
pub const MAX_DEPTH: usize = 16;

/// The largest document read, in bytes: a ListParts page of 1,000 parts is about 250 KB.
pub const MAX_DOCUMENT: usize = 1 << 20;

/// Parses a whole document into its root element. What the SDK and OSS exchange is plain:
/// elements and text, entities and CDATA; declarations, comments and a DOCTYPE are skipped,
/// attributes ignored. Documents deeper than [`MAX_DEPTH`] or larger than [`MAX_DOCUMENT`] are
/// refused.
pub fn parse(document: &str) -> Result<Element, XmlError> {
    if document.len() > MAX_DOCUMENT {
        return Err(XmlError("the document is too large"));
    }
    let mut rest = document;
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let Some((text, tag)) = split_once(rest, "<") else {
            return Err(XmlError("the document ends before its root element does"));
        };
        match stack.last_mut() {
            Some(current) => unescape(text, &mut current.text)?,
            None if text.trim_ascii().is_empty() => {}
            None => return Err(MALFORMED),
        }
        if tag.starts_with("?") {
            rest = around(tag, "?>")?.1;
        } else if tag.starts_with("!--") {
            rest = around(tag, "-->")?.1;
        } else if let Some(data) = tag.strip_prefix("![CDATA[") {
            let (data, next) = around(data, "]]>")?;
            stack.last_mut().ok_or(MALFORMED)?.text.push_str(data);
            rest = next;
        } else if tag.starts_with("!") {
            rest = around(tag, ">")?.1;
        } else if let Some(tag) = tag.strip_prefix("/") {
            let (name, next) = around(tag, ">")?;
            let mut done = stack.pop().ok_or(XmlError("unbalanced end tag"))?;
            if local_name(name)? != done.name {
                return Err(XmlError("unbalanced end tag"));
            }
            rest = next;
            done.text = done.text.trim_ascii().to_string();
            match stack.last_mut() {
                Some(parent) => parent.children.push(done),
                None => return Ok(done),
            }
        } else {
            let (inner, next) = start_tag(tag).ok_or(MALFORMED)?;
            let (inner, empty) = match inner.strip_suffix("/") {
                Some(inner) => (inner, true),
                None => (inner, false),
            };
            let name = inner.get(..text::leading(inner, |b| !b.is_ascii_whitespace()));
            let element = Element {
                name: local_name(name.unwrap_or_default())?,
                ..Element::default()
            };
            rest = next;
            if !empty && stack.len() >= MAX_DEPTH {
                return Err(XmlError("the document nests too deep"));
            }
            match (empty, stack.last_mut()) {
                (false, _) => stack.push(element),
                (true, Some(parent)) => parent.children.push(element),
                (true, None) => return Ok(element),
            }
        }
    }
}

/// The text before and after `delimiter`, which must be there.
fn around<'a>(text: &'a str, delimiter: &str) -> Result<(&'a str, &'a str), XmlError> {
    split_once(text, delimiter).ok_or(MALFORMED)
}

/// A start tag's inside and what follows its `>`, which is the first outside quoted attribute
/// values.
fn start_tag(tag: &str) -> Option<(&str, &str)> {
    let mut quote = None;
    // Every delimiter is ASCII, so bytes will do: no byte of a multi-byte character is one.
    for (i, c) in tag.bytes().enumerate() {
        match (quote, c) {
            (None, b'>') => return Some((tag.get(..i)?, tag.get(i + 1..)?)),
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), c) if q == c => quote = None,
            _ => {}
        }
    }
    None
}

/// An element's name without its namespace prefix.
fn local_name(name: &str) -> Result<String, XmlError> {
    let name = name.trim_ascii();
    let local = text::rsplit_once(name, ":").map_or(name, |(_, local)| local);
    if local.is_empty() || text::has_any(local, b"<&\"=") {
        return Err(MALFORMED);
    }
    Ok(local.to_string())
}

/// Appends `text` with its entity and character references resolved.
fn unescape(text: &str, out: &mut String) -> Result<(), XmlError> {
    let mut rest = text;
    while let Some((before, reference)) = split_once(rest, "&") {
        out.push_str(before);
        let (reference, next) = split_once(reference, ";").ok_or(MALFORMED)?;
        let c = match reference {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            reference => {
                let code = match reference.strip_prefix("#x") {
                    Some(hex) => text::number(hex, 16),
                    None => text::number(reference.strip_prefix("#").ok_or(MALFORMED)?, 10),
                };
                code.and_then(|code| char::from_u32(code.try_into().ok()?))
                    .ok_or(MALFORMED)?
            }
        };
        out.push(c);
        rest = next;
    }
    out.push_str(rest);
    Ok(())
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
            &(leaf("K", "a<b & \"c\"") + &element("E", &leaf("N", "1"))),
        );
        let root = parse(&doc).unwrap();
        assert_eq!(root.text_of("K"), Some("a<b & \"c\""));
        assert_eq!(root.child("E").unwrap().text_of("N"), Some("1"));
    }

    #[test]
    fn truncated_or_garbage_is_an_error() {
        for bad in [
            "<A><B>1</B>",
            "not xml",
            "<A></B>",
            "<A>&bogus;</A>",
            "<A>&#xZZ;</A>",
            "<A><!-- open",
            "<A attr=\"x>",
            "x<A/>",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn depth_and_size_are_bounded() {
        let nested = |depth: usize| "<a>".repeat(depth) + &"</a>".repeat(depth);
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(
            parse(&nested(MAX_DEPTH + 1)),
            Err(XmlError("the document nests too deep"))
        );
        // Deep enough to exhaust the stack if it were built and dropped recursively.
        assert!(parse(&nested(300_000)).is_err());
        let big = format!("<a>{}</a>", "x".repeat(MAX_DOCUMENT));
        assert_eq!(parse(&big), Err(XmlError("the document is too large")));
        let fits = format!("<a>{}</a>", "x".repeat(MAX_DOCUMENT - 7));
        assert_eq!(parse(&fits).unwrap().text.len(), MAX_DOCUMENT - 7);
    }

    #[test]
    fn comments_cdata_attributes_and_character_references() {
        let doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE R>\n<!-- a <comment> -->\
                   <R a=\"1 > 0\" b='x'><T><![CDATA[<raw> & ]]>&#65;&#x42;&apos;</T>\
                   <E></E><p:N xmlns:p=\"u\">  7\n </p:N></R>";
        let root = parse(doc).unwrap();
        assert_eq!(root.text_of("T"), Some("<raw> & AB'"));
        assert_eq!(root.text_of("E"), Some(""));
        assert_eq!(root.text_of("N"), Some("7"));
        assert_eq!(root.children.len(), 3);
    }

    /// A random element, written out, nested at most `depth` more levels: text with entity,
    /// character references and characters beyond ASCII, CDATA, comments, attributes, empty
    /// elements and prefixed names.
    fn random_element(next: &mut impl FnMut() -> u64, depth: u32) -> std::string::String {
        const NAMES: [&str; 5] = ["Part", "ETag", "oss:Key", "a", "NextPartNumberMarker"];
        const TEXTS: [&str; 12] = [
            "plain",
            " spaced ",
            "a&amp;b",
            "&lt;&gt;",
            "&quot;&apos;",
            "&#233;",
            "&#x1F600;",
            "é视频",
            "<![CDATA[<raw & text>]]>",
            "<!-- a comment -->",
            "\n  ",
            "0004B99",
        ];
        let name = NAMES[(next() % NAMES.len() as u64) as usize];
        let attribute = match next() % 3 {
            0 => " xmlns=\"http://doc.oss-cn-hangzhou.aliyuncs.com\"",
            1 => " id='1 > 0'",
            _ => "",
        };
        if next().is_multiple_of(6) {
            return format!("<{name}{attribute}/>");
        }
        let mut inside = std::string::String::new();
        for _ in 0..next() % 4 {
            match next() % 3 {
                0 if depth > 0 => inside += &random_element(next, depth - 1),
                _ => inside += TEXTS[(next() % TEXTS.len() as u64) as usize],
            }
        }
        format!("<{name}{attribute}>{inside}</{name}>")
    }

    /// What quick-xml reads of `document`, in this module's tree: local names, each element's
    /// text (references resolved, CDATA kept, comments skipped) trimmed, and its children.
    fn quick_xml_tree(document: &str) -> Element {
        use quick_xml::events::Event;
        let name = |e: &quick_xml::events::BytesStart| {
            std::string::String::from_utf8(e.local_name().as_ref().to_vec()).unwrap()
        };
        let mut reader = quick_xml::Reader::from_str(document);
        let mut stack: Vec<Element> = Vec::new();
        loop {
            let text = |stack: &mut Vec<Element>, s: &str| stack.last_mut().unwrap().text += s;
            match reader.read_event().unwrap() {
                Event::Start(e) => stack.push(Element {
                    name: name(&e),
                    ..Element::default()
                }),
                Event::Empty(e) => {
                    let empty = Element {
                        name: name(&e),
                        ..Element::default()
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(empty),
                        None => return empty,
                    }
                }
                Event::Text(t) if !stack.is_empty() => text(&mut stack, &t.decode().unwrap()),
                Event::CData(c) => text(&mut stack, &c.decode().unwrap()),
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => {
                            let entity = r.decode().unwrap();
                            quick_xml::escape::resolve_predefined_entity(&entity)
                                .unwrap()
                                .to_string()
                        }
                    };
                    text(&mut stack, &resolved);
                }
                Event::End(_) => {
                    let mut done = stack.pop().unwrap();
                    done.text = done.text.trim_ascii().to_string();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return done,
                    }
                }
                Event::Eof => panic!("no root element in {document}"),
                _ => {}
            }
        }
    }

    /// quick-xml is the oracle: every generated document reads to the same tree.
    #[test]
    fn agrees_with_quick_xml() {
        let mut next = crate::tests::xorshift(0x5eed2);
        for _ in 0..3000 {
            let root = random_element(&mut next, 4);
            let document = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{root}\n");
            assert_eq!(
                parse(&document).unwrap(),
                quick_xml_tree(&document),
                "{document}"
            );
        }
    }
}
