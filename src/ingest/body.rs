//! Request bodies of `POST /readings`: a JSON array of reading objects, or NDJSON (one object per
//! line). A body that is not an array at all is one error for the whole request; within a body,
//! each item stands alone, so one broken line from a device does not fail its neighbours.
//!
//! A reading object with the same key twice (`{"value": 1, "value": 90}`) is refused, the item
//! alone (`malformed_reading`): which of the two a device meant cannot be known, and JSON parsers
//! disagree (first wins, last wins).
//!
//! JSON has no NaN or infinity, but broken devices write the bare tokens `NaN`, `Infinity` and
//! `-Infinity`. Such a body or line is re-read leniently: the tokens become a sentinel that the
//! gate rejects as `not_finite`, the item alone.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
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
pub enum Item<'a> {
    /// A well-formed reading read straight from the body (the fast path: no intermediate tree,
    /// ids borrowed from the body), still to be checked against the registry.
    Wire(WireReading<'a>),
    /// Parsed JSON (maybe with non-finite sentinels), still to be checked.
    Value(Value),
    /// A line that is not JSON; the message says where it broke.
    Malformed(String),
    /// An object that names one key twice (the key).
    DuplicateKey(String),
}

/// A JSON value whose objects (at any depth) name each key once; else the first key named twice.
#[derive(Debug)]
enum Checked {
    Value(Value),
    DuplicateKey(String),
}

impl Checked {
    fn into_item<'a>(self) -> Item<'a> {
        match self {
            Checked::Value(value) => Item::Value(value),
            Checked::DuplicateKey(key) => Item::DuplicateKey(key),
        }
    }
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Checked;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_bool<E>(self, v: bool) -> Result<Checked, E> {
                Ok(Checked::Value(Value::Bool(v)))
            }

            fn visit_i64<E>(self, v: i64) -> Result<Checked, E> {
                Ok(Checked::Value(Value::from(v)))
            }

            fn visit_u64<E>(self, v: u64) -> Result<Checked, E> {
                Ok(Checked::Value(Value::from(v)))
            }

            fn visit_f64<E>(self, v: f64) -> Result<Checked, E> {
                Ok(Checked::Value(Value::from(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Checked, E> {
                Ok(Checked::Value(Value::String(v.to_owned())))
            }

            fn visit_string<E>(self, v: String) -> Result<Checked, E> {
                Ok(Checked::Value(Value::String(v)))
            }

            fn visit_unit<E>(self) -> Result<Checked, E> {
                Ok(Checked::Value(Value::Null))
            }

            fn visit_none<E>(self) -> Result<Checked, E> {
                Ok(Checked::Value(Value::Null))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Checked, A::Error> {
                let mut values = Vec::new();
                let mut duplicate = None;
                while let Some(element) = seq.next_element::<Checked>()? {
                    match element {
                        Checked::Value(value) => values.push(value),
                        Checked::DuplicateKey(key) => {
                            duplicate.get_or_insert(key);
                        }
                    }
                }
                Ok(duplicate.map_or(Checked::Value(Value::Array(values)), Checked::DuplicateKey))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Checked, A::Error> {
                let mut object = serde_json::Map::new();
                let mut duplicate = None;
                while let Some(key) = map.next_key::<String>()? {
                    match map.next_value::<Checked>()? {
                        Checked::Value(value) => {
                            if object.contains_key(&key) {
                                duplicate.get_or_insert(key);
                            } else {
                                object.insert(key, value);
                            }
                        }
                        Checked::DuplicateKey(inner) => {
                            duplicate.get_or_insert(inner);
                        }
                    }
                }
                Ok(duplicate.map_or(Checked::Value(Value::Object(object)), Checked::DuplicateKey))
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

/// A reading exactly as a well-behaved device sends it. Anything else about an item (a missing
/// field, a string value, a float `ts`, a duplicate key) makes the fast parse fail, and the item is
/// read again as a [`Value`] so that the gate can say precisely what is wrong.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct WireReading<'a> {
    /// Sensor id.
    #[serde(borrow)]
    pub sensor: Cow<'a, str>,
    /// Metric id.
    #[serde(borrow)]
    pub metric: Cow<'a, str>,
    /// The value; JSON numbers are always finite.
    pub value: f64,
    /// RFC 3339 text or epoch milliseconds.
    #[serde(borrow)]
    pub ts: WireTs<'a>,
}

/// The `ts` of a [`WireReading`].
#[derive(Clone, Debug, PartialEq)]
pub enum WireTs<'a> {
    /// Epoch milliseconds.
    Millis(i64),
    /// Text, to be read as RFC 3339.
    Text(Cow<'a, str>),
    /// A number that is not whole epoch milliseconds (a fraction, or out of range).
    Unreadable(serde_json::Number),
}

impl<'de: 'a, 'a> Deserialize<'de> for WireTs<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = WireTs<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("RFC 3339 text or epoch milliseconds")
            }

            fn visit_i64<E>(self, ms: i64) -> Result<Self::Value, E> {
                Ok(WireTs::Millis(ms))
            }

            fn visit_u64<E>(self, ms: u64) -> Result<Self::Value, E> {
                Ok(
                    i64::try_from(ms)
                        .map_or_else(|_| WireTs::Unreadable(ms.into()), WireTs::Millis),
                )
            }

            fn visit_f64<E: serde::de::Error>(self, ms: f64) -> Result<Self::Value, E> {
                serde_json::Number::from_f64(ms)
                    .map(WireTs::Unreadable)
                    .ok_or_else(|| E::custom("non-finite ts"))
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(WireTs::Text(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(WireTs::Text(Cow::Owned(text.to_owned())))
            }
        }

        deserializer.deserialize_any(Visitor(std::marker::PhantomData))
    }
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
pub fn parse_body(format: BodyFormat, body: &[u8]) -> Result<Vec<(usize, Item<'_>)>, BodyError> {
    match format {
        BodyFormat::Json => parse_array(body),
        BodyFormat::Ndjson => parse_lines(body),
    }
}

fn parse_array(body: &[u8]) -> Result<Vec<(usize, Item<'_>)>, BodyError> {
    if let Ok(readings) = serde_json::from_slice::<Vec<WireReading<'_>>>(body) {
        return Ok(readings
            .into_iter()
            .enumerate()
            .map(|(index, reading)| (index, Item::Wire(reading)))
            .collect());
    }
    let values = match serde_json::from_slice::<Vec<Checked>>(body) {
        Ok(values) => values,
        Err(error) => {
            let lenient = std::str::from_utf8(body)
                .ok()
                .and_then(replace_non_finite_tokens)
                .and_then(|text| serde_json::from_str::<Vec<Checked>>(&text).ok());
            lenient.ok_or_else(|| BodyError::NotAnArray(error.to_string()))?
        }
    };
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, value)| (index, value.into_item()))
        .collect())
}

fn parse_lines(body: &[u8]) -> Result<Vec<(usize, Item<'_>)>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotText)?;
    let mut items = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Ok(reading) = serde_json::from_str::<WireReading<'_>>(line) {
            items.push((index, Item::Wire(reading)));
            continue;
        }
        let item = match serde_json::from_str::<Checked>(line) {
            Ok(value) => value.into_item(),
            Err(error) => replace_non_finite_tokens(line)
                .and_then(|fixed| serde_json::from_str::<Checked>(&fixed).ok())
                .map_or_else(|| Item::Malformed(error.to_string()), Checked::into_item),
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
    fn a_key_named_twice_refuses_the_item_alone() {
        let body = br#"[{"sensor": "s", "metric": "m", "value": 1, "value": 90, "ts": 1000},
                        {"sensor": "s", "metric": "m", "value": 1, "ts": 1000},
                        {"sensor": "s", "metric": "m", "value": 1, "ts": 1000, "x": {"a": 1, "a": 2}}]"#;
        let items = parse_body(BodyFormat::Json, body).unwrap();
        assert_eq!(items[0].1, Item::DuplicateKey("value".to_owned()));
        assert!(matches!(items[1].1, Item::Value(_)));
        assert_eq!(items[2].1, Item::DuplicateKey("a".to_owned()));
        let lines =
            b"{\"sensor\":\"s\",\"sensor\":\"t\",\"metric\":\"m\",\"value\":NaN,\"ts\":1}\n";
        let items = parse_body(BodyFormat::Ndjson, lines).unwrap();
        assert_eq!(items[0].1, Item::DuplicateKey("sensor".to_owned()));
    }

    #[test]
    fn a_json_body_must_be_an_array() {
        assert!(matches!(
            parse_body(BodyFormat::Json, br#"{"sensor": "s"}"#),
            Err(BodyError::NotAnArray(_))
        ));
        assert_eq!(parse_body(BodyFormat::Json, b"[]").unwrap(), vec![]);
    }

    #[test]
    fn well_formed_readings_take_the_fast_path_and_the_rest_fall_back() {
        let body = br#"[{"sensor": "s\u002d1", "metric": "m", "value": 2, "ts": 1000, "extra": true},
                        {"sensor": "s", "metric": "m", "value": 1.5, "ts": "2026-11-29T00:00:00Z"}]"#;
        let items = parse_body(BodyFormat::Json, body).unwrap();
        let Item::Wire(first) = &items[0].1 else {
            panic!("{items:?}")
        };
        assert_eq!(first.sensor, "s-1");
        assert_eq!(first.ts, WireTs::Millis(1000));
        assert!(
            matches!(&items[1].1, Item::Wire(r) if r.ts == WireTs::Text("2026-11-29T00:00:00Z".into()))
        );

        // one odd item sends the whole array down the precise path
        let body = br#"[{"sensor": "s", "metric": "m", "value": 1, "ts": 1000},
                        {"sensor": "s", "metric": "m", "value": "high", "ts": 1000}]"#;
        let items = parse_body(BodyFormat::Json, body).unwrap();
        assert!(items.iter().all(|(_, item)| matches!(item, Item::Value(_))));

        let items = parse_body(
            BodyFormat::Ndjson,
            b"{\"sensor\":\"s\",\"metric\":\"m\",\"value\":1,\"ts\":1.5}\n",
        )
        .unwrap();
        assert!(matches!(&items[0].1, Item::Wire(r) if matches!(r.ts, WireTs::Unreadable(_))));
    }
}
