//! Workflow expectations and actions in rule test cases, over the shipped packs and their
//! standard workflow: each key is shown to pass and to fail, actions are taken or refused as the
//! case says, and malformed actions or keys are reported at their position.

use crate::model::SourceFile;

use super::{Outcome, Report, run_files};

/// One well with a CH4 sensor; the district's government is `heping.government`.
const REGISTRY: &str = r#"    registry:
      districts: [{code: "210102", name: 和平区, government: heping.government}]
      departments:
        - {id: heping.government, name: 和平区人民政府, district: "210102"}
        - {id: shenyang.gas_company, name: 沈阳燃气有限公司}
      assets:
        - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102",
           owner: shenyang.gas_company, location: {lon: 123.42, lat: 41.79}}
        - {id: well-2, name: Well 2, domain: city_gas, kind: adjacent_space, district: "210102",
           owner: shenyang.gas_company, location: {lon: 123.43, lat: 41.79}}
      sensors:
        - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
        - {id: ch4-2, asset: well-2, metrics: [gas.ch4_adjacent]}
"#;

/// Red at 0m, issued by the duty officer at 1m (acknowledge limit 5m: rungs at 6m, 11m, 16m).
const RED_ISSUED: &str = r#"    readings:
      - {at: 0m, sensor: ch4-1, metric: gas.ch4_adjacent, values: [60, 60], every: 10m}
    actions:
      - {at: 1m, action: issue, by: duty_officer}
"#;

/// A test file of one case with `body` (readings, actions, expect) on [`REGISTRY`].
fn file(body: &str) -> String {
    format!("version: 1\ncases:\n  - name: the case\n{REGISTRY}{body}")
}

fn run(text: &str) -> Report {
    run_files(
        None,
        &[SourceFile {
            path: "rules/w.test.yaml".to_owned(),
            text: text.to_owned(),
        }],
    )
}

/// A case on [`RED_ISSUED`] with one expectation.
fn expecting(expectation: &str) -> String {
    file(&format!("{RED_ISSUED}    expect:\n      - {expectation}\n"))
}

#[test]
fn each_workflow_key_passes_and_fails() {
    let w = "asset: well-1, hazard: gas_leak";
    // (expectation, holds, text of the failure)
    let cases = [
        (format!("{{at: 0m, {w}, stage: detected}}"), true, ""),
        (
            format!("{{at: 0m, {w}, stage: issued}}"),
            false,
            "actual:   well-1 gas_leak stage detected since 0s",
        ),
        (
            format!("{{at: 1m, {w}, stage: issued, level: red}}"),
            true,
            "",
        ),
        (
            format!("{{at: 1m, {w}, stage: issued, level: orange}}"),
            false,
            "expected: well-1 gas_leak level orange, stage issued",
        ),
        (
            format!("{{at: 1m, {w}, stage: isued}}"),
            false,
            "(workflow `standard` has no stage `isued`)",
        ),
        (
            "{at: 0m, asset: well-2, hazard: gas_leak, stage: none}".to_owned(),
            true,
            "",
        ),
        (
            "{at: 0m, asset: well-9, hazard: gas_leak, stage: detected}".to_owned(),
            false,
            // an unknown asset is an error at the expectation: the case does not run
            "error[unknown_asset]: unknown asset `well-9`",
        ),
        (
            format!("{{at: 5m, {w}, escalations: 0, escalated_to: []}}"),
            true,
            "",
        ),
        (
            format!("{{at: 6m, {w}, escalations: 0}}"),
            false,
            "actual:   well-1 gas_leak 1 escalation(s) in the stage",
        ),
        (
            format!("{{at: 6m, {w}, escalated_to: []}}"),
            false,
            "expected: well-1 gas_leak escalated to nobody",
        ),
        (
            format!(
                "{{at: 11m, {w}, escalations: 2, escalated_to: [department_duty_leader, district_government]}}"
            ),
            true,
            "",
        ),
        (
            format!(
                "{{at: 11m, {w}, escalated_to: [heping.government, department:shenyang.construction]}}"
            ),
            true,
            "",
        ),
        (
            format!("{{at: 15m, {w}, supervised: false, escalated_to: [city_duty_office]}}"),
            true,
            "",
        ),
        (
            format!("{{at: 16m, {w}, supervised: true, escalations: 3}}"),
            true,
            "",
        ),
        (
            format!("{{at: 15m, {w}, supervised: true}}"),
            false,
            "actual:   well-1 gas_leak not supervised",
        ),
        (
            format!("{{at: 0m, {w}, notified: [department:shenyang.monitoring_centre]}}"),
            true,
            "",
        ),
        (
            format!("{{at: 0m, {w}, notified: [owner]}}"),
            false,
            "expected: well-1 gas_leak notified owner (shenyang.gas_company)",
        ),
        (
            format!("{{at: 1m, {w}, notified: [owner, issuing_authority, city_duty_office]}}"),
            true,
            "",
        ),
        (
            format!("{{at: 1m, {w}, notified: [co_departments]}}"),
            true,
            "",
        ),
        (
            format!("{{at: 1m, {w}, notified: [department:shenyang.nobody]}}"),
            false,
            "(`department:shenyang.nobody` names no department here)",
        ),
        (
            format!("{{at: 1m, {w}, notified: [shenyang.nobody]}}"),
            false,
            "(`shenyang.nobody` is neither a recipient word nor a registered department)",
        ),
    ];
    for (expectation, holds, text) in cases {
        let report = run(&expecting(&expectation));
        assert_eq!(report.cases.len(), 1);
        assert_eq!(report.cases[0].passed(), holds, "{expectation}\n{report}");
        if !holds {
            assert!(
                matches!(
                    report.cases[0].outcome,
                    Outcome::Failed(_) | Outcome::Invalid(_)
                ),
                "{report}"
            );
            assert!(
                report.to_string().contains(text),
                "{expectation}: want {text:?} in\n{report}"
            );
        }
    }
}

#[test]
fn actions_are_taken_or_refused_as_the_case_says() {
    let actions = |list: &str| {
        file(&format!(
            "    readings:\n      - {{at: 0m, sensor: ch4-1, metric: gas.ch4_adjacent, value: 60}}\n    \
             actions:\n{list}"
        ))
    };
    // (actions, passes, text of the failure)
    let cases = [
        (
            "      - {at: 1m, action: issue, by: duty_officer}\n",
            true,
            "",
        ),
        (
            "      - {at: 1m, action: close, by: duty_officer, refused: action_not_allowed}\n",
            true,
            "",
        ),
        (
            "      - {at: 1m, action: close, by: duty_officer}\n",
            false,
            "    expected: `close` by duty_officer taken\n    actual:   `close` by duty_officer refused with action_not_allowed: action `close` is not allowed in stage `detected` (allowed from: resolved)",
        ),
        (
            "      - {at: 1m, action: issue, by: duty_officer, refused: forbidden}\n",
            false,
            "actual:   `issue` by duty_officer taken (stage now issued)",
        ),
        (
            "      - {at: 1m, action: issue, by: district_user, refused: missing_field}\n",
            false,
            "refused with forbidden: role district_user may not take action `issue`",
        ),
        (
            "      - {at: 1m, action: shout, by: duty_officer, refused: unknown_action}\n",
            true,
            "",
        ),
        (
            "      - {at: 1m, action: issue, by: duty_officer}\n      - {at: 2m, action: acknowledge, by: department_user}\n      - {at: 3m, action: arrive, by: district_user}\n      - {at: 4m, action: control, by: department_user, refused: missing_field}\n",
            true,
            "",
        ),
        // before any warning: nothing to act on
        (
            "      - {at: 0m, action: issue, by: duty_officer, asset: well-2, hazard: gas_leak}\n",
            false,
            "actual:   no warning of well-2 gas_leak has been raised",
        ),
    ];
    for (list, passes, text) in cases {
        let report = run(&actions(list));
        assert_eq!(report.cases[0].passed(), passes, "{list}\n{report}");
        assert!(
            report.to_string().contains(text),
            "want {text:?} in\n{report}"
        );
    }
}

#[test]
fn with_several_warnings_an_action_names_its_own() {
    let body = |target: &str| {
        format!(
            "    readings:\n      - {{at: 0m, sensor: ch4-1, metric: gas.ch4_adjacent, value: 60}}\n      \
             - {{at: 0m, sensor: ch4-2, metric: gas.ch4_adjacent, value: 60}}\n    actions:\n      \
             - {{at: 1m, action: issue, by: duty_officer{target}}}\n    expect:\n      \
             - {{at: 2m, asset: well-2, hazard: gas_leak, stage: issued}}\n      \
             - {{at: 2m, asset: well-1, hazard: gas_leak, stage: detected}}\n"
        )
    };
    let report = run(&file(&body(", asset: well-2, hazard: gas_leak")));
    assert!(report.cases[0].passed(), "{report}");
    let report = run(&file(&body("")));
    assert!(!report.cases[0].passed());
    assert!(
        report.to_string().contains(
            "actual:   several warnings (well-1 gas_leak, well-2 gas_leak); name the one acted on with `asset` and `hazard`"
        ),
        "{report}"
    );
}

#[test]
fn a_case_of_actions_alone_checks_them() {
    let report = run(&file(
        "    readings:\n      - {at: 0m, sensor: ch4-1, metric: gas.ch4_adjacent, value: 60}\n    \
         actions:\n      - {at: 1m, action: close, by: duty_officer}\n",
    ));
    assert!(!report.cases[0].passed(), "{report}");
}

#[test]
fn malformed_actions_and_keys_are_reported_at_their_position() {
    let w = "asset: well-1, hazard: gas_leak";
    // (actions and expect, diagnostic)
    let cases = [
        (
            "    actions:\n      - {at: 1m, action: issue, by: mayor}\n".to_owned(),
            "rules/w.test.yaml:18:37: error[bad_value]: unknown role `mayor`",
        ),
        (
            "    actions:\n      - {at: 1m, action: issue, by: duty_officer, refused: nope}\n".to_owned(),
            "error[bad_value]: `nope` is not a code an action is refused with\n    = hint: one of: unknown_action, action_not_allowed, forbidden, missing_field",
        ),
        (
            "    actions:\n      - {at: 1m, action: issue, by: duty_officer, asset: well-1}\n".to_owned(),
            "rules/w.test.yaml:18:10: error[missing_key]: missing key `hazard` of the warning acted on",
        ),
        (
            "    actions:\n      - {at: soon, action: issue, by: duty_officer}\n".to_owned(),
            "error[bad_duration]: cannot read \"soon\" as a time offset",
        ),
        (
            "    actions:\n      - {at: 1m, action: issue, by: duty_officer, when: now}\n".to_owned(),
            "rules/w.test.yaml:18:51: error[unknown_key]: unknown key `when` in `cases[0].actions[0]`",
        ),
        (
            format!("    expect:\n      - {{cleared_by: 5m, {w}, stage: resolved}}\n"),
            "error[bad_value]: `cleared_by` takes only `asset` and `hazard`, not workflow keys",
        ),
        (
            format!("    expect:\n      - {{at: 5m, {w}, stage: issued, caused_by: []}}\n"),
            "error[bad_value]: `caused_by` cannot be checked with workflow keys",
        ),
        (
            "    expect:\n      - {at: 5m, asset: well-1, stage: issued}\n".to_owned(),
            "error[missing_key]: missing key `hazard` in a workflow expectation",
        ),
        (
            format!("    expect:\n      - {{at: 5m, {w}, notified: [owner, \" \"]}}\n"),
            "error[bad_value]: an empty recipient in `notified`",
        ),
        (
            "    expect:\n      - {at: 5m, stage: issued, alarm: {rule: r, sensor: s, level: red}}\n".to_owned(),
            "error[bad_value]: the expectation mixes kinds",
        ),
    ];
    for (body, diagnostic) in cases {
        let report = run(&file(&body));
        let text = report.to_string();
        assert!(!report.cases[0].passed(), "{body}\n{text}");
        assert!(text.contains(diagnostic), "want {diagnostic:?} in\n{text}");
    }
}
