//! Robustness of the Rhai side (bounded, fixed case counts; proptest, as cargo-fuzz needs a
//! nightly toolchain): compiling arbitrary text and mutations of the shipped rule scripts never
//! panics, and a script that does not compile comes back from the loader as a coded
//! `script_syntax` diagnostic naming the script's file; running random valid programs in the
//! sandbox always ends, within its limits (operations, string, array and map sizes), with a value
//! or a sandbox error - never a panic, never a string or array larger than the limits allow.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on a broken fixture"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
use rhai::{Dynamic, EvalAltResult, Scope};
use tocsin::config::Code;
use tocsin::script::{Limits, compile, sandbox};

/// The shipped rule scripts, with their text.
fn shipped_scripts() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut scripts: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rhai"))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 3, "the shipped scripts are gone");
    scripts
}

/// Rhai-significant noise to insert into a script.
fn noise() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("#{".to_owned()),
        Just("`${".to_owned()),
        Just("\"".to_owned()),
        Just("//".to_owned()),
        Just("/*".to_owned()),
        Just("loop { }".to_owned()),
        Just("eval(\"1\")".to_owned()),
        Just("import \"x\" as y;".to_owned()),
        Just("fn f(x) { f(x) }".to_owned()),
        Just("undefined_name".to_owned()),
        Just("let let".to_owned()),
        Just("\u{0}".to_owned()),
        Just("é漢\u{10000}".to_owned()),
        (1usize..200).prop_map(|n| "(".repeat(n)),
        (1usize..200).prop_map(|n| "[".repeat(n)),
        "\\PC{0,12}",
    ]
}

/// A mutation of a script: cut a byte range or insert noise (both at char boundaries).
#[derive(Clone, Debug)]
enum Mutation {
    Cut { at: usize, len: usize },
    Insert { at: usize, noise: String },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (any::<usize>(), noise()).prop_map(|(at, noise)| Mutation::Insert { at, noise }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutation: &Mutation) -> String {
    match mutation {
        Mutation::Cut { at, len } => {
            let start = boundary(text, *at);
            let end = boundary(text, (start + len).min(text.len()));
            format!("{}{}", &text[..start], &text[end.max(start)..])
        }
        Mutation::Insert { at, noise } => {
            let at = boundary(text, *at);
            format!("{}{noise}{}", &text[..at], &text[at..])
        }
    }
}

/// Compiles `text`; a refusal must point into the text and say something.
fn judge_compile(text: &str) -> Result<(), TestCaseError> {
    if let Err(error) = compile("rules/fuzz.rhai", text) {
        prop_assert!(!error.message.is_empty(), "an empty message for {text:?}");
        let lines = text.split('\n').count();
        prop_assert!(
            error.line <= lines + 1,
            "line {} of a {lines}-line script: {error}",
            error.line
        );
    }
    Ok(())
}

/// The example deployment with one extra script rule whose script is `script`.
fn deployment_with_script(script: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    for path in [
        "tocsin.yaml",
        "city/assets.yaml",
        "city/departments.yaml",
        "city/districts.yaml",
        "city/sensors.yaml",
        "city/sensors.csv",
    ] {
        write(
            dir.path(),
            path,
            &std::fs::read_to_string(example.join(path)).unwrap(),
        );
    }
    write(
        dir.path(),
        "rules/fuzz.yaml",
        "version: 1\nrules:\n  - id: gas.fuzz\n    domain: city_gas\n    metric: gas.ch4_adjacent\n    \
         hazard: gas_leak\n    description: fuzzed script\n    script:\n      file: fuzz.rhai\n      \
         lookback: 5m\n",
    );
    write(dir.path(), "rules/fuzz.rhai", script);
    dir
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// A random valid program: loops, recursion, growing strings, arrays and maps.
fn program() -> impl Strategy<Value = String> {
    let statement = prop_oneof![
        (1i64..1_000_000).prop_map(|n| format!("let i = 0; while i < {n} {{ i += 1; }}")),
        Just("loop { }".to_owned()),
        (1u32..40).prop_map(|n| format!("let s = \"ab\"; for _ in 0..{n} {{ s += s; }}")),
        (1u32..40).prop_map(|n| format!("let a = [1]; for _ in 0..{n} {{ a += a; }}")),
        (1u32..5000).prop_map(|n| format!(
            "let m = #{{}}; for k in 0..{n} {{ m[`k${{k}}`] = k; }} m.len();"
        )),
        (1u32..100).prop_map(|n| format!(
            "fn r(x) {{ if x == 0 {{ 0 }} else {{ 1 + r(x - 1) }} }} r({n});"
        )),
        Just("let x = value * 2.0 + ts;".to_owned()),
        Just("let y = `${sensor}/${metric}`; y.len();".to_owned()),
        (0i64..100).prop_map(|n| format!("let z = 10 / {n};")),
        Just("let w = [1, 2, 3]; w[10];".to_owned()),
        Just("throw \"stop\";".to_owned()),
    ];
    prop::collection::vec(statement, 1..5).prop_map(|lines| lines.join("\n"))
}

/// What a run may end in: a value, or one of the sandbox's (or the language's) errors.
fn judge_run(text: &str, limits: &Limits) -> Result<(), TestCaseError> {
    let ast = match compile("rules/fuzz.rhai", text) {
        Ok(ast) => ast,
        // A generated program may exceed a compile-time limit (expression depth); that is a
        // refusal, not a run.
        Err(error) => {
            prop_assert!(!error.message.is_empty());
            return Ok(());
        }
    };
    let engine = sandbox(limits);
    let mut scope = Scope::new();
    scope.push_dynamic("value", Dynamic::from(12.5_f64));
    scope.push_dynamic("ts", Dynamic::from(1_795_910_400_000_i64));
    scope.push_dynamic("metric", Dynamic::from("gas.ch4_adjacent"));
    scope.push_dynamic("sensor", Dynamic::from("gas-ch4-0001"));
    scope.push_dynamic("asset", Dynamic::from("well-0001"));
    scope.push_dynamic("district", Dynamic::from("210102"));
    match engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast) {
        Ok(value) => {
            if let Ok(text) = value.clone().into_immutable_string() {
                prop_assert!(text.len() <= limits.max_string_size);
            }
            if value.is_array() {
                prop_assert!(value.into_array().unwrap().len() <= limits.max_array_size);
            }
        }
        Err(error) => {
            let known = matches!(
                *error,
                EvalAltResult::ErrorTooManyOperations(_)
                    | EvalAltResult::ErrorDataTooLarge(..)
                    | EvalAltResult::ErrorStackOverflow(_)
                    | EvalAltResult::ErrorTerminated(..)
                    | EvalAltResult::ErrorArithmetic(..)
                    | EvalAltResult::ErrorArrayBounds(..)
                    | EvalAltResult::ErrorRuntime(..)
                    | EvalAltResult::ErrorTooManyVariables(_)
                    | EvalAltResult::ErrorInFunctionCall(..)
            );
            prop_assert!(known, "unexpected error from {text:?}: {error:?}");
        }
    }
    // Every variable the script left is within the limits too.
    for (_, _, value) in scope.iter_raw() {
        if let Ok(text) = value.clone().into_immutable_string() {
            prop_assert!(text.len() <= limits.max_string_size, "{text:?}");
        }
        if value.is_array() {
            prop_assert!(value.clone().into_array().unwrap().len() <= limits.max_array_size);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_compiles_or_is_refused_with_a_position(text in "\\PC{0,300}") {
        judge_compile(&text)?;
    }

    #[test]
    fn mutated_shipped_scripts_compile_or_are_refused_with_a_position(
        script in 0usize..3,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let scripts = shipped_scripts();
        let mut text = scripts[script % scripts.len()].clone();
        for mutation in &mutations {
            text = apply(&text, mutation);
        }
        judge_compile(&text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_stay_within_the_sandbox(text in program()) {
        // The time budget is generous so each run ends on a deterministic limit; that every
        // run ends at all is the property (an endless loop would hang the test).
        let limits = Limits { time_budget: Duration::from_secs(30), ..Limits::default() };
        judge_run(&text, &limits)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_loader_answers_a_broken_script_with_a_coded_diagnostic(
        script in 0usize..3,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let scripts = shipped_scripts();
        let mut text = scripts[script % scripts.len()].clone();
        for mutation in &mutations {
            text = apply(&text, mutation);
        }
        let compiles = compile("rules/fuzz.rhai", &text).is_ok();
        let dir = deployment_with_script(&text);
        match tocsin::compile::load(Some(dir.path())) {
            Ok(_) => prop_assert!(compiles, "a script that does not compile was accepted"),
            Err(diagnostics) => {
                for diagnostic in &diagnostics {
                    prop_assert!(Code::ALL.contains(&diagnostic.code));
                    prop_assert!(!diagnostic.message.is_empty());
                }
                if !compiles {
                    let found = diagnostics.iter().any(|d| {
                        d.code == Code::ScriptSyntax && d.file.ends_with("rules/fuzz.rhai")
                    });
                    prop_assert!(found, "no script_syntax for rules/fuzz.rhai: {diagnostics:?}");
                }
            }
        }
    }
}

#[test]
fn the_deployment_accepts_the_unmutated_script() {
    for script in shipped_scripts() {
        let dir = deployment_with_script(&script);
        if let Err(diagnostics) = tocsin::compile::load(Some(dir.path())) {
            panic!("{diagnostics:?}");
        }
    }
}
