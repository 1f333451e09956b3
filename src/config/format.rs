//! The only file that knows the YAML crates. A document is read twice: once by yaml-rust2's event
//! parser, which keeps a position for every node (so later checks can point at
//! `rules[2].threshold.levels.red`), and once by serde_norway into a `raw` struct. serde stops at
//! the first structural error in a file; that error is turned into one diagnostic with a stable
//! code, so a file with a typo still reports, and other files keep reporting theirs.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::diagnostic::{Code, Diagnostic};

/// 1-based (line, column) of every node of a document, keyed by its path in serde_norway's
/// notation (`rules[2].threshold.levels.red`). A map entry's path points at the value when the
/// value is a scalar and at the key otherwise; a sequence item's at the item.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    map: HashMap<String, (usize, usize)>,
    /// Where each map entry's key is written (for "unknown key" at the key itself).
    keys: HashMap<String, (usize, usize)>,
}

impl Positions {
    /// Records the position of `path` (CSV readers build positions this way).
    pub fn insert(&mut self, path: String, position: (usize, usize)) {
        self.map.insert(path, position);
    }

    /// The position of `path`, or of its nearest recorded ancestor, or (1, 1).
    pub fn at(&self, path: &str) -> (usize, usize) {
        let mut current = path;
        loop {
            if let Some(position) = self.map.get(current) {
                return *position;
            }
            match current.rfind(['.', '[']) {
                Some(cut) => current = &current[..cut],
                None => return (1, 1),
            }
        }
    }

    /// The position of the key of the map entry at `path`, else [`Positions::at`].
    pub fn key_at(&self, path: &str) -> (usize, usize) {
        self.keys
            .get(path)
            .copied()
            .unwrap_or_else(|| self.at(path))
    }

    /// True when `path` itself was written in the document.
    pub fn contains(&self, path: &str) -> bool {
        self.map.contains_key(path)
    }
}

/// A document whose lists (`rules:`, `sensors:` ...) can be checked item by item, so that one
/// bad item does not hide the problems of the others.
pub trait Listed: DeserializeOwned {
    /// Names each list and its item type: `checker.list::<RuleDef>("rules")`.
    fn lists(checker: &mut ListChecker<'_>) {
        let _ = checker;
    }
}

/// Checks the items of a document's lists one by one after the whole document failed.
#[derive(Debug)]
pub struct ListChecker<'a> {
    file: &'a str,
    document: &'a serde_norway::Value,
    positions: &'a Positions,
    found: Vec<Diagnostic>,
}

impl ListChecker<'_> {
    /// Deserializes every item of the top-level list `key` as an `I` and records what fails.
    pub fn list<I: DeserializeOwned>(&mut self, key: &str) {
        let Some(serde_norway::Value::Sequence(items)) = self.document.get(key) else {
            return;
        };
        for (index, item) in items.iter().enumerate() {
            // Re-read the item from text so serde_norway reports the path inside the item.
            let Ok(text) = serde_norway::to_string(item) else {
                continue;
            };
            if let Err(error) = serde_norway::from_str::<I>(&text) {
                let prefix = format!("{key}[{index}]");
                self.found
                    .push(classify(self.file, &error, self.positions, &prefix));
            }
        }
    }
}

/// Parses `text` (shown as `file`) into `T`, with the position of every node. When the document
/// does not fit its schema, every failing list item is reported (one problem per item).
pub fn parse_yaml<T: Listed>(file: &str, text: &str) -> Result<(T, Positions), Vec<Diagnostic>> {
    let positions = positions(file, text).map_err(|d| vec![d])?;
    let error = match serde_norway::from_str::<T>(text) {
        Ok(value) => return Ok((value, positions)),
        Err(error) => error,
    };
    let mut found = vec![classify(file, &error, &positions, "")];
    if let Ok(document) = serde_norway::from_str::<serde_norway::Value>(text) {
        let mut checker = ListChecker {
            file,
            document: &document,
            positions: &positions,
            found: Vec::new(),
        };
        T::lists(&mut checker);
        found.extend(checker.found);
    }
    Diagnostic::sort(&mut found);
    found.dedup();
    Err(found)
}

/// Walks the event stream and records positions; a scanner error is `malformed_yaml`.
fn positions(file: &str, text: &str) -> Result<Positions, Diagnostic> {
    let mut builder = PathBuilder::default();
    let mut parser = Parser::new_from_str(text);
    match parser.load(&mut builder, false) {
        Ok(()) => Ok(builder.positions),
        Err(error) => {
            let marker = error.marker();
            Err(Diagnostic::new(
                Code::MalformedYaml,
                file,
                (marker.line(), marker.col() + 1),
                format!("malformed YAML: {}", error.info()),
            )
            .with_hint("check indentation, unclosed brackets and `key: value` spacing"))
        }
    }
}

/// One open collection while walking events.
#[derive(Debug)]
enum Frame {
    /// A mapping: the path of the mapping, and the key waiting for its value (with its marker).
    Map {
        path: String,
        key: Option<(String, Marker)>,
        /// Set for a mapping that is a sequence item: its position is its first key's.
        position_at_first_key: bool,
    },
    /// A sequence: its path and the index of the next item.
    Seq { path: String, next: usize },
}

#[derive(Debug, Default)]
struct PathBuilder {
    stack: Vec<Frame>,
    positions: Positions,
}

fn position(marker: Marker) -> (usize, usize) {
    (marker.line(), marker.col() + 1)
}

impl PathBuilder {
    /// The path of the node that starts now and the position to record for it, if it is inside a
    /// collection; `is_scalar` picks the value's own marker over the key's. Advances the parent.
    fn child(&mut self, marker: Marker, is_scalar: bool) -> Option<(String, (usize, usize))> {
        match self.stack.last_mut()? {
            Frame::Map { path, key, .. } => {
                let (name, key_marker) = key.take()?;
                let child = if path.is_empty() {
                    name
                } else {
                    format!("{path}.{name}")
                };
                self.positions
                    .keys
                    .insert(child.clone(), position(key_marker));
                let at = if is_scalar { marker } else { key_marker };
                Some((child, position(at)))
            }
            Frame::Seq { path, next } => {
                let child = format!("{path}[{next}]");
                *next += 1;
                Some((child, position(marker)))
            }
        }
    }

    /// In a mapping with no pending key, a scalar is a key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

impl MarkedEventReceiver for PathBuilder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        match event {
            Event::Scalar(value, ..) => {
                if self.expects_key() {
                    if let Some(Frame::Map {
                        path,
                        key,
                        position_at_first_key,
                    }) = self.stack.last_mut()
                    {
                        if *position_at_first_key {
                            *position_at_first_key = false;
                            self.positions.insert(path.clone(), position(marker));
                        }
                        *key = Some((value, marker));
                    }
                } else if let Some((path, at)) = self.child(marker, true) {
                    self.positions.insert(path, at);
                }
            }
            Event::Alias(_) => {
                if let Some((path, at)) = self.child(marker, true) {
                    self.positions.insert(path, at);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(event, Event::MappingStart(..));
                let in_sequence = matches!(self.stack.last(), Some(Frame::Seq { .. }));
                let path = match self.child(marker, false) {
                    Some((path, at)) => {
                        self.positions.insert(path.clone(), at);
                        path
                    }
                    None => String::new(),
                };
                self.stack.push(if is_map {
                    // The parser marks a block mapping after its first key; people look for
                    // a list item at that first key.
                    Frame::Map {
                        path,
                        key: None,
                        position_at_first_key: in_sequence,
                    }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// Turns a serde_norway error into a diagnostic with a stable code. `prefix` is the path of the
/// node that was deserialized (empty for the whole document); positions come from `positions`
/// by path, so the whole-document and the per-item reading of one problem are identical.
fn classify(
    file: &str,
    error: &serde_norway::Error,
    positions: &Positions,
    prefix: &str,
) -> Diagnostic {
    let full = error.to_string();
    let text = match full.rfind(" at line ") {
        Some(cut) => &full[..cut],
        None => full.as_str(),
    };
    // serde_norway prefixes the path of the failing node: `rules[0].n: invalid type ...`.
    let (inner, message) = match text.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') => (path, rest),
        _ => ("", text),
    };
    let joined = match (prefix.is_empty(), inner.is_empty()) {
        (true, _) => inner.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
        (false, false) => format!("{prefix}.{inner}"),
    };
    let path = joined.as_str();
    let unknown_key = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    let at = match unknown_key {
        Some(name) if path.is_empty() => positions.key_at(name),
        Some(name) => positions.key_at(&format!("{path}.{name}")),
        None if path.is_empty() => error.location().map_or((1, 1), |l| (l.line(), l.column())),
        None => positions.at(path),
    };
    let place = if path.is_empty() {
        String::new()
    } else {
        format!(" in `{path}`")
    };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, expected) = split_expected(rest);
        let mut diagnostic = Diagnostic::new(
            Code::UnknownKey,
            file,
            at,
            format!("unknown key {name}{place}"),
        );
        if let Some(expected) = expected {
            diagnostic = diagnostic.with_hint(expected);
        }
        return diagnostic;
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        if rest == "`version`" {
            return Diagnostic::new(Code::BadVersion, file, at, "missing `version: 1`")
                .with_hint("every document starts with `version: 1`");
        }
        return Diagnostic::new(
            Code::MissingKey,
            file,
            at,
            format!("missing key {rest}{place}"),
        );
    }
    if path == "version" || message.starts_with("version must be 1") {
        return Diagnostic::new(Code::BadVersion, file, at, message.replace("`", ""))
            .with_hint("this Tocsin reads `version: 1` documents");
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (name, expected) = split_expected(rest);
        let mut diagnostic = Diagnostic::new(
            Code::BadValue,
            file,
            at,
            format!("unknown value {name}{place}"),
        );
        if let Some(expected) = expected {
            diagnostic = diagnostic.with_hint(expected);
        }
        return diagnostic;
    }
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid length "))
        .or_else(|| message.strip_prefix("invalid value: "))
    {
        let (found, expected) = match rest.split_once(", expected ") {
            Some((found, expected)) => (found, friendly(expected)),
            None => (rest, String::new()),
        };
        let subject = if path.is_empty() {
            "the document".to_owned()
        } else {
            format!("`{path}`")
        };
        let diagnostic = Diagnostic::new(
            Code::WrongType,
            file,
            at,
            format!("wrong type for {subject}: found {found}"),
        );
        return if expected.is_empty() {
            diagnostic
        } else {
            diagnostic.with_hint(format!("expected {expected}"))
        };
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        return Diagnostic::new(
            Code::MalformedYaml,
            file,
            at,
            format!("key {rest} appears twice{place}"),
        )
        .with_hint("remove one of them");
    }
    Diagnostic::new(Code::MalformedYaml, file, at, message.to_owned())
}

/// Splits "`bogus`, expected one of `a`, `b`" into the name and "expected one of ...".
fn split_expected(rest: &str) -> (&str, Option<String>) {
    match rest.split_once(", ") {
        Some((name, expected)) => (name, Some(expected.to_owned())),
        None => (rest, None),
    }
}

/// Names serde's Rust types in the words of a config author.
fn friendly(expected: &str) -> String {
    match expected {
        "f64" | "f32" => "a number".to_owned(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number".to_owned(),
        "a boolean" => "true or false".to_owned(),
        "a sequence" => "a list".to_owned(),
        "an array of length 2" => "a list of two numbers `[lo, hi]`".to_owned(),
        other if other.starts_with("struct ") => "a mapping of keys".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        version: crate::config::raw::Version,
        rules: Vec<Item>,
    }

    impl Listed for Doc {
        fn lists(checker: &mut ListChecker<'_>) {
            checker.list::<Item>("rules");
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        id: String,
        n: Option<f64>,
        levels: Option<crate::config::raw::Levels>,
    }

    #[test]
    fn positions_follow_paths() {
        let text = "version: 1\nrules:\n  - id: a\n    levels:\n      red: 5\n  - id: b\n";
        let (_, positions) = parse_yaml::<Doc>("f.yaml", text).unwrap();
        assert_eq!(positions.at("version"), (1, 10));
        assert_eq!(positions.at("rules[0].id"), (3, 9));
        assert_eq!(positions.at("rules[0].levels"), (4, 5));
        assert_eq!(positions.at("rules[0].levels.red"), (5, 12));
        assert_eq!(positions.at("rules[1].id"), (6, 9));
        assert_eq!(positions.at("rules[1].missing"), positions.at("rules[1]"));
    }

    #[test]
    fn serde_errors_get_codes() {
        let unknown = parse_yaml::<Doc>("f.yaml", "version: 1\nrules:\n  - id: a\n    bogus: 1\n")
            .unwrap_err()
            .remove(0);
        assert_eq!(
            unknown.to_string(),
            "f.yaml:4:5: error[unknown_key]: unknown key `bogus` in `rules[0]`\n  = hint: expected one of `id`, `n`, `levels`"
        );
        let wrong = parse_yaml::<Doc>("f.yaml", "version: 1\nrules:\n  - id: a\n    n: x\n")
            .unwrap_err()
            .remove(0);
        assert_eq!(
            wrong.to_string(),
            "f.yaml:4:8: error[wrong_type]: wrong type for `rules[0].n`: found string \"x\"\n  = hint: expected a number"
        );
        let version = parse_yaml::<Doc>("f.yaml", "version: 2\nrules: []\n").unwrap_err();
        assert_eq!(version[0].code, Code::BadVersion);
        let malformed = parse_yaml::<Doc>("f.yaml", "version: 1\nrules: [\n").unwrap_err();
        assert_eq!(malformed[0].code, Code::MalformedYaml);
    }

    #[test]
    fn every_bad_item_is_reported() {
        let text = "version: 1\nrules:\n  - id: a\n    n: x\n  - id: b\n  - id: c\n    colour: red\n  - n: 1\n";
        let errors = parse_yaml::<Doc>("f.yaml", text).unwrap_err();
        let lines: Vec<String> = errors
            .iter()
            .map(|d| d.to_string().lines().next().unwrap().to_owned())
            .collect();
        assert_eq!(
            lines,
            vec![
                "f.yaml:4:8: error[wrong_type]: wrong type for `rules[0].n`: found string \"x\"",
                "f.yaml:7:5: error[unknown_key]: unknown key `colour` in `rules[2]`",
                "f.yaml:8:5: error[missing_key]: missing key `id` in `rules[3]`",
            ]
        );
    }
}
