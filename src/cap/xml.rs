//! A tiny XML writer: elements with escaped text, indented two spaces, nothing else. Element
//! names are `&'static str` chosen by the caller; every piece of text (asset names, messages,
//! department names) goes through [`escape`], so no input can break the document. Characters
//! XML 1.0 does not allow at all (most C0 controls, U+FFFE, U+FFFF) become U+FFFD.

/// Writes one XML document.
#[derive(Debug)]
pub(crate) struct XmlWriter {
    /// The text so far.
    out: String,
    /// Open elements, innermost last.
    open: Vec<&'static str>,
}

impl XmlWriter {
    /// A document with the XML declaration.
    pub(crate) fn new() -> XmlWriter {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    /// Opens an element with attributes (values escaped).
    pub(crate) fn open(&mut self, name: &'static str, attributes: &[(&'static str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value);
            self.out.push('"');
        }
        self.out.push_str(">\n");
        self.open.push(name);
    }

    /// An element holding only text.
    pub(crate) fn leaf(&mut self, name: &'static str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// Closes the innermost open element.
    pub(crate) fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
    }

    /// The document, with every element still open closed.
    pub(crate) fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}

/// True for characters XML 1.0 allows in a document.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}'
}

/// Appends `text` escaped for element content and attribute values.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if allowed(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

/// `text` escaped for element content and attribute values.
#[cfg(test)]
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_forbidden_characters_are_escaped() {
        assert_eq!(
            escape(r#"<b>&"x'"#),
            "&lt;b&gt;&amp;&quot;x&apos;".to_owned()
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
        assert_eq!(escape("南京南街 电信井"), "南京南街 电信井");
    }

    #[test]
    fn elements_nest_and_close() {
        let mut xml = XmlWriter::new();
        xml.open("alert", &[("xmlns", "urn:x")]);
        xml.leaf("identifier", "a<b");
        xml.open("info", &[]);
        xml.leaf("event", "e");
        let text = xml.finish();
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"urn:x\">\n  \
             <identifier>a&lt;b</identifier>\n  <info>\n    <event>e</event>\n  </info>\n\
             </alert>\n"
        );
    }
}
