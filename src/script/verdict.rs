//! What a script's return value means. Accepted: `()` (no level), a level name (`"blue"` ..
//! `"red"`, or `"none"`), or a map `#{level: .., message: "..", evidence: #{..}}` where
//! `message` and `evidence` may be left out. Anything else, an unknown level name or an unknown
//! key in the map (a typo such as `levle`) is a bad return, never a silent "no warning".

use rhai::{Dynamic, Map};
use serde_json::Value;

use super::context::Record;
use super::window::Window;
use crate::model::Level;

/// A script's judgement on one reading.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The level the rule's alarm should stand at (`None`: no alarm).
    pub level: Option<Level>,
    /// The script's message for people (empty when it gave none).
    pub message: String,
    /// The script's evidence as JSON: `Null`, or an object.
    pub evidence: Value,
}

impl Verdict {
    /// No level, no message, no evidence.
    pub fn none() -> Verdict {
        Verdict {
            level: None,
            message: String::new(),
            evidence: Value::Null,
        }
    }
}

/// Reads a script's return value; `Err` says what was wrong, for a bad-return fault.
pub(crate) fn read(value: Dynamic) -> Result<Verdict, String> {
    let value = value.flatten();
    if value.is_unit() {
        return Ok(Verdict::none());
    }
    if let Ok(name) = value.as_immutable_string_ref() {
        return Ok(Verdict {
            level: level(&name)?,
            ..Verdict::none()
        });
    }
    if value.is_map() {
        let map = value.cast::<Map>();
        return from_map(map);
    }
    Err(format!(
        "returned a value of type {}; return (), a level name (\"blue\" .. \"red\" or \"none\") \
         or #{{level: .., message: .., evidence: #{{..}}}}",
        value.type_name()
    ))
}

fn from_map(map: Map) -> Result<Verdict, String> {
    let mut verdict = Verdict::none();
    let mut has_level = false;
    for (key, value) in map {
        let value = value.flatten();
        match key.as_str() {
            "level" => {
                has_level = true;
                verdict.level = if value.is_unit() {
                    None
                } else {
                    let name = value.into_immutable_string().map_err(|t| {
                        format!("`level` is of type {t}; give a level name such as \"orange\"")
                    })?;
                    level(&name)?
                };
            }
            "message" => {
                verdict.message = if value.is_unit() {
                    String::new()
                } else {
                    value
                        .into_immutable_string()
                        .map_err(|t| format!("`message` is of type {t}; give a string"))?
                        .to_string()
                };
            }
            "evidence" => {
                verdict.evidence = match to_json(&value) {
                    evidence @ (Value::Null | Value::Object(_)) => evidence,
                    _ => {
                        return Err(format!(
                            "`evidence` is of type {}; give a map such as #{{mean: m}}",
                            value.type_name()
                        ));
                    }
                };
            }
            other => {
                return Err(format!(
                    "unknown key `{other}` in the returned map; use `level`, `message`, `evidence`"
                ));
            }
        }
    }
    if has_level {
        Ok(verdict)
    } else {
        Err("the returned map has no `level`; add `level: \"orange\"` (or `()` for none)".into())
    }
}

/// A level name, or `None` for `"none"`.
fn level(name: &str) -> Result<Option<Level>, String> {
    match name {
        "none" => Ok(None),
        _ => Level::parse(name).map(Some).ok_or_else(|| {
            format!("unknown level \"{name}\"; use \"blue\", \"yellow\", \"orange\", \"red\" or \"none\"")
        }),
    }
}

/// A script value as JSON: numbers, strings, booleans, arrays and maps as themselves, `()` and
/// non-finite numbers as `null`, a window as its summary, a context record as an object,
/// anything else as its text.
pub(crate) fn to_json(value: &Dynamic) -> Value {
    if value.is_shared() {
        return to_json(&value.flatten_clone());
    }
    if value.is_unit() {
        return Value::Null;
    }
    if let Ok(b) = value.as_bool() {
        return Value::Bool(b);
    }
    if let Ok(i) = value.as_int() {
        return Value::from(i);
    }
    if let Ok(f) = value.as_float() {
        return serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
    }
    if let Ok(s) = value.as_immutable_string_ref() {
        return Value::String(s.to_string());
    }
    if let Ok(c) = value.as_char() {
        return Value::String(c.to_string());
    }
    if let Some(array) = value.read_lock::<rhai::Array>() {
        return Value::Array(array.iter().map(to_json).collect());
    }
    if let Some(map) = value.read_lock::<Map>() {
        return Value::Object(
            map.iter()
                .map(|(k, v)| (k.to_string(), to_json(v)))
                .collect(),
        );
    }
    if let Some(window) = value.read_lock::<Window>() {
        return window_json(&window);
    }
    if let Some(record) = value.read_lock::<Record>() {
        return to_json(&Dynamic::from_map(record.to_map()));
    }
    Value::String(value.to_string())
}

/// A window as `{count, mean, min, max, first, last}`.
fn window_json(window: &Window) -> Value {
    let number = |v: Option<f64>| {
        v.and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    };
    serde_json::json!({
        "count": window.count,
        "mean": number(window.mean()),
        "min": number(window.min()),
        "max": number(window.max()),
        "first": number(window.first()),
        "last": number(window.last()),
    })
}
