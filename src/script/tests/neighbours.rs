//! Reading coupled assets: `neighbours()`, `window_of` and `latest` through the coupling graph
//! (`pipe-1` is adjacent to `well-1`; `well-2` is connected to nothing).

use serde_json::json;

use super::fixture::*;
use crate::model::{Level, SensorIx};
use crate::script::{Limits, ScriptFaultKind, ScriptHost};

fn neighbour_host(text: &str) -> ScriptHost {
    host_with(
        vec![with_neighbours(script_rule("gas.coupled", text))],
        Limits::default(),
    )
}

#[test]
fn neighbours_lists_the_coupled_assets() {
    let mut host = neighbour_host("#{level: (), evidence: #{n: neighbours()}}");
    assert_eq!(
        verdict_of(&mut host).evidence,
        json!({"n": [{"asset": "pipe-1", "kind": "pipe_segment", "domain": "city_gas",
                      "relation": "adjacent_to", "hops": 1}]})
    );
    // The list is the script's own copy.
    let mut copies = neighbour_host(
        "let n = neighbours(); n.push(1); n[0].asset = \"x\"; #{level: (), evidence: #{n: n.len()}}",
    );
    for minute in 0..2 {
        assert_eq!(
            step(&mut copies, minute, 1.0).unwrap().evidence,
            json!({"n": 2})
        );
    }
    // well-2 has no neighbours.
    feed(&mut host, S3, CH4, 0, 1.0);
    let alone = host.run(0, S3, &reading(S3, 0, 1.0)).unwrap();
    assert_eq!(alone.evidence, json!({"n": []}));
}

#[test]
fn a_neighbour_is_watched_and_its_window_and_latest_value_are_read() {
    let mut host = neighbour_host(
        "let p = window_of(\"pipe-1\", \"gas.pressure\", \"10m\");\n\
         let now = latest(\"pipe-1\", \"gas.pressure\");\n\
         if p.delta() <= -0.1 && value >= 10.0 { #{level: \"red\", evidence: #{drop: p.delta(), now: now}} }",
    );
    assert!(
        host.watches(S2, metric_ix(PRESSURE)),
        "the neighbour's metrics are watched"
    );
    assert!(
        host.rules_for(S2, metric_ix(CH4)).is_empty(),
        "the rule does not run on it"
    );
    for (minute, pressure) in [(0, 0.40), (4, 0.35), (8, 0.25), (30, 0.9)] {
        feed(&mut host, S2, PRESSURE, minute, pressure);
    }
    let verdict = step(&mut host, 9, 12.0).unwrap();
    assert_eq!(verdict.level, Some(Level::Red));
    let drop = verdict.evidence["drop"].as_f64().unwrap();
    assert!((drop + 0.15).abs() < 1e-9, "{drop}");
    assert_eq!(
        verdict.evidence["now"],
        json!(0.25),
        "latest is at or before the reading"
    );
}

#[test]
fn latest_is_unit_when_the_neighbour_has_said_nothing() {
    let mut host = neighbour_host(
        "#{level: (), evidence: #{now: latest(\"pipe-1\", \"gas.ch4_adjacent\") ?? -1.0}}",
    );
    assert_eq!(verdict_of(&mut host).evidence, json!({"now": -1.0}));
}

#[test]
fn an_asset_that_is_not_a_neighbour_is_named_in_the_fault() {
    for text in [
        "window_of(\"well-2\", \"gas.pressure\", \"10m\")",
        "latest(\"well-2\", \"gas.pressure\")",
        "latest(\"nowhere\", \"gas.pressure\")",
    ] {
        let mut host = neighbour_host(text);
        let fault = fault_of(&mut host);
        assert_eq!(fault.kind, ScriptFaultKind::Runtime, "{text}");
        assert!(
            fault.message.contains(
                "is not a neighbour of `well-1` under this rule's neighbours \
                                    (adjacent_to within 1 hop)"
            ),
            "{fault}"
        );
    }
}

#[test]
fn a_neighbour_window_is_bounded_by_the_lookback_too() {
    let mut host = neighbour_host("window_of(\"pipe-1\", \"gas.pressure\", \"3h\")");
    assert!(
        fault_of(&mut host)
            .message
            .contains("longer than the rule's lookback")
    );
}

#[test]
fn a_rule_with_neighbours_refuses_a_sensor_it_does_not_apply_to() {
    let mut host = neighbour_host("()");
    let fault = host.run(0, S2, &reading(SensorIx(1), 0, 1.0)).unwrap_err();
    assert!(
        fault.message.contains("does not apply to sensor `s2`"),
        "{fault}"
    );
}
