//! Request bodies of `POST /readings`: a JSON array of reading objects, or NDJSON (one object per
//! line). A body that is not an array at all is one error for the whole request; within a body,
//! each item stands alone, so one broken line from a device does not fail its neighbours.
//!
//! JSON has no NaN or infinity, but broken devices write the bare tokens `NaN`, `Infinity` and
//! `-Infinity`. Such a body or line is re-read leniently: the tokens become a sentinel that the
//! gate rejects as `not_finite`, the item alone.

use serde_json::Value;

/// The text a bare `NaN` / `Infinity` token is replaced with before a lenient re-parse.
pub const NON_FINITE_SENTINEL: &str = "\u{0}non-finite";

/// How the body is framed, from its Content-Type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json`: one JSON array.
    Json,
    /// `application/x-ndjson` (also `application/ndjson`, `application/jsonl`): one object a line.
    Ndjson,
}

impl BodyFormat {
    /// The format a Content-Type header value names, ignoring parameters such as `charset`.
    pub fn from_content_type(content_type: &str) -> Option<BodyFormat> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case("application/json") {
            Some(BodyFormat::Json)
        } else if [
            "application/x-ndjson",
            "application/ndjson",
            "application/jsonl",
        ]
        .iter()
        .any(|name| media.eq_ignore_ascii_case(name))
        {
            Some(BodyFormat::Ndjson)
        } else {
            None
        }
    }
}

/// One item of a body, before the gate.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// Parsed JSON (maybe with non-finite sentinels), still to be checked.
    Value(Value),
    /// A line that is not JSON; the message says where it broke.
    Malformed(String),
}

/// Why a whole body was refused.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is not a JSON array (of anything).
    #[error("body is not a JSON array of readings: {0}")]
    NotAnArray(String),
    /// An NDJSON body that is not UTF-8.
    #[error("body is not UTF-8 text")]
    NotText,
}

/// Splits a body into items; the position of an item is its index (for NDJSON, the zero-based
/// line number; blank lines are skipped but counted).
pub fn parse_body(format: BodyFormat, body: &[u8]) -> Result<Vec<(usize, Item)>, BodyError> {
    match format {
        BodyFormat::Json => parse_array(body),
        BodyFormat::Ndjson => parse_lines(body),
    }
}

fn parse_array(body: &[u8]) -> Result<Vec<(usize, Item)>, BodyError> {
    let values = match serde_json::from_slice::<Vec<Value>>(body) {
        Ok(values) => values,
        Err(error) => {
            let lenient = std::str::from_utf8(body)
                .ok()
                .and_then(replace_non_finite_tokens)
                .and_then(|text| serde_json::from_str::<Vec<Value>>(&text).ok());
            lenient.ok_or_else(|| BodyError::NotAnArray(error.to_string()))?
        }
    };
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, value)| (index, Item::Value(value)))
        .collect())
}

fn parse_lines(body: &[u8]) -> Result<Vec<(usize, Item)>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotText)?;
    let mut items = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let item = match serde_json::from_str::<Value>(line) {
            Ok(value) => Item::Value(value),
            Err(error) => replace_non_finite_tokens(line)
                .and_then(|fixed| serde_json::from_str::<Value>(&fixed).ok())
                .map_or_else(|| Item::Malformed(error.to_string()), Item::Value),
        };
        items.push((index, item));
    }
    Ok(items)
}

/// Replaces bare `NaN`, `Infinity`, `+Infinity` and `-Infinity` tokens outside strings with the
/// [`NON_FINITE_SENTINEL`] string; `None` when there were none.
pub fn replace_non_finite_tokens(text: &str) -> Option<String> {
    const TOKENS: [&str; 4] = ["-Infinity", "+Infinity", "Infinity", "NaN"];
    let mut out = String::with_capacity(text.len() + 16);
    let mut replaced = false;
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) = TOKENS.iter().find(|t| rest.starts_with(**t)) {
            let before_ok = !out.ends_with(|p: char| p.is_alphanumeric() || p == '_');
            let after_ok = !rest[token.len()..].starts_with(|n: char| n.is_alphanumeric());
            if before_ok && after_ok {
                out.push_str("\"\\u0000non-finite\"");
                rest = &rest[token.len()..];
                replaced = true;
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    replaced.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_select_the_format() {
        assert_eq!(
            BodyFormat::from_content_type("application/json; charset=utf-8"),
            Some(BodyFormat::Json)
        );
        assert_eq!(
            BodyFormat::from_content_type("Application/X-NDJSON"),
            Some(BodyFormat::Ndjson)
        );
        assert_eq!(BodyFormat::from_content_type("text/plain"), None);
    }

    #[test]
    fn non_finite_tokens_become_sentinels_outside_strings_only() {
        let fixed = replace_non_finite_tokens(r#"{"value": NaN, "sensor": "NaN-1"}"#).unwrap();
        let value: Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(value["value"], Value::from(NON_FINITE_SENTINEL));
        assert_eq!(value["sensor"], Value::from("NaN-1"));
        assert_eq!(replace_non_finite_tokens(r#"{"value": 1.0}"#), None);
        let fixed = replace_non_finite_tokens("[-Infinity, Infinity]").unwrap();
        let value: Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(value[0], Value::from(NON_FINITE_SENTINEL));
        assert_eq!(value[1], Value::from(NON_FINITE_SENTINEL));
    }

    #[test]
    fn ndjson_lines_fail_alone_and_keep_their_line_number() {
        let body = b"{\"a\":1}\n\nnot json\r\n{\"value\": NaN}\n";
        let items = parse_body(BodyFormat::Ndjson, body).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].0, 0);
        assert_eq!(items[1].0, 2);
        assert!(matches!(items[1].1, Item::Malformed(_)));
        assert_eq!(items[2].0, 3);
        assert!(matches!(items[2].1, Item::Value(_)));
    }

    #[test]
    fn a_json_body_must_be_an_array() {
        assert!(matches!(
            parse_body(BodyFormat::Json, br#"{"sensor": "s"}"#),
            Err(BodyError::NotAnArray(_))
        ));
        assert_eq!(parse_body(BodyFormat::Json, b"[]").unwrap(), vec![]);
    }
}
