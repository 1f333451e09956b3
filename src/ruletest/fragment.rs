//! A case's `registry:` fragment as a registry document the compiler can read. The fragment's
//! text is taken from the test file where it stands and every other line is blanked, so the
//! document has the file's line count and the fragment keeps its lines and columns: a problem in
//! it is reported at `rules/x.test.yaml:LINE:COL`, exactly where the rule editor wrote it.
//! `version: 1` (which the fragment leaves out) goes on the `registry:` line itself (block style)
//! or on the line above (flow style, `registry: {...}`).

use crate::config::{Code, Diagnostic};

/// The registry document of the fragment whose `registry` key is at `key` (1-based line and
/// column) in `text`.
pub(crate) fn registry_document(
    file: &str,
    text: &str,
    key: (usize, usize),
) -> Result<String, Diagnostic> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let unsupported = || {
        Diagnostic::new(
            Code::BadValue,
            file,
            key,
            "the registry fragment must be a mapping written under `registry:`",
        )
        .with_hint("indent `districts:`, `assets:`, `sensors:` ... below `registry:`, or write `registry: {...}`")
    };
    let (line, column) = key;
    let Some(key_line) = line.checked_sub(1).and_then(|i| lines.get(i)) else {
        return Err(unsupported());
    };
    let Some(start) = byte_of_char(key_line, column.saturating_sub(1)) else {
        return Err(unsupported());
    };
    let Some(value) = after_key(&key_line[start..]) else {
        return Err(unsupported());
    };
    let value_at = key_line.len() - value.len();
    let trimmed = value.trim_start_matches([' ', '\t']);
    if trimmed.is_empty() || trimmed.starts_with('#') {
        Ok(block(&lines, line, column.saturating_sub(1)))
    } else if trimmed.starts_with('{') {
        let brace = value_at + (value.len() - trimmed.len());
        flow(&lines, line, brace).ok_or_else(unsupported)
    } else {
        Err(unsupported())
    }
}

/// The text after `registry:` (the key may be quoted).
fn after_key(at_key: &str) -> Option<&str> {
    let rest = ["registry", "\"registry\"", "'registry'"]
        .iter()
        .find_map(|k| at_key.strip_prefix(k))?;
    rest.trim_start_matches(' ').strip_prefix(':')
}

/// Byte offset of the `chars`-th character of `line` (the end when it is one past the last).
fn byte_of_char(line: &str, chars: usize) -> Option<usize> {
    line.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(line.len()))
        .nth(chars)
}

/// A block fragment: the lines below the key that are indented more than the key.
fn block(lines: &[&str], line: usize, key_indent: usize) -> String {
    let mut end = line;
    let mut content_indent = None;
    let mut has_version = false;
    for (k, text) in lines.iter().enumerate().skip(line) {
        let content = text.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = text.len() - content.len();
        if indent <= key_indent {
            break;
        }
        let first = *content_indent.get_or_insert(indent);
        if indent == first && content.starts_with("version:") {
            has_version = true;
        }
        end = k + 1;
    }
    let mut doc = String::new();
    for (k, text) in lines.iter().enumerate() {
        if k + 1 == line && !has_version {
            doc.push_str(&" ".repeat(content_indent.unwrap_or(0)));
            doc.push_str("version: 1");
        } else if k >= line && k < end {
            doc.push_str(text);
        }
        if k + 1 < lines.len() {
            doc.push('\n');
        }
    }
    doc
}

/// A flow fragment: from the `{` at byte `brace` of line `line` to its matching `}`.
fn flow(lines: &[&str], line: usize, brace: usize) -> Option<String> {
    let (end_line, end_byte) = flow_end(lines, line - 1, brace)?;
    let mut doc = String::new();
    for (k, text) in lines.iter().enumerate() {
        let text = if k == end_line {
            &text[..end_byte]
        } else {
            text
        };
        if k + 1 == line {
            let rest = &text[brace + 1..];
            if line == 1 {
                // no line above for `{version: 1,`: columns of this one line shift
                doc.push_str("{version: 1, ");
            } else {
                doc.push_str(&" ".repeat(text[..brace].chars().count() + 1));
            }
            doc.push_str(rest);
        } else if k + 2 == line {
            doc.push_str("{version: 1,");
        } else if k + 1 > line && k <= end_line {
            doc.push_str(text);
        }
        if k + 1 < lines.len() {
            doc.push('\n');
        }
    }
    Some(doc)
}

/// Where the flow mapping opened at (`line`, `brace`) closes: (line index, byte after `}`).
/// Skips quoted scalars and comments.
fn flow_end(lines: &[&str], line: usize, brace: usize) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    for (k, text) in lines.iter().enumerate().skip(line) {
        let from = if k == line { brace } else { 0 };
        let mut quote: Option<char> = None;
        let mut previous = ' ';
        let mut chars = text[from..].char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match quote {
                Some('"') if c == '\\' => {
                    chars.next();
                }
                Some(q) if c == q => {
                    if q == '\'' && chars.peek().map(|(_, n)| *n) == Some('\'') {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
                Some(_) => {}
                None => match c {
                    '\'' | '"' if matches!(previous, ' ' | '\t' | '{' | '[' | ',' | ':') => {
                        quote = Some(c);
                    }
                    '#' if matches!(previous, ' ' | '\t') => break,
                    '{' | '[' => depth += 1,
                    '}' | ']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some((k, from + i + 1));
                        }
                    }
                    _ => {}
                },
            }
            previous = c;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "version: 1
cases:
  - name: a
    registry:
      # the city of this case
      districts: [{code: \"210102\", name: 和平区}]
      assets:
        - {id: a-1}

    readings: []
";

    #[test]
    fn a_block_fragment_keeps_its_lines_and_gains_a_version() {
        let doc = registry_document("t.test.yaml", BLOCK, (4, 5)).unwrap();
        let lines: Vec<&str> = doc.lines().collect();
        assert_eq!(lines.len(), BLOCK.lines().count());
        assert_eq!(lines[0], "");
        assert_eq!(lines[3], "      version: 1");
        assert_eq!(
            lines[5],
            "      districts: [{code: \"210102\", name: 和平区}]"
        );
        assert_eq!(lines[7], "        - {id: a-1}");
        assert_eq!(lines[9], "");
    }

    #[test]
    fn a_flow_fragment_keeps_its_columns() {
        let text = "version: 1\ncases:\n  - {name: \"a, b}\", registry: {districts: [{code: 1, name: 'x}'}],\n      assets: []}, readings: []}\n";
        let key_line = text.lines().nth(2).unwrap();
        let key = key_line.find("registry").unwrap();
        let brace = key_line.find("{districts").unwrap();
        let doc = registry_document("t.test.yaml", text, (3, key + 1)).unwrap();
        let lines: Vec<&str> = doc.lines().collect();
        assert_eq!(lines[1], "{version: 1,");
        assert_eq!(
            lines[2],
            format!(
                "{}districts: [{{code: 1, name: 'x}}'}}],",
                " ".repeat(brace + 1)
            )
        );
        assert_eq!(lines[3], "      assets: []}");
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn a_scalar_fragment_is_refused_at_its_key() {
        let text = "version: 1\ncases:\n  - name: a\n    registry: city.yaml\n";
        let error = registry_document("t.test.yaml", text, (4, 5)).unwrap_err();
        assert_eq!(
            (error.code, error.line, error.column),
            (Code::BadValue, 4, 5)
        );
    }

    #[test]
    fn a_fragment_with_its_own_version_keeps_it() {
        let text = "version: 1\ncases:\n  - name: a\n    registry:\n      version: 1\n      districts: []\n";
        let doc = registry_document("t.test.yaml", text, (4, 5)).unwrap();
        assert_eq!(doc.matches("version: 1").count(), 1);
    }
}
