//! People's actions: each refusal (unknown action, wrong stage, role, missing or blank fields)
//! with its API code, and a progress report that keeps the stage.

use super::fixture::*;
use crate::error::ErrorCode;
use crate::model::{Field, Level, Role};
use crate::workflow::Refusal;

/// (name, role, request, stage the case is in, expected refusal)
#[test]
fn refusals_name_what_is_wrong() {
    let desk = Desk::new(Level::Red);
    let detected = desk.opened();
    let issued = desk.issued(2);
    let acknowledged = desk.acknowledged(2, 4);
    let resolved = desk
        .act(
            &acknowledged,
            Role::DepartmentUser,
            &request("resolve", Some("阀门已关闭"), &["https://photo/1.jpg"]),
            6,
        )
        .unwrap()
        .case;
    let wrong = |action: &str, stage: &str, allowed: &str| Refusal::WrongStage {
        action: action.to_owned(),
        stage: stage.to_owned(),
        allowed: allowed.to_owned(),
    };
    let missing = |action: &str, field| Refusal::MissingField {
        action: action.to_owned(),
        field,
    };
    let cases = [
        (
            "close from detected",
            &detected,
            Role::DutyOfficer,
            request("close", Some("ok"), &[]),
            wrong("close", "detected", "resolved"),
            ErrorCode::ActionNotAllowed,
        ),
        (
            "the stage is checked before the role",
            &detected,
            Role::DepartmentUser,
            request("acknowledge", None, &[]),
            wrong("acknowledge", "detected", "issued"),
            ErrorCode::ActionNotAllowed,
        ),
        (
            "a department user may not issue",
            &detected,
            Role::DepartmentUser,
            request("issue", None, &[]),
            Refusal::RoleNotAllowed {
                action: "issue".to_owned(),
                role: Role::DepartmentUser,
            },
            ErrorCode::Forbidden,
        ),
        (
            "an auditor changes nothing",
            &issued,
            Role::Auditor,
            request("acknowledge", None, &[]),
            Refusal::RoleNotAllowed {
                action: "acknowledge".to_owned(),
                role: Role::Auditor,
            },
            ErrorCode::Forbidden,
        ),
        (
            "close without a note",
            &resolved,
            Role::DutyOfficer,
            request("close", None, &[]),
            missing("close", Field::Note),
            ErrorCode::MissingField,
        ),
        (
            "close with a blank note",
            &resolved,
            Role::DutyOfficer,
            request("close", Some(" \n"), &[]),
            missing("close", Field::Note),
            ErrorCode::MissingField,
        ),
        (
            "resolve without evidence",
            &acknowledged,
            Role::DepartmentUser,
            request("resolve", Some("done"), &[]),
            missing("resolve", Field::Evidence),
            ErrorCode::MissingField,
        ),
        (
            "resolve with blank evidence",
            &acknowledged,
            Role::DepartmentUser,
            request("resolve", Some("done"), &[" "]),
            missing("resolve", Field::Evidence),
            ErrorCode::MissingField,
        ),
        (
            "resolve without a note",
            &acknowledged,
            Role::DepartmentUser,
            request("resolve", None, &["https://photo/1.jpg"]),
            missing("resolve", Field::Note),
            ErrorCode::MissingField,
        ),
    ];
    for (name, case, role, request, expected, code) in cases {
        let refusal = desk.act(case, role, &request, 10).unwrap_err();
        assert_eq!(refusal, expected, "{name}");
        assert_eq!(refusal.code(), code, "{name}");
    }
}

#[test]
fn an_unknown_action_lists_the_known_ones() {
    let desk = Desk::new(Level::Red);
    let refusal = desk
        .act(
            &desk.opened(),
            Role::DutyOfficer,
            &request("acknowlege", None, &[]),
            1,
        )
        .unwrap_err();
    let Refusal::UnknownAction {
        workflow,
        action,
        hint,
    } = &refusal
    else {
        panic!("{refusal:?}");
    };
    assert_eq!(
        (workflow.as_str(), action.as_str()),
        ("standard", "acknowlege")
    );
    assert_eq!(hint, "; did you mean `acknowledge`?");
    assert_eq!(refusal.code(), ErrorCode::UnknownAction);
    assert!(
        refusal
            .to_string()
            .starts_with("workflow `standard` has no action `acknowlege`")
    );
}

#[test]
fn a_progress_report_keeps_the_stage_and_its_clock() {
    let desk = Desk::new(Level::Red);
    let case = desk.acknowledged(2, 4);
    let step = desk
        .act(
            &case,
            Role::DepartmentUser,
            &request("feedback", Some("抢修队已到场"), &[]),
            9,
        )
        .unwrap();
    assert_eq!(step.case.stage.as_str(), "acknowledged");
    assert_eq!(step.case.stage_since, case.stage_since);
    assert_eq!(step.case.due, case.due);
    assert!(step.notifications.is_empty());
    assert_eq!(step.audit.len(), 1);
    assert_eq!(step.audit[0].detail["from"], "acknowledged");
    assert_eq!(step.audit[0].detail["to"], "acknowledged");
    assert_eq!(step.audit[0].detail["note"], "抢修队已到场");
    assert_eq!(step.audit[0].detail["role"], "department_user");
}
