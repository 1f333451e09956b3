//! Every limit of the sandbox, hit by a script, becomes the right fault with the rule id and the
//! position; the host keeps working afterwards.

use std::time::Duration;

use super::fixture::*;
use crate::model::Level;
use crate::script::{Limits, ScriptFaultKind, ScriptHost, compile};

/// A second rule that always answers "blue", run after a fault to show the host still works.
const HEALTHY: &str = "\"blue\"";

fn host_and_healthy(text: &str, limits: Limits) -> ScriptHost {
    host_with(
        vec![
            script_rule("gas.bad", text),
            script_rule("gas.good", HEALTHY),
        ],
        limits,
    )
}

/// Default limits with a time budget that cannot interfere: a debug build under load may take
/// longer than 10 ms for 50,000 operations, and each test must hit the limit it is about.
fn patient() -> Limits {
    Limits {
        time_budget: Duration::from_secs(30),
        ..Limits::default()
    }
}

/// Runs the bad rule (`gas.bad` sorts first), checks the fault, then both rules again.
fn expect_fault(
    text: &str,
    limits: Limits,
    kind: ScriptFaultKind,
    line: usize,
    column: usize,
) -> String {
    let mut host = host_and_healthy(text, limits);
    let fault = fault_of(&mut host);
    assert_eq!(fault.kind, kind, "{fault}");
    assert_eq!(fault.rule.as_str(), "gas.bad");
    assert_eq!(fault.file, "rules/gas/gas.bad.rhai");
    assert_eq!((fault.line, fault.column), (line, column), "{fault}");
    let good = host.run(1, S1, &reading(S1, 1, 1.0)).unwrap();
    assert_eq!(
        good.level,
        Some(Level::Blue),
        "the host works after a fault"
    );
    let again = host.run(0, S1, &reading(S1, 2, 1.0)).unwrap_err();
    assert_eq!(again.kind, kind, "the same script fails the same way again");
    fault.to_string()
}

#[test]
fn an_endless_loop_runs_out_of_operations() {
    let shown = expect_fault(
        "let n = 0;\nloop {\n    n += 1;\n}\n",
        patient(),
        ScriptFaultKind::Operations,
        3,
        5,
    );
    assert_eq!(
        shown,
        "rules/gas/gas.bad.rhai:3:5: script `gas.bad` stopped: too many operations (limit 50000)"
    );
}

#[test]
fn an_endless_loop_without_an_operation_limit_runs_out_of_time() {
    let limits = Limits {
        max_operations: 0,
        time_budget: Duration::from_millis(5),
        ..Limits::default()
    };
    let shown = expect_fault("loop { }", limits, ScriptFaultKind::TimeBudget, 1, 6);
    assert!(
        shown.ends_with("stopped: time budget exceeded (limit 5 ms)"),
        "{shown}"
    );
}

#[test]
fn large_window_scans_are_watched_by_the_time_budget() {
    let limits = Limits {
        max_operations: 0,
        time_budget: Duration::from_millis(2),
        ..Limits::default()
    };
    let mut host = host_with(
        vec![script_rule(
            "gas.scan",
            "let n = 0;\nloop {\n    n += window(\"gas.ch4_adjacent\", \"1h\").percentile(50);\n}",
        )],
        limits,
    );
    // 3,000 samples a second apart: each scan is well over the large-scan threshold.
    for second in 0..3000 {
        host.observe(S1, metric_ix(CH4), T0 + second * 1000, second as f64);
    }
    let reading = crate::model::Reading {
        ts: crate::model::Timestamp(T0 + 2999 * 1000),
        ..reading(S1, 0, 1.0)
    };
    let fault = host.run(0, S1, &reading).unwrap_err();
    assert_eq!(fault.kind, ScriptFaultKind::TimeBudget, "{fault}");
    assert_eq!(fault.line, 3, "{fault}");
}

#[test]
fn unbounded_recursion_hits_the_call_depth() {
    let shown = expect_fault(
        "fn down(n) {\n    down(n + 1)\n}\ndown(0)",
        patient(),
        ScriptFaultKind::CallDepth,
        4,
        1,
    );
    assert!(
        shown.ends_with("functions nested too deeply (limit 16 calls)"),
        "{shown}"
    );
}

#[test]
fn a_doubling_string_hits_the_string_limit() {
    let shown = expect_fault(
        "let s = \"leak\";\nloop { s += s; }",
        patient(),
        ScriptFaultKind::StringSize,
        2,
        10,
    );
    assert!(
        shown.ends_with("string too long (limit 4096 bytes)"),
        "{shown}"
    );
}

#[test]
fn a_growing_array_hits_the_array_limit() {
    let shown = expect_fault(
        "let a = [];\nloop { a.push(1); }",
        patient(),
        ScriptFaultKind::ArraySize,
        2,
        10,
    );
    assert!(
        shown.ends_with("array too large (limit 1024 items)"),
        "{shown}"
    );
}

#[test]
fn a_growing_map_hits_the_map_limit() {
    let shown = expect_fault(
        "let m = #{};\nlet i = 0;\nloop { m += #{}; m[`k${i}`] = i; i += 1; }",
        patient(),
        ScriptFaultKind::MapSize,
        3,
        10,
    );
    assert!(
        shown.ends_with("map too large (limit 256 properties)"),
        "{shown}"
    );
    // Rhai measures a map grown by index assignment when it next reaches a function; until
    // then the operation limit is what bounds it.
    expect_fault(
        "let m = #{};\nfor i in 0..1000 { m[`k${i}`] = i; }\nm.len()",
        patient(),
        ScriptFaultKind::MapSize,
        3,
        3,
    );
    expect_fault(
        "let m = #{};\nlet i = 0;\nloop { m[`k${i}`] = i; i += 1; }",
        patient(),
        ScriptFaultKind::Operations,
        3,
        10,
    );
}

#[test]
fn a_deep_expression_does_not_compile() {
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    let error = compile("deep.rhai", &deep).unwrap_err();
    assert_eq!(error.message, "expression nested too deeply");
    assert_eq!(error.line, 1);
    let inside = format!("fn f() {{ {}1{} }}", "(".repeat(40), ")".repeat(40));
    assert!(
        compile("deep.rhai", &inside).is_err(),
        "functions have a lower limit"
    );
    let fine = format!("{}1{}", "(".repeat(20), ")".repeat(20));
    assert!(compile("deep.rhai", &fine).is_ok());
}

#[test]
fn a_type_error_is_reported_with_its_position() {
    let shown = expect_fault(
        "let m = 1.0;\nlet x = \"a\" - m;\nx",
        patient(),
        ScriptFaultKind::TypeError,
        2,
        13,
    );
    assert!(
        shown.contains("Function not found: - (&str | ImmutableString | String, f64)"),
        "{shown}"
    );
}

#[test]
fn an_unknown_function_is_a_type_error() {
    expect_fault(
        "\n  flame(value)",
        patient(),
        ScriptFaultKind::TypeError,
        2,
        3,
    );
}

#[test]
fn an_error_inside_a_function_points_into_it() {
    let shown = expect_fault(
        "fn half(x) {\n    x / 0\n}\nhalf(4)",
        patient(),
        ScriptFaultKind::Runtime,
        2,
        7,
    );
    assert!(
        shown.contains("Division by zero") && shown.contains("(in function `half`)"),
        "{shown}"
    );
}

#[test]
fn a_bad_return_names_what_came_back() {
    for (text, says, line) in [
        ("42", "returned a value of type i64", 1),
        (
            "let x = 1;\n\"purple\"\n// done\n",
            "unknown level \"purple\"",
            2,
        ),
        ("#{levle: \"red\"}", "unknown key `levle`", 1),
        ("#{message: \"hi\"}", "has no `level`", 1),
        (
            "#{level: \"red\", evidence: 3}",
            "`evidence` is of type i64",
            1,
        ),
        ("#{level: 2}", "`level` is of type i64", 1),
    ] {
        let mut host = host(text);
        let fault = fault_of(&mut host);
        assert_eq!(fault.kind, ScriptFaultKind::BadReturn, "{text}: {fault}");
        assert!(fault.message.contains(says), "{text}: {fault}");
        assert_eq!(fault.line, line, "{text}: {fault}");
    }
}

#[test]
fn undefined_variables_do_not_compile() {
    let error = compile("x.rhai", "let a = 1;\nif valeu > 2 { \"red\" }").unwrap_err();
    assert_eq!((error.line, error.column), (2, 4));
    assert!(
        error.message.starts_with("undefined variable `valeu`"),
        "{}",
        error.message
    );
    // The context names are known; functions see only their parameters.
    assert!(compile("x.rhai", "value + ts").is_ok());
    // Inside a function the context names pass the compiler but are not there at run time.
    let mut host = host("fn f() {\n    value\n}\nf()");
    let fault = fault_of(&mut host);
    assert_eq!(
        (fault.kind, fault.line, fault.column),
        (ScriptFaultKind::Runtime, 2, 5)
    );
    assert!(
        fault
            .message
            .contains("Variable not found: value (in function `f`)"),
        "{fault}"
    );
}

#[test]
fn eval_is_refused() {
    let error = compile("x.rhai", "let x = 1;\n  eval(\"1\")").unwrap_err();
    assert_eq!((error.line, error.column), (2, 3));
    assert_eq!(error.message, "`eval` is disabled in rule scripts");
    // Nor can it be reached through a function pointer.
    let mut host = host("Fn(\"eval\").call(\"1\")");
    assert_eq!(fault_of(&mut host).kind, ScriptFaultKind::Runtime);
}

#[test]
fn import_is_refused_when_compiling() {
    let error = compile("x.rhai", "// helpers\nimport \"x\" as y;\n\"red\"").unwrap_err();
    assert_eq!((error.line, error.column), (2, 1));
    assert!(
        error.message.contains("cannot load modules"),
        "{}",
        error.message
    );
}

#[test]
fn no_sleeping_no_clock_no_exit() {
    for text in [
        "sleep(1)",
        "sleep(0.5)",
        "timestamp()",
        "exit(1)",
        "parse_json(\"{}\")",
    ] {
        let mut host = host(text);
        assert_eq!(
            fault_of(&mut host).kind,
            ScriptFaultKind::TypeError,
            "{text}"
        );
    }
}

#[test]
fn the_context_cannot_be_changed() {
    for (text, kind, says) in [
        (
            "value = 3.0;",
            ScriptFaultKind::Runtime,
            "Cannot modify constant value",
        ),
        (
            "asset.name = \"x\";",
            ScriptFaultKind::Runtime,
            "Cannot modify property 'name' of constant",
        ),
        (
            "asset.attributes.maop = 9.0;",
            ScriptFaultKind::Runtime,
            "property 'attributes' of constant",
        ),
        (
            "let a = asset; a[\"id\"] = \"x\";",
            ScriptFaultKind::Runtime,
            "`asset.id` cannot",
        ),
        (
            "sensor.clear();",
            ScriptFaultKind::TypeError,
            "Function not found: clear (Record)",
        ),
    ] {
        let mut host = host(text);
        let fault = step(&mut host, 0, 1.0).unwrap_err();
        assert_eq!(fault.kind, kind, "{text}: {fault}");
        assert!(fault.message.contains(says), "{text}: {fault}");
    }
    // A copy of the attributes can be changed; the next call sees the original again.
    let mut host = host(
        "let b = asset.attributes; b.maop = 1.0;\n\
         fn bump(x) { x.maop += 1.0; x }\nlet c = bump(asset.attributes);\n\
         #{level: (), message: `${b.maop} ${c.maop} ${asset.attributes.maop}`}",
    );
    for minute in 0..2 {
        let verdict = step(&mut host, minute, 1.0).unwrap();
        assert_eq!(verdict.message, "1.0 1.4 0.4");
    }
}

#[test]
fn a_closure_over_the_context_does_not_break_the_next_call() {
    let mut host = host(
        "let f = || value + asset.attributes.maop;\n#{level: (), message: `${f.call()} ${metric}`}",
    );
    for minute in 0..3 {
        let verdict = step(&mut host, minute, minute as f64).unwrap();
        assert_eq!(
            verdict.message,
            format!("{} gas.ch4_adjacent", minute as f64 + 0.4)
        );
    }
}
