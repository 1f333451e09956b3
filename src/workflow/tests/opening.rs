//! Opening a case and entering a stage: the initial stage and its timer, the first issue and the
//! notification plans of each level, and what needs a case.

use serde_json::json;

use super::fixture::*;
use crate::model::{Due, Level, Role};
use crate::workflow::{Event, Refusal};

#[test]
fn an_engine_event_opens_the_case_at_the_initial_stage() {
    let desk = Desk::new(Level::Red);
    let step = desk.step(None, Event::Opened, 0).unwrap();
    let case = &step.case;
    assert_eq!(case.warning, 12);
    assert_eq!(case.workflow.as_str(), "standard");
    assert_eq!(case.stage.as_str(), "detected");
    assert_eq!((case.stage_since, case.opened_at), (at(0), at(0)));
    assert_eq!(
        (case.level, case.drill, case.version),
        (Level::Red, false, 0)
    );
    assert_eq!(
        (case.rungs_fired, case.supervised, case.closed_at),
        (0, false, None)
    );
    // red triage limit 5m, first rung at 1x
    assert_eq!(case.due, Some(Due { at: at(5), rung: 0 }));
    // the `on: detected` plan told the monitoring centre, which now holds the warning
    assert_eq!(
        told(&step),
        [("monitoring".to_owned(), "webhook", "detected".to_owned())]
    );
    assert_eq!(ids(&case.issued_to), ["monitoring"]);
    assert_eq!(actions(&step), ["workflow.auto", "notification.queued"]);
    let opened = &step.audit[0];
    assert_eq!(opened.actor, "system:workflow");
    assert_eq!(opened.subject, "warning:12");
    assert_eq!(opened.warning, Some(12));
    assert_eq!(
        opened.generation.as_ref().map(|g| g.as_str()),
        Some("0123456789abcdef")
    );
    assert_eq!(opened.detail["event"], "opened");
    assert_eq!(opened.detail["to"], "detected");
    assert_eq!(
        step.audit[1].detail,
        json!({
            "key": format!("w12:detected:detected:{}:monitoring:webhook", at(0).millis()),
            "recipient": "monitoring",
            "channel": "webhook",
            "reason": "detected",
        })
    );
}

#[test]
fn any_engine_event_opens_a_missing_case_then_applies() {
    let desk = Desk::new(Level::Yellow);
    let step = desk
        .step(
            None,
            Event::Raised {
                from: Level::Yellow,
                to: Level::Red,
            },
            1,
        )
        .unwrap();
    assert_eq!(step.case.stage.as_str(), "detected");
    assert_eq!(step.case.level, Level::Red);
    assert_eq!(step.case.opened_at, at(1));
    // deadlines follow the raised level: red triage 5m
    assert_eq!(step.case.due, Some(Due { at: at(6), rung: 0 }));
    assert_eq!(
        actions(&step),
        [
            "workflow.auto",
            "notification.queued",
            "workflow.auto",
            // the `raised` plan: the red authority and the monitoring centre
            "notification.queued",
            "notification.queued"
        ]
    );
    assert_eq!(step.audit[2].detail["event"], "raised");
}

#[test]
fn actions_and_timers_need_a_case() {
    let desk = Desk::new(Level::Red);
    let issue = request("issue", None, &[]);
    let actor = principal(Role::DutyOfficer);
    let refusal = desk
        .step(
            None,
            Event::Action {
                request: &issue,
                actor: &actor,
            },
            0,
        )
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::WrongStage {
            action: "issue".to_owned(),
            stage: "none".to_owned(),
            allowed: "detected".to_owned(),
        }
    );
    assert!(matches!(
        desk.step(None, Event::Timer, 0),
        Err(Refusal::WrongStage { stage, .. }) if stage == "none"
    ));
}

#[test]
fn opened_again_changes_nothing() {
    let desk = Desk::new(Level::Red);
    let case = desk.opened();
    let step = desk.step(Some(&case), Event::Opened, 3).unwrap();
    assert_eq!(step.case, case);
    assert!(step.notifications.is_empty() && step.audit.is_empty());
}

#[test]
fn issuing_a_red_warning_tells_everyone_the_plan_names_on_every_channel() {
    let desk = Desk::new(Level::Red);
    let case = desk.opened();
    let step = desk
        .act(&case, Role::DutyOfficer, &request("issue", None, &[]), 2)
        .unwrap();
    let case = &step.case;
    assert_eq!(case.stage.as_str(), "issued");
    assert_eq!(case.stage_since, at(2));
    assert_eq!(case.due, Some(Due { at: at(7), rung: 0 }));
    let expected: Vec<(String, &str, String)> = [
        "government",
        "construction",
        "gas_company",
        "heping.government",
        "duty_office",
    ]
    .iter()
    .flat_map(|d| {
        [
            ((*d).to_owned(), "sms", "issued".to_owned()),
            ((*d).to_owned(), "phone", "issued".to_owned()),
        ]
    })
    .collect();
    assert_eq!(told(&step), expected);
    assert_eq!(
        ids(&case.issued_to),
        [
            "construction",
            "duty_office",
            "gas_company",
            "government",
            "heping.government",
            // told when the case was opened; issued_to only grows
            "monitoring"
        ]
    );
    let first = &step.notifications[0];
    assert_eq!(
        first.key,
        format!("w12:issued:issued:{}:government:sms", at(2).millis())
    );
    assert_eq!(
        (first.warning, first.level, first.drill),
        (12, Level::Red, false)
    );
    assert_eq!(first.created_at, at(2));
    assert_eq!(step.audit.len(), 11);
    assert_eq!(step.audit[0].action.as_str(), "workflow.transition");
    assert_eq!(step.audit[0].actor, "user:7");
    assert_eq!(
        step.audit[0].detail,
        json!({
            "action": "issue", "from": "detected", "to": "issued",
            "note": null, "evidence": [], "role": "duty_officer",
        })
    );
    assert!(
        step.audit[1..]
            .iter()
            .all(|a| a.action.as_str() == "notification.queued" && a.actor == "user:7")
    );
}

#[test]
fn a_yellow_warning_goes_to_its_own_plan() {
    let desk = Desk::new(Level::Yellow);
    let case = desk.opened();
    let step = desk
        .act(&case, Role::DutyOfficer, &request("issue", None, &[]), 2)
        .unwrap();
    assert_eq!(
        told(&step),
        [
            ("construction".to_owned(), "sms", "issued".to_owned()),
            ("gas_company".to_owned(), "sms", "issued".to_owned()),
            ("heping.government".to_owned(), "sms", "issued".to_owned()),
        ]
    );
    assert_eq!(
        step.case.due,
        Some(Due {
            at: at(32),
            rung: 0
        })
    );
}
