//! The engine's events: a raise re-issues to the higher authority, lower and clear, a
//! recurrence before closure, closing, closed cases, and drills.

use serde_json::json;

use super::fixture::*;
use crate::model::{Due, Level, Role};
use crate::workflow::{Event, Refusal};

#[test]
fn a_raise_during_handling_re_issues_to_the_higher_authority() {
    let desk = Desk::new(Level::Yellow);
    let case = desk.acknowledged(2, 10);
    assert_eq!(case.stage.as_str(), "acknowledged");
    let step = desk
        .step(
            Some(&case),
            Event::Raised {
                from: Level::Yellow,
                to: Level::Red,
            },
            20,
        )
        .unwrap();
    assert_eq!(step.case.level, Level::Red);
    assert_eq!(step.case.stage.as_str(), "issued");
    assert_eq!(step.case.stage_since, at(20));
    assert_eq!(
        step.case.due,
        Some(Due {
            at: at(25),
            rung: 0
        })
    );
    assert_eq!(
        step.audit[0].detail,
        json!({
            "event": "raised", "from": "yellow", "to": "red", "stage": "acknowledged",
            "entered": "issued", "applied": true,
        })
    );
    assert_eq!(step.audit[0].actor, "system:workflow");
    let reissued: Vec<String> = step
        .notifications
        .iter()
        .filter(|n| n.reason == "reissued")
        .map(|n| n.recipient.to_string())
        .collect();
    // the red issuing authority first, then everyone who had it
    assert_eq!(
        reissued,
        [
            "government",
            "construction",
            "gas_company",
            "heping.government",
            "monitoring"
        ]
    );
    assert!(step.notifications.iter().all(|n| n.level == Level::Red));
    assert!(
        step.notifications
            .iter()
            .any(|n| n.reason == "reissued" && n.body.contains("由黄色（三级）升为红色（一级）"))
    );
    // entering `issued` at red adds the phone call-backs and the city duty office
    let mut pairs: Vec<(String, &str)> = step
        .notifications
        .iter()
        .map(|n| (n.recipient.to_string(), n.channel.as_str()))
        .collect();
    let total = pairs.len();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), total, "one message per department and channel");
    // 5 re-issues by sms, then the red issue plan's phone calls and the city duty office
    assert_eq!(total, 11);
    assert_eq!(
        ids(&step.case.issued_to),
        [
            "construction",
            "duty_office",
            "gas_company",
            "government",
            "heping.government",
            "monitoring"
        ]
    );
}

#[test]
fn a_raise_before_issue_tightens_the_deadline_and_tells_the_higher_authority() {
    let desk = Desk::new(Level::Yellow);
    let case = desk.opened();
    assert_eq!(
        case.due,
        Some(Due {
            at: at(30),
            rung: 0
        })
    );
    let step = desk
        .step(
            Some(&case),
            Event::Raised {
                from: Level::Yellow,
                to: Level::Red,
            },
            1,
        )
        .unwrap();
    assert_eq!(step.case.stage.as_str(), "detected");
    assert_eq!(step.case.stage_since, at(0));
    assert_eq!(step.case.due, Some(Due { at: at(5), rung: 0 }));
    // upgrades take effect at once: the `raised` plan tells the red authority in any open stage
    assert_eq!(
        told(&step),
        [
            ("government".to_owned(), "sms", "reissued".to_owned()),
            ("monitoring".to_owned(), "sms", "reissued".to_owned()),
        ]
    );
    assert_eq!(
        actions(&step),
        [
            "workflow.auto",
            "notification.queued",
            "notification.queued"
        ]
    );
    assert_eq!(step.audit[0].detail["applied"], false);
    assert_eq!(ids(&step.case.issued_to), ["government", "monitoring"]);
}

#[test]
fn a_lowered_level_moves_the_next_rung_and_keeps_those_fired() {
    let desk = Desk::new(Level::Red);
    let case = desk.issued(2);
    let case = desk.step(Some(&case), Event::Timer, 7).unwrap().case;
    assert_eq!(
        case.due,
        Some(Due {
            at: at(12),
            rung: 1
        })
    );
    let step = desk
        .step(
            Some(&case),
            Event::Lowered {
                from: Level::Red,
                to: Level::Yellow,
            },
            8,
        )
        .unwrap();
    assert_eq!(step.case.level, Level::Yellow);
    assert_eq!(step.case.stage.as_str(), "issued");
    assert_eq!(step.case.rungs_fired, 1);
    // rung 1 at 2x the yellow limit from when the stage was entered
    assert_eq!(
        step.case.due,
        Some(Due {
            at: at(62),
            rung: 1
        })
    );
    assert!(step.notifications.is_empty());
    assert_eq!(actions(&step), ["workflow.auto"]);
    assert_eq!(step.audit[0].detail["event"], "lowered");
}

#[test]
fn cleared_resolves_where_configured_and_is_recorded_elsewhere() {
    let desk = Desk::new(Level::Red);
    let case = desk.acknowledged(2, 4);
    let step = desk.step(Some(&case), Event::Cleared, 30).unwrap();
    assert_eq!(step.case.stage.as_str(), "resolved");
    assert_eq!((step.case.due, step.case.closed_at), (None, None));
    assert_eq!(step.audit[0].detail["event"], "cleared");
    assert_eq!(step.audit[0].detail["entered"], "resolved");

    let detected = desk.opened();
    let step = desk.step(Some(&detected), Event::Cleared, 3).unwrap();
    assert_eq!(step.case.stage.as_str(), "detected");
    assert_eq!(step.case.due, detected.due);
    assert_eq!(actions(&step), ["workflow.auto"]);
    assert_eq!(step.audit[0].detail["applied"], false);
}

#[test]
fn a_recurrence_before_closure_reopens_the_case() {
    let desk = Desk::new(Level::Yellow);
    let case = desk.acknowledged(2, 4);
    let resolved = desk.step(Some(&case), Event::Cleared, 30).unwrap().case;
    let step = desk
        .step(
            Some(&resolved),
            Event::Recurred {
                level: Level::Orange,
            },
            40,
        )
        .unwrap();
    assert_eq!(step.case.stage.as_str(), "issued");
    assert_eq!(step.case.level, Level::Orange);
    assert_eq!(
        step.case.due,
        Some(Due {
            at: at(50),
            rung: 0
        })
    );
    assert_eq!(step.audit[0].detail["event"], "recurred");
    assert_eq!(step.audit[0].detail["from"], "yellow");
    assert_eq!(step.audit[0].detail["to"], "orange");
    let recurred: Vec<String> = step
        .notifications
        .iter()
        .filter(|n| n.reason == "recurred")
        .map(|n| n.recipient.to_string())
        .collect();
    assert_eq!(
        recurred,
        [
            "construction",
            "gas_company",
            "heping.government",
            "monitoring"
        ]
    );
    // and the orange issue plan: the issuing authority and the city duty office too
    assert!(recipients(&step).contains(&"government".to_owned()));
    assert!(recipients(&step).contains(&"duty_office".to_owned()));
}

#[test]
fn closing_needs_a_note_and_ends_the_case() {
    let desk = Desk::new(Level::Red);
    let case = desk.acknowledged(2, 4);
    let resolved = desk.step(Some(&case), Event::Cleared, 30).unwrap().case;
    let step = desk
        .act(
            &resolved,
            Role::DutyOfficer,
            &request("close", Some("数据恢复正常，原因：阀门渗漏"), &[]),
            90,
        )
        .unwrap();
    assert_eq!(step.case.stage.as_str(), "closed");
    assert_eq!((step.case.closed_at, step.case.due), (Some(at(90)), None));
    assert!(
        step.notifications
            .iter()
            .all(|n| n.channel.as_str() == "email" && n.reason == "closed")
    );
    assert_eq!(recipients(&step), ids(&resolved.issued_to));
    assert_eq!(step.audit[0].detail["note"], "数据恢复正常，原因：阀门渗漏");
}

#[test]
fn a_closed_case_only_records_engine_events() {
    let desk = Desk::new(Level::Red);
    let case = desk.opened();
    let closed = desk
        .act(
            &case,
            Role::DutyOfficer,
            &request("dismiss", Some("设备故障误报"), &[]),
            3,
        )
        .unwrap()
        .case;
    assert_eq!(closed.stage.as_str(), "dismissed");
    assert_eq!(closed.closed_at, Some(at(3)));
    let events = [
        Event::Raised {
            from: Level::Red,
            to: Level::Red,
        },
        Event::Lowered {
            from: Level::Red,
            to: Level::Blue,
        },
        Event::Cleared,
        Event::Recurred {
            level: Level::Orange,
        },
    ];
    for event in events {
        let step = desk.step(Some(&closed), event.clone(), 10).unwrap();
        assert_eq!(step.case, closed, "{event:?}");
        assert!(step.notifications.is_empty());
        assert_eq!(actions(&step), ["workflow.auto"]);
        assert_eq!(step.audit[0].detail["ignored"], "the case is closed");
    }
    let timer = desk.step(Some(&closed), Event::Timer, 100).unwrap();
    assert!(timer.audit.is_empty());
    let refusal = desk
        .act(&closed, Role::DutyOfficer, &request("issue", None, &[]), 10)
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::WrongStage {
            action: "issue".to_owned(),
            stage: "dismissed".to_owned(),
            allowed: "detected".to_owned(),
        }
    );
}

#[test]
fn a_drill_runs_the_same_chain_with_labelled_messages() {
    let mut desk = Desk::new(Level::Red);
    desk.warning.drill = true;
    let case = desk.issued(2);
    assert!(case.drill);
    let step = desk.step(Some(&case), Event::Timer, 7).unwrap();
    assert!(!step.notifications.is_empty());
    for n in &step.notifications {
        assert!(n.drill);
        assert!(
            n.subject.starts_with("【演练】【红色预警】"),
            "{}",
            n.subject
        );
        assert!(
            n.body.starts_with("【演练】") && n.body.contains("演练"),
            "{}",
            n.body
        );
    }
    let real = Desk::new(Level::Red).issued(2);
    let step = Desk::new(Level::Red)
        .step(Some(&real), Event::Timer, 7)
        .unwrap();
    assert!(
        step.notifications
            .iter()
            .all(|n| !n.drill && !n.subject.contains("演练"))
    );
}
