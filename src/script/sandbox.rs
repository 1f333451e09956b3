//! The hardened engine factory and script compilation. The engine starts from
//! `Engine::new_raw()` and gets only the packages a rule needs: arithmetic, logic, strings,
//! iterators, function pointers, math, arrays and maps. Left out on purpose: the language-core
//! package (`sleep`, `exit`, `parse_json`), time (`timestamp()` would make replay depend on the
//! wall clock), blobs and bit fields. `eval` is disabled, strict variables are on, the crate is
//! built with `no_module` (so `import` is a reserved word) and without `unchecked`.

use std::sync::OnceLock;

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{Dynamic, Engine, Module, OptimizationLevel, ParseErrorType, Scope, Shared};

use super::{Limits, MAX_FUNCTIONS, MAX_VARIABLES, budget};

/// Names a script may read without declaring them: the reading and its context. The host pushes
/// them as constants on every call; the compiler knows their names (strict variables) but not
/// their values, so nothing is folded into the program.
pub(crate) const CONTEXT_NAMES: [&str; 6] =
    ["value", "ts", "metric", "sensor", "asset", "district"];

/// A script that does not compile, with the position of the problem (1-based).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ScriptSyntaxError {
    /// Line in the script file (1-based; 0 when unknown).
    pub line: usize,
    /// Column in that line (1-based; 0 when unknown).
    pub column: usize,
    /// What is wrong, for the rule author.
    pub message: String,
}

/// The packages every sandbox gets, built once per process and shared by every engine.
fn packages() -> &'static [Shared<Module>] {
    static PACKAGES: OnceLock<Vec<Shared<Module>>> = OnceLock::new();
    PACKAGES.get_or_init(|| {
        vec![
            ArithmeticPackage::new().as_shared_module(),
            LogicPackage::new().as_shared_module(),
            BasicStringPackage::new().as_shared_module(),
            MoreStringPackage::new().as_shared_module(),
            BasicIteratorPackage::new().as_shared_module(),
            BasicFnPackage::new().as_shared_module(),
            BasicMathPackage::new().as_shared_module(),
            BasicArrayPackage::new().as_shared_module(),
            BasicMapPackage::new().as_shared_module(),
        ]
    })
}

/// The factory: a Rhai engine with every limit of `limits` set, strict variables, `eval`
/// disabled, no modules, full optimisation, `print`/`debug` routed to `tracing::debug` (target
/// `tocsin::script`) and no I/O. The time budget is watched from `on_progress` (see `budget`):
/// a script over it stops with a fault of kind [`super::ScriptFaultKind::TimeBudget`]. The host
/// registers the script API on top.
pub fn sandbox(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    for package in packages() {
        engine.register_global_module(package.clone());
    }
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(MAX_VARIABLES)
        .set_max_functions(MAX_FUNCTIONS)
        .set_strict_variables(true)
        .set_optimization_level(OptimizationLevel::Full)
        .disable_symbol("eval");
    engine.on_print(|text| tracing::debug!(target: "tocsin::script", "{text}"));
    engine.on_debug(|text, source, pos| {
        tracing::debug!(
            target: "tocsin::script",
            file = source.unwrap_or(""),
            line = pos.line().unwrap_or(0),
            "{text}"
        );
    });
    engine.on_progress(budget::watch(limits.time_budget));
    engine
}

/// The engine [`compile`] parses with: the sandbox with default limits.
fn compiler() -> &'static Engine {
    static COMPILER: OnceLock<Engine> = OnceLock::new();
    COMPILER.get_or_init(|| sandbox(&Limits::default()))
}

/// Parses and optimises a rule script (under the default limits' expression depths). `file`
/// becomes the program's source name; errors carry the line and column in `text`. Undefined
/// variables, `import` and `eval` are refused here, before the script ever runs. The program
/// may be run by any sandbox engine (each [`super::ScriptHost`] has its own).
pub fn compile(file: &str, text: &str) -> Result<rhai::AST, ScriptSyntaxError> {
    let mut scope = Scope::new();
    for name in CONTEXT_NAMES {
        // Plain variables, not constants: the optimiser must not fold placeholder values in.
        scope.push_dynamic(name, Dynamic::UNIT);
    }
    let mut program = compiler()
        .compile_with_scope(&scope, text)
        .map_err(|error| {
            let position = error.position();
            ScriptSyntaxError {
                line: position.line().unwrap_or(0),
                column: position.position().unwrap_or(0),
                message: syntax_message(error.err_type()),
            }
        })?;
    program.set_source(file);
    Ok(program)
}

/// The message for a parse error, reworded where the sandbox is the reason.
fn syntax_message(error: &ParseErrorType) -> String {
    match error {
        ParseErrorType::Reserved(word) if word == "import" || word == "export" => {
            format!("`{word}` is not available: rule scripts cannot load modules")
        }
        ParseErrorType::BadInput(rhai::LexError::ImproperSymbol(symbol, _)) if symbol == "eval" => {
            "`eval` is disabled in rule scripts".to_owned()
        }
        ParseErrorType::VariableUndefined(name) => format!(
            "undefined variable `{name}` (declare it with `let`; the reading is `value`, `ts`, \
             `metric`, `sensor`, `asset`, `district`; functions see only their parameters)"
        ),
        ParseErrorType::ExprTooDeep => "expression nested too deeply".to_owned(),
        other => other.to_string(),
    }
}
