//! The script API: context constants, windows and their statistics, return values, and which
//! streams the host watches.

use serde_json::json;

use super::fixture::*;
use crate::model::{Level, SensorIx};
use crate::script::{Limits, ScriptFaultKind, Verdict};

#[test]
fn the_context_is_the_reading_its_sensor_asset_and_district() {
    let mut host = host(
        "#{level: \"none\", message: `${value} ${ts} ${metric} ${sensor.id} ${sensor.kind} \
         ${asset.id} ${asset.name} ${asset.kind} ${asset.domain} ${asset.district} \
         ${asset.attributes.maop} ${district.code} ${district.name}`}",
    );
    let verdict = step(&mut host, 2, 7.5).unwrap();
    assert_eq!(
        verdict.message,
        format!(
            "7.5 {} gas.ch4_adjacent s1 adjacent_space well-1 well-1 name adjacent_space \
             city_gas 210102 0.4 210102 和平区",
            T0 + 2 * MIN
        )
    );
}

#[test]
fn context_records_read_like_maps_but_refuse_misspellings() {
    let mut records = host(
        "#{level: (), message: `${asset[\"id\"]} ${\"kind\" in sensor} ${\"code\" in sensor} \
         ${type_of(asset)} ${type_of(asset.attributes)}`, evidence: #{sensor: sensor, district: district}}",
    );
    let verdict = verdict_of(&mut records);
    assert_eq!(verdict.message, "well-1 true false Record map");
    assert_eq!(
        verdict.evidence,
        json!({"sensor": {"id": "s1", "kind": "adjacent_space"},
               "district": {"code": "210102", "name": "和平区"}})
    );
    for (text, says) in [
        (
            "asset.nmae",
            "`asset` has no property `nmae`; it has id, name, kind, domain, district, attributes",
        ),
        (
            "sensor.code",
            "`sensor` has no property `code`; it has id, kind",
        ),
        (
            "district[\"id\"]",
            "`district` has no property `id`; it has code, name",
        ),
    ] {
        let mut host = host(text);
        let fault = fault_of(&mut host);
        assert!(fault.message.contains(says), "{text}: {fault}");
    }
}

#[test]
fn return_values_become_verdicts() {
    let cases = [
        ("()", Verdict::none()),
        ("\"none\"", Verdict::none()),
        (
            "\"red\"",
            Verdict {
                level: Some(Level::Red),
                ..Verdict::none()
            },
        ),
        (
            "#{level: \"orange\", message: \"rising\", evidence: #{mean: 2.5, n: 3, ok: true, \
             tags: [\"a\"], none: ()}}",
            Verdict {
                level: Some(Level::Orange),
                message: "rising".to_owned(),
                evidence: json!({"mean": 2.5, "n": 3, "ok": true, "tags": ["a"], "none": null}),
            },
        ),
        ("#{level: ()}", Verdict::none()),
        ("if value > 100.0 { \"red\" }", Verdict::none()),
    ];
    for (text, expected) in cases {
        let mut host = host(text);
        assert_eq!(verdict_of(&mut host), expected, "{text}");
    }
}

#[test]
fn return_print_and_debug_work_at_the_top_level() {
    let mut host = host(
        "print(`value ${value}`);\ndebug(asset);\nif value < 5.0 {\n    return ();\n}\n\"yellow\"",
    );
    assert_eq!(step(&mut host, 0, 1.0).unwrap(), Verdict::none());
    assert_eq!(step(&mut host, 1, 6.0).unwrap().level, Some(Level::Yellow));
}

#[test]
fn window_statistics_over_the_last_minutes() {
    let mut host = host(
        "let w = window(\"gas.ch4_adjacent\", \"10m\");\n\
         #{level: (), evidence: #{count: w.count(), mean: w.mean(), min: w.min(), max: w.max(), \
         sd: w.stddev(), first: w.first(), last: w.last(), delta: w.delta(), \
         rate: w.rate(\"1m\"), p50: w.percentile(50), p90: w.percentile(90.0), \
         empty: w.is_empty()}}",
    );
    // Minutes 0..=20, value = minute; the 10m window at minute 20 holds minutes 10..=20.
    let mut last = None;
    for minute in 0..=20 {
        last = Some(step(&mut host, minute, minute as f64).unwrap());
    }
    let evidence = last.unwrap().evidence;
    let sd = (110.0_f64 / 11.0).sqrt(); // population sd of 10..=20
    assert_eq!(
        evidence,
        json!({"count": 11, "mean": 15.0, "min": 10.0, "max": 20.0, "sd": sd, "first": 10.0,
               "last": 20.0, "delta": 10.0, "rate": 1.0, "p50": 15.0, "p90": 19.0,
               "empty": false})
    );
}

#[test]
fn an_empty_window_gives_unit_and_comparisons_with_unit_are_false() {
    let mut host = host(
        "let w = window(\"gas.pressure\", \"5m\");\n\
         let m = w.mean();\n\
         #{level: (), evidence: #{count: w.count(), mean: m, rate: w.rate(\"1m\"), \
         p95: w.percentile(95), high: m > 1.0, low: m < 1.0, eq: m == 1.0, ne: m != 1.0, \
         defaulted: m ?? 0.0, empty: w.is_empty()}}",
    );
    let verdict = verdict_of(&mut host);
    assert_eq!(
        verdict.evidence,
        json!({"count": 0, "mean": null, "rate": null, "p95": null, "high": false,
               "low": false, "eq": false, "ne": true, "defaulted": 0.0, "empty": true})
    );
}

#[test]
fn windows_end_at_the_reading_and_other_metrics_of_the_sensor_count() {
    let mut host = host(
        "let p = window(\"gas.pressure\", \"30m\");\n\
         #{level: (), evidence: #{n: p.count(), last: p.last()}}",
    );
    feed(&mut host, S1, PRESSURE, 0, 0.30);
    feed(&mut host, S1, PRESSURE, 5, 0.25);
    // A sample after the reading is not in its window.
    feed(&mut host, S1, PRESSURE, 50, 0.10);
    let verdict = host.run(0, S1, &reading(S1, 10, 1.0)).unwrap();
    assert_eq!(verdict.evidence, json!({"n": 2, "last": 0.25}));
}

#[test]
fn samples_older_than_the_lookback_are_gone() {
    // Lookback is one hour: after two hours of readings a 1h window holds 61 of them.
    let mut host = host(
        "let w = window(\"gas.ch4_adjacent\", \"1h\"); #{level: (), evidence: #{n: w.count()}}",
    );
    let mut last = None;
    for minute in 0..=120 {
        last = Some(step(&mut host, minute, 1.0).unwrap());
    }
    assert_eq!(last.unwrap().evidence, json!({"n": 61}));
}

#[test]
fn window_mistakes_are_runtime_faults_naming_the_problem() {
    for (text, says) in [
        (
            "window(\"gas.ch4_adjacent\", \"2h\")",
            "window of 2h is longer than the rule's lookback of 1h",
        ),
        (
            "window(\"gas.ch4_adjacent\", \"10 minutes\")",
            "bad duration `10 minutes`",
        ),
        ("window(\"gas.ch4\", \"10m\")", "unknown metric `gas.ch4`"),
        (
            "window(\"gas.ch4_adjacent\", \"10m\").rate(\"soon\")",
            "bad duration `soon`",
        ),
        (
            "window(\"gas.ch4_adjacent\", \"10m\").percentile(101)",
            "percentile 101 is outside 0..=100",
        ),
        (
            "window_of(\"pipe-1\", \"gas.pressure\", \"10m\")",
            "this rule declares no `neighbours`",
        ),
    ] {
        let mut host = host(&format!("\n  {text}"));
        let fault = fault_of(&mut host);
        assert_eq!(fault.kind, ScriptFaultKind::Runtime, "{text}: {fault}");
        assert!(fault.message.contains(says), "{text}: {fault}");
        assert_eq!(fault.line, 2, "{text}: {fault}");
    }
}

#[test]
fn a_metric_the_sensor_does_not_report_is_a_fault() {
    let mut parts = parts(vec![script_rule(
        "gas.test",
        "window(\"gas.pressure\", \"10m\")",
    )]);
    parts.sensors[0].metrics = vec![CH4.into()];
    let mut host = host_from(parts, Limits::default());
    let fault = fault_of(&mut host);
    assert!(
        fault
            .message
            .contains("sensor `s1` does not report metric `gas.pressure`"),
        "{fault}"
    );
}

#[test]
fn the_host_watches_every_metric_of_the_sensors_its_rules_run_on() {
    let host = host("()");
    // s1 and s3 are adjacent spaces (the rule's objects); s2 is a pipe segment.
    for sensor in [S1, S3] {
        assert!(host.watches(sensor, metric_ix(CH4)));
        assert!(host.watches(sensor, metric_ix(PRESSURE)));
        assert_eq!(host.rules_for(sensor, metric_ix(CH4)), &[0]);
        assert!(host.rules_for(sensor, metric_ix(PRESSURE)).is_empty());
    }
    assert!(!host.watches(S2, metric_ix(CH4)));
    assert!(!host.watches(SensorIx(99), 0));
    assert!(host.rules_for(S2, metric_ix(CH4)).is_empty());
}

#[test]
fn running_a_rule_that_is_not_a_script_is_a_fault_not_a_panic() {
    let mut host = host("()");
    let fault = host.run(7, S1, &reading(S1, 0, 1.0)).unwrap_err();
    assert_eq!(fault.kind, ScriptFaultKind::Runtime);
    let fault = host.run(0, SensorIx(42), &reading(S1, 0, 1.0)).unwrap_err();
    assert!(fault.message.contains("no sensor"), "{fault}");
}

#[test]
fn the_host_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    send(&host("()"));
}

#[test]
fn the_typical_rule_grades_a_rising_leak() {
    let mut host = host(
        "let m = window(\"gas.ch4_adjacent\", \"10m\").mean();\n\
         if value >= 20.0 && m >= 10.0 { #{level: \"orange\", message: \"rising\"} } \
         else if m >= 5.0 { \"blue\" } else { () }",
    );
    let levels: Vec<Option<Level>> = [1.0, 2.0, 12.0, 14.0, 30.0, 40.0]
        .iter()
        .enumerate()
        .map(|(i, v)| step(&mut host, i as i64, *v).unwrap().level)
        .collect();
    // means: 1, 1.5, 5, 7.25, 11.8, 16.5
    assert_eq!(
        levels,
        [
            None,
            None,
            Some(Level::Blue),
            Some(Level::Blue),
            Some(Level::Orange),
            Some(Level::Orange)
        ]
    );
}
