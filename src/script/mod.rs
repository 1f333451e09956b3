//! Rhai scripted rules: one hardened engine factory ([`sandbox`]), compilation with positions
//! ([`compile`]), and the host that runs a rule's compiled script for one reading
//! ([`ScriptHost`]) with the API scripts see: the reading, its sensor, asset and district,
//! rolling windows over this sensor's metrics and over coupled assets, and the neighbours found
//! through the coupling graph.
//!
//! Trade-offs:
//! - **Safety first, then speed.** Every limit Rhai offers is set ([`Limits`]), plus a wall-clock
//!   budget per call checked from `on_progress`; the engine starts from `Engine::new_raw()` with
//!   only the packages a rule needs (no `sleep`, no clock, no `exit`, no I/O, no modules, no
//!   `eval`). A fault becomes a [`ScriptFault`] with the rule id and the position in the script;
//!   the host is ready for the next call.
//! - **Speed by not allocating.** The context records (`sensor`, `asset`, `district`) are built
//!   once per sensor and shared; one `Scope` keeps the six context constants and has their
//!   values replaced in place for each call; window statistics are computed in one pass over a
//!   per-stream `VecDeque`; natives reach the host's tables through one uncontended mutex.
//! - **Event time.** Windows end at the reading's timestamp; nothing reads the wall clock except
//!   the time budget, so `replay` and rule tests are deterministic.
//!
//! The script language for rule authors (scope, functions, return values, limits and the
//! `()`-comparison rules) is documented on [`ScriptHost`] and in `docs/RULES.md`.

use std::time::Duration;

mod api;
mod budget;
mod context;
mod fault;
mod history;
mod host;
mod layout;
pub mod lint;
mod sandbox;
mod verdict;
mod window;

#[cfg(test)]
mod tests;

pub use fault::{ScriptFault, ScriptFaultKind};
pub use host::ScriptHost;
pub use sandbox::{ScriptSyntaxError, compile, sandbox};
pub use verdict::Verdict;

/// Most samples kept per watched stream, whatever the lookback: a stream that floods cannot
/// grow memory without bound (16,384 samples is more than a week at one reading a minute).
pub const MAX_SAMPLES_PER_STREAM: usize = 16_384;

/// Most variables a script may hold at once (the six context constants included).
pub const MAX_VARIABLES: usize = 256;

/// Most functions a script may define.
pub const MAX_FUNCTIONS: usize = 64;

/// The limits of the sandbox. Every field is enforced by Rhai except `time_budget`, which the
/// sandbox checks against a clock every 1,024 operations and after every large window scan. [`Limits::default`] suits rules that
/// look at a few windows and compare; raise a limit per deployment only with a reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Operations (statements, expressions, calls) per call: stops endless loops
    /// deterministically. Default 50,000 (a typical rule uses under 50). `0` means no limit.
    pub max_operations: u64,
    /// Nested calls of script-defined functions: stops unbounded recursion. Default 16.
    pub max_call_depth: usize,
    /// Nesting of expressions at the script's top level, checked when compiling. Default 64.
    pub max_expr_depth: usize,
    /// Nesting of expressions inside functions, checked when compiling. Default 32.
    pub max_function_expr_depth: usize,
    /// Longest string, in bytes. Default 4,096.
    pub max_string_size: usize,
    /// Most items in an array. Default 1,024.
    pub max_array_size: usize,
    /// Most properties in an object map. Default 256. Rhai measures a map grown by index
    /// assignment (`m[k] = v`) only when it next reaches a function or operator, so a loop that
    /// only assigns is stopped by `max_operations` instead.
    pub max_map_size: usize,
    /// Wall-clock time per call; a script over it is stopped. Default 10 ms.
    pub time_budget: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 50_000,
            max_call_depth: 16,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_size: 4096,
            max_array_size: 1024,
            max_map_size: 256,
            time_budget: Duration::from_millis(10),
        }
    }
}
