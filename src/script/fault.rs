//! What becomes of a script that fails: a [`ScriptFault`] naming the rule, the position in the
//! script file and a stable kind (a `/metrics` label). Rhai's errors are mapped here, and only
//! here, so the rest of Tocsin never sees `EvalAltResult`.

use std::fmt;

use rhai::{EvalAltResult, Position};

use super::Limits;
use super::budget::TIME_BUDGET_TOKEN;
use crate::model::RuleId;

/// Why a script was stopped. The codes of [`ScriptFaultKind::as_str`] are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScriptFaultKind {
    /// More operations than [`Limits::max_operations`] (an endless or very long loop).
    Operations,
    /// Script functions nested deeper than [`Limits::max_call_depth`] (runaway recursion).
    CallDepth,
    /// An expression nested deeper than the limits (only possible for code parsed at run time,
    /// such as a function pointer's name; scripts themselves are checked when compiled).
    ExpressionDepth,
    /// A string longer than [`Limits::max_string_size`].
    StringSize,
    /// An array larger than [`Limits::max_array_size`].
    ArraySize,
    /// An object map larger than [`Limits::max_map_size`].
    MapSize,
    /// The call ran longer than [`Limits::time_budget`].
    TimeBudget,
    /// A value of the wrong type: no function for these argument types, a property of a
    /// non-map, a mismatched operand.
    TypeError,
    /// Any other failure at run time (a bad window duration, an unknown metric, a division by
    /// zero, an index out of bounds, a write to a constant).
    Runtime,
    /// The script returned something that is not `()`, a level name or a verdict map.
    BadReturn,
}

impl ScriptFaultKind {
    /// Every kind, so counters can be registered before the first fault.
    pub const ALL: [ScriptFaultKind; 10] = [
        ScriptFaultKind::Operations,
        ScriptFaultKind::CallDepth,
        ScriptFaultKind::ExpressionDepth,
        ScriptFaultKind::StringSize,
        ScriptFaultKind::ArraySize,
        ScriptFaultKind::MapSize,
        ScriptFaultKind::TimeBudget,
        ScriptFaultKind::TypeError,
        ScriptFaultKind::Runtime,
        ScriptFaultKind::BadReturn,
    ];

    /// The stable snake_case code, used as a `/metrics` label.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScriptFaultKind::Operations => "operations",
            ScriptFaultKind::CallDepth => "call_depth",
            ScriptFaultKind::ExpressionDepth => "expression_depth",
            ScriptFaultKind::StringSize => "string_size",
            ScriptFaultKind::ArraySize => "array_size",
            ScriptFaultKind::MapSize => "map_size",
            ScriptFaultKind::TimeBudget => "time_budget",
            ScriptFaultKind::TypeError => "type_error",
            ScriptFaultKind::Runtime => "runtime",
            ScriptFaultKind::BadReturn => "bad_return",
        }
    }
}

impl fmt::Display for ScriptFaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A script stopped for one reading. Displays as
/// `rules/gas/leak.rhai:3:9: script `gas.leak_trend` stopped: too many operations (limit 100000)`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: script `{rule}` stopped: {message}")]
pub struct ScriptFault {
    /// The rule whose script failed.
    pub rule: RuleId,
    /// The script file, as shown in diagnostics.
    pub file: String,
    /// Line of the failing expression (1-based; 0 when Rhai gave none).
    pub line: usize,
    /// Column of the failing expression (1-based; 0 when Rhai gave none).
    pub column: usize,
    /// Why it stopped.
    pub kind: ScriptFaultKind,
    /// What happened, for the rule author.
    pub message: String,
}

/// The kind, message and position of a Rhai error. Errors inside script-defined functions are
/// unwrapped to the innermost one (same file), and the function is named in the message.
pub(crate) fn classify(
    error: &EvalAltResult,
    limits: &Limits,
) -> (ScriptFaultKind, String, Position) {
    let mut functions = Vec::new();
    let mut inner = error;
    while let EvalAltResult::ErrorInFunctionCall(name, _, nested, _) = inner {
        functions.push(name.as_str());
        inner = nested;
    }
    let (kind, mut message) = describe(inner, limits);
    if !functions.is_empty() {
        message.push_str(&format!(" (in function `{}`)", functions.join("` <- `")));
    }
    let mut position = inner.position();
    if position.is_none() {
        position = error.position();
    }
    (kind, message, position)
}

fn describe(error: &EvalAltResult, limits: &Limits) -> (ScriptFaultKind, String) {
    use EvalAltResult as E;
    use ScriptFaultKind as K;
    match error {
        E::ErrorTooManyOperations(_) => (
            K::Operations,
            format!("too many operations (limit {})", limits.max_operations),
        ),
        E::ErrorStackOverflow(_) => (
            K::CallDepth,
            format!(
                "functions nested too deeply (limit {} calls)",
                limits.max_call_depth
            ),
        ),
        E::ErrorDataTooLarge(what, _) => data_too_large(what, limits),
        E::ErrorTerminated(token, _) if token.to_string() == TIME_BUDGET_TOKEN => (
            K::TimeBudget,
            format!(
                "time budget exceeded (limit {} ms)",
                limits.time_budget.as_millis()
            ),
        ),
        E::ErrorParsing(rhai::ParseErrorType::ExprTooDeep, _) => (
            K::ExpressionDepth,
            format!(
                "expression nested too deeply (limit {})",
                limits.max_expr_depth
            ),
        ),
        E::ErrorRuntime(token, _) => (K::Runtime, token.to_string()),
        E::ErrorFunctionNotFound(..)
        | E::ErrorMismatchDataType(..)
        | E::ErrorMismatchOutputType(..)
        | E::ErrorIndexingType(..)
        | E::ErrorFor(..)
        | E::ErrorDotExpr(..)
        | E::ErrorUnboundThis(..) => (K::TypeError, without_position(error)),
        other => (K::Runtime, without_position(other)),
    }
}

fn data_too_large(what: &str, limits: &Limits) -> (ScriptFaultKind, String) {
    if what.contains("string") {
        (
            ScriptFaultKind::StringSize,
            format!("string too long (limit {} bytes)", limits.max_string_size),
        )
    } else if what.contains("map") {
        (
            ScriptFaultKind::MapSize,
            format!("map too large (limit {} properties)", limits.max_map_size),
        )
    } else {
        (
            ScriptFaultKind::ArraySize,
            format!("array too large (limit {} items)", limits.max_array_size),
        )
    }
}

/// Rhai's message without its `(line x, position y)` suffix (the fault carries the position).
fn without_position(error: &EvalAltResult) -> String {
    let text = error.to_string();
    match text.rfind(" (line ") {
        Some(at) if text.ends_with(')') => text[..at].to_owned(),
        _ => text,
    }
}
