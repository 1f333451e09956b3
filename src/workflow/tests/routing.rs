//! Routing of each kind of recipient, and what happens to ids the generation does not know.

use super::fixture::*;
use crate::model::{DepartmentId, Level, Recipient};
use crate::workflow::WarningFacts;
use crate::workflow::routing::{resolve, resolve_all, resolve_named};

/// A change to the fixture's warning before resolving.
type Edit = fn(&mut WarningFacts);

#[test]
fn each_recipient_resolves_to_departments() {
    let generation = generation();
    let workflow = workflow();
    let issued: Vec<DepartmentId> = vec!["gas_company".into(), "gone".into(), "gas_company".into()];
    // (recipient, warning changes, expected)
    let cases: Vec<(Recipient, Edit, Vec<&str>)> = vec![
        (Recipient::Owner, |_| {}, vec!["gas_company"]),
        (
            Recipient::Owner,
            |w| w.asset = "removed-asset".into(),
            vec![],
        ),
        (Recipient::LeadDepartment, |_| {}, vec!["construction"]),
        // a domain gone after a reload: the department the warning carries
        (
            Recipient::LeadDepartment,
            |w| w.domain = "gone".into(),
            vec!["construction"],
        ),
        (
            Recipient::DepartmentDutyLeader,
            |_| {},
            vec!["construction"],
        ),
        // an unregistered co-department is skipped
        (Recipient::CoDepartments, |_| {}, vec!["monitoring"]),
        (
            Recipient::CoDepartments,
            |w| w.domain = "gone".into(),
            vec![],
        ),
        (
            Recipient::DistrictGovernment,
            |_| {},
            vec!["heping.government"],
        ),
        // no government registered: every department of the district
        (
            Recipient::DistrictGovernment,
            |w| w.district = "210103".into(),
            vec!["shenhe.a", "shenhe.b"],
        ),
        (
            Recipient::DistrictGovernment,
            |w| w.district = "999999".into(),
            vec![],
        ),
        (Recipient::IssuingAuthority, |_| {}, vec!["government"]),
        (
            Recipient::IssuingAuthority,
            |w| w.level = Level::Orange,
            vec!["government"],
        ),
        (
            Recipient::IssuingAuthority,
            |w| w.level = Level::Yellow,
            vec!["construction"],
        ),
        (
            Recipient::IssuingAuthority,
            |w| w.level = Level::Blue,
            vec!["construction"],
        ),
        (Recipient::CityDutyOffice, |_| {}, vec!["duty_office"]),
        // unknown ids drop out, duplicates collapse
        (Recipient::Issued, |_| {}, vec!["gas_company"]),
        (
            Recipient::Department("monitoring".into()),
            |_| {},
            vec!["monitoring"],
        ),
        (Recipient::Department("nobody".into()), |_| {}, vec![]),
    ];
    for (recipient, change, expected) in cases {
        let mut warning = facts(Level::Red);
        change(&mut warning);
        let got = resolve(&generation, &workflow, &warning, &recipient, &issued);
        assert_eq!(ids(&got), expected, "{recipient:?} for {warning:?}");
    }
}

#[test]
fn an_issuing_authority_naming_itself_does_not_loop() {
    let generation = generation();
    let mut workflow = workflow();
    workflow.issuing_authority[Level::Red.index()] = vec![
        Recipient::IssuingAuthority,
        Recipient::Department("government".into()),
        Recipient::IssuingAuthority,
    ];
    let got = resolve(
        &generation,
        &workflow,
        &facts(Level::Red),
        &Recipient::IssuingAuthority,
        &[],
    );
    assert_eq!(ids(&got), ["government"]);
}

#[test]
fn a_list_of_recipients_keeps_first_mention_order_without_duplicates() {
    let generation = generation();
    let workflow = workflow();
    let got = resolve_all(
        &generation,
        &workflow,
        &facts(Level::Red),
        &[
            Recipient::Owner,
            Recipient::LeadDepartment,
            Recipient::DepartmentDutyLeader,
            Recipient::IssuingAuthority,
            Recipient::Owner,
        ],
        &[],
    );
    assert_eq!(ids(&got), ["gas_company", "construction", "government"]);
}

#[test]
fn each_department_keeps_the_word_that_named_it_and_its_leader_is_named_apart() {
    let generation = generation();
    let workflow = workflow();
    let issued: Vec<DepartmentId> = vec!["construction".into()];
    let got = resolve_named(
        &generation,
        &workflow,
        &facts(Level::Red),
        &[
            Recipient::Issued,
            Recipient::DepartmentDutyLeader,
            Recipient::LeadDepartment,
            Recipient::DistrictGovernment,
            Recipient::CityDutyOffice,
            Recipient::Department("monitoring".into()),
        ],
        &issued,
    );
    let named: Vec<(&str, &str)> = got.iter().map(|(d, w)| (d.as_str(), *w)).collect();
    assert_eq!(
        named,
        [
            ("construction", "issued"),
            // the lead department's duty leader beside its duty officer; `lead_department`
            // names the officer again and collapses
            ("construction", "department_duty_leader"),
            ("heping.government", "district_government"),
            ("duty_office", "city_duty_office"),
            ("monitoring", "department"),
        ]
    );
}
