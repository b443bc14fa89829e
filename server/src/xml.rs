//! Writing the small XML documents OSS answers with.

use quick_xml::escape::partial_escape;

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
