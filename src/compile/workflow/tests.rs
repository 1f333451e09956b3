//! Unit tests of the workflow compiler: a small valid workflow compiles to the model as written,
//! and each check reports its problem once, at the key, with its code.

use std::time::Duration;

use super::*;
use crate::config::format::parse_yaml;
use crate::config::{Body, Document, Layer};
use crate::model::{Channel, Field, Role};

const BASE: &str = "version: 1
id: w
name: W
default: true
city_duty_office: office
issuing_authority: {red: [department:gov], orange: [department:gov], yellow: [lead_department], blue: [lead_department]}
stages:
  - id: open
    name: Open
    deadline: {red: 5m, blue: 2h}
    escalation:
      - {after: 1, to: [issued], channels: [sms]}
      - {after: 2, to: [department_duty_leader, district_government], channels: [sms, phone]}
      - {after: 3, to: [city_duty_office], channels: [phone], supervision: true, label: 督办}
  - id: issued
    name: Issued
    deadline: 30m
  - id: resolved
    name: Resolved
  - {id: closed, name: Closed, terminal: true}
transitions:
  - {action: issue, name: Issue, from: [open], to: issued, roles: [duty_officer]}
  - {action: report, name: Report, from: [issued], roles: [department_user, duty_officer], requires: [note]}
  - {action: close, name: Close, from: [resolved], to: closed, roles: [duty_officer], requires: [note, evidence]}
auto:
  on_cleared: {from: [issued], to: resolved}
  on_raised: {from: [resolved], to: issued}
notify:
  - {on: issued, levels: [orange, red], to: [issuing_authority, owner], channels: [sms, phone]}
  - {on: raised, to: [issued], channels: [sms]}
";

fn departments() -> Vec<Department> {
    ["office", "gov", "mon"]
        .into_iter()
        .map(|id| Department {
            id: DepartmentId::new(id),
            name: id.to_owned(),
            district: None,
            contacts: Vec::new(),
        })
        .collect()
}

fn domains() -> Vec<Domain> {
    ["gas", "water"]
        .into_iter()
        .map(|id| Domain {
            id: DomainId::new(id),
            name: id.to_owned(),
            name_cn: id.to_owned(),
            lead_department: DepartmentId::new("gov"),
            co_departments: Vec::new(),
            issuing_authority: Default::default(),
            objects: Vec::new(),
            metrics: Vec::new(),
            grading: None,
        })
        .collect()
}

fn document(file: &str, text: &str) -> Document {
    let (doc, positions) =
        parse_yaml::<WorkflowDoc>(file, text).unwrap_or_else(|d| panic!("{text}\n{d:?}"));
    Document {
        file: file.to_owned(),
        layer: Layer::Deployment,
        positions,
        body: Body::Workflow(Box::new(doc)),
    }
}

/// Compiles documents `workflows/w0.yaml`, `workflows/w1.yaml` ... holding `texts`.
fn compile_all(texts: &[&str]) -> (Vec<Workflow>, Vec<Diagnostic>) {
    let docs: Vec<Document> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| document(&format!("workflows/w{i}.yaml"), text))
        .collect();
    let items: Vec<Item<'_, WorkflowDoc>> = docs
        .iter()
        .map(|doc| {
            let Body::Workflow(def) = &doc.body else {
                panic!("not a workflow");
            };
            Item::new(def.id.clone(), doc, String::new(), &**def)
        })
        .collect();
    let mut diagnostics = Vec::new();
    let compiled = workflows(&items, &domains(), &departments(), &mut diagnostics);
    Diagnostic::sort(&mut diagnostics);
    (compiled, diagnostics)
}

/// The first line of each diagnostic for `text`.
fn problems(text: &str) -> Vec<String> {
    lines(&compile_all(&[text]).1)
}

fn lines(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d.to_string().lines().next().unwrap_or_default().to_owned())
        .collect()
}

/// `BASE` with `from` replaced by `to` (which must occur).
fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} not in BASE");
    BASE.replacen(from, to, 1)
}

fn minutes(n: u64) -> Option<Duration> {
    Some(Duration::from_secs(60 * n))
}

#[test]
fn a_valid_workflow_compiles_as_written() {
    let (compiled, diagnostics) = compile_all(&[BASE]);
    assert_eq!(lines(&diagnostics), Vec::<String>::new());
    let workflow = &compiled[0];
    assert_eq!(workflow.id.as_str(), "w");
    assert!(workflow.domains.is_empty());
    assert_eq!(workflow.initial.as_str(), "open");
    assert_eq!(workflow.city_duty_office.as_str(), "office");
    let ids: Vec<&str> = workflow.stages.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["open", "issued", "resolved", "closed"]);
    let open = workflow.stage("open").unwrap();
    assert_eq!(open.deadline, [minutes(120), None, None, minutes(5)]);
    assert_eq!(open.escalation.len(), 3);
    assert_eq!(open.escalation[0].after, 1.0);
    assert_eq!(open.escalation[0].recipients, [Recipient::Issued]);
    assert_eq!(open.escalation[0].label, "escalation at 1x the deadline");
    assert!(!open.escalation[0].supervision);
    assert_eq!(
        open.escalation[1].recipients,
        [
            Recipient::DepartmentDutyLeader,
            Recipient::DistrictGovernment
        ]
    );
    assert_eq!(open.escalation[1].channels, [Channel::Sms, Channel::Phone]);
    assert_eq!(open.escalation[2].label, "督办");
    assert!(open.escalation[2].supervision);
    assert_eq!(workflow.stage("issued").unwrap().deadline, [minutes(30); 4]);
    assert_eq!(workflow.stage("resolved").unwrap().deadline, [None; 4]);
    assert!(workflow.stage("closed").unwrap().terminal);
    let report = workflow.transition("report").unwrap();
    assert_eq!(report.to, None);
    assert_eq!(report.roles, [Role::DepartmentUser, Role::DutyOfficer]);
    assert_eq!(report.requires, [Field::Note]);
    let close = workflow.transition("close").unwrap();
    assert_eq!(close.to.as_ref().map(StageId::as_str), Some("closed"));
    assert_eq!(close.requires, [Field::Note, Field::Evidence]);
    let cleared = workflow.auto.on_cleared.as_ref().unwrap();
    assert_eq!(cleared.from, [StageId::new("issued")]);
    assert_eq!(cleared.to, Some(StageId::new("resolved")));
    assert!(workflow.auto.on_recurrence.is_none());
    assert_eq!(workflow.notify.len(), 2);
    assert_eq!(
        workflow.notify[0].on,
        NotifyOn::Entered(StageId::new("issued"))
    );
    assert_eq!(workflow.notify[0].levels, [Level::Red, Level::Orange]);
    assert_eq!(
        workflow.notify[0].recipients,
        [Recipient::IssuingAuthority, Recipient::Owner]
    );
    assert_eq!(workflow.notify[1].on, NotifyOn::Raised);
    assert_eq!(workflow.notify[1].levels, Level::ALL);
    assert_eq!(
        workflow.issuing_authority[Level::Red.index()],
        [Recipient::Department(DepartmentId::new("gov"))]
    );
    assert_eq!(
        workflow.issuing_authority[Level::Blue.index()],
        [Recipient::LeadDepartment]
    );
}

#[test]
fn the_initial_stage_comes_first_and_the_others_must_be_reached() {
    let text = with("city_duty_office:", "initial: issued\ncity_duty_office:");
    let (compiled, diagnostics) = compile_all(&[&text]);
    assert_eq!(compiled[0].initial.as_str(), "issued");
    assert_eq!(compiled[0].stages[0].id.as_str(), "issued");
    assert_eq!(
        lines(&diagnostics),
        [
            "workflows/w0.yaml:9:9: error[unreachable_stage]: stage `open` cannot be reached from \
             the initial stage `issued`"
        ]
    );
}

#[test]
fn unknown_stages_are_named_where_they_are_used() {
    let text = with("to: issued, roles", "to: isued, roles")
        .replace(
            "from: [resolved], to: closed",
            "from: [resolvd], to: closed",
        )
        .replace(
            "on_raised: {from: [resolved], to: issued}",
            "on_raised: {from: [resolved], to: reissued}",
        )
        .replace("on: raised", "on: rased")
        .replace("city_duty_office:", "initial: start\ncity_duty_office:");
    let found = problems(&text);
    assert_eq!(
        found,
        [
            "workflows/w0.yaml:5:10: error[unknown_stage]: unknown stage `start`",
            "workflows/w0.yaml:23:52: error[unknown_stage]: unknown stage `isued`",
            "workflows/w0.yaml:25:41: error[unknown_stage]: unknown stage `resolvd`",
            "workflows/w0.yaml:28:37: error[unknown_stage]: unknown stage `reissued`",
            "workflows/w0.yaml:31:10: error[unknown_stage]: unknown stage or event `rased`",
        ]
    );
    let (_, diagnostics) = compile_all(&[&text]);
    assert_eq!(
        diagnostics[1].hint.as_deref(),
        Some("did you mean `issued`?")
    );
    assert_eq!(
        diagnostics[4].hint.as_deref(),
        Some("did you mean `raised`?")
    );
}

#[test]
fn every_stage_must_lead_to_a_terminal_one() {
    let text = with(
        "  - {action: close, name: Close, from: [resolved], to: closed, roles: [duty_officer], requires: [note, evidence]}\n",
        "",
    );
    assert_eq!(
        problems(&text),
        [
            "workflows/w0.yaml:8:9: error[no_terminal_stage]: no terminal stage can be reached from stage `open`",
            "workflows/w0.yaml:15:9: error[no_terminal_stage]: no terminal stage can be reached from stage `issued`",
            "workflows/w0.yaml:18:9: error[no_terminal_stage]: no terminal stage can be reached from stage `resolved`",
            "workflows/w0.yaml:20:10: error[unreachable_stage]: stage `closed` cannot be reached from the initial stage `open`",
        ]
    );
    let none = with("terminal: true", "terminal: false");
    assert_eq!(
        problems(&none),
        ["workflows/w0.yaml:7:1: error[no_terminal_stage]: workflow `w` has no terminal stage"]
    );
}

#[test]
fn nothing_leaves_a_terminal_stage() {
    let text = with(
        "auto:\n",
        "  - {action: undo, name: Undo, from: [closed], to: resolved, roles: [duty_officer]}\nauto:\n",
    )
    .replace("on_raised: {from: [resolved]", "on_raised: {from: [resolved, closed]");
    assert_eq!(
        problems(&text),
        [
            "workflows/w0.yaml:25:39: error[leaves_terminal_stage]: action `undo` starts from terminal stage `closed`",
            "workflows/w0.yaml:28:32: error[leaves_terminal_stage]: automatic transition `on_raised` starts from terminal stage `closed`",
        ]
    );
}

#[test]
fn roles_must_exist_and_be_able_to_act() {
    let text = with("roles: [duty_officer]}", "roles: [duty_oficer]}").replace(
        "roles: [department_user, duty_officer]",
        "roles: [auditor, duty_officer]",
    );
    let (_, diagnostics) = compile_all(&[&text]);
    assert_eq!(
        lines(&diagnostics),
        [
            "workflows/w0.yaml:22:68: error[unknown_role]: unknown role `duty_oficer`",
            "workflows/w0.yaml:23:60: error[bad_value]: role `auditor` may not take actions on \
             warnings: auditors read everything and change nothing",
        ]
    );
    assert_eq!(
        diagnostics[0].hint.as_deref(),
        Some("did you mean `duty_officer`?")
    );
}

#[test]
fn recipients_channels_and_fields_come_from_closed_lists() {
    let text = with(
        "to: [issuing_authority, owner]",
        "to: [issuing_authority, owners, department:nobody]",
    )
    .replace("channels: [phone]", "channels: [fax]")
    .replace("requires: [note]}", "requires: [photo]}")
    .replace("city_duty_office: office", "city_duty_office: ofice")
    .replace("blue: [lead_department]", "blue: [issued]")
    .replace(
        "channels: [sms]}\n      - {after: 2",
        "channels: []}\n      - {after: 2",
    );
    let (_, diagnostics) = compile_all(&[&text]);
    assert_eq!(
        lines(&diagnostics),
        [
            "workflows/w0.yaml:5:19: error[unknown_department]: unknown department `ofice`",
            "workflows/w0.yaml:6:104: error[bad_value]: `issued` cannot say who issues a level",
            "workflows/w0.yaml:12:34: error[bad_value]: no channels listed",
            "workflows/w0.yaml:14:55: error[bad_value]: unknown channel `fax`",
            "workflows/w0.yaml:23:103: error[bad_value]: unknown required field `photo`",
            "workflows/w0.yaml:29:65: error[unknown_recipient]: unknown recipient `owners`",
            "workflows/w0.yaml:29:73: error[unknown_department]: unknown department `nobody`",
        ]
    );
    assert_eq!(
        diagnostics[5].hint.as_deref(),
        Some("did you mean `owner`?")
    );
}

#[test]
fn escalation_ladders_rise_and_need_a_deadline() {
    let text = with("{after: 3,", "{after: 2,")
        .replace("{after: 1,", "{after: 0,")
        .replace(
            "    name: Resolved\n",
            "    name: Resolved\n    escalation:\n      - {after: 1, to: [issued], channels: [sms]}\n",
        )
        .replace("deadline: 30m", "deadline: 30 minutes");
    assert_eq!(
        problems(&text),
        [
            "workflows/w0.yaml:12:17: error[bad_value]: `after` must be a positive multiple of the deadline, found 0",
            "workflows/w0.yaml:14:17: error[escalation_order]: `after: 2` does not come after `after: 2`",
            "workflows/w0.yaml:17:15: error[bad_duration]: cannot read duration `30 minutes`",
            "workflows/w0.yaml:20:5: error[no_deadline]: stage `resolved` escalates at multiples of its deadline but has no deadline",
        ]
    );
    let terminal = with(
        "{id: closed, name: Closed, terminal: true}",
        "{id: closed, name: Closed, terminal: true, deadline: 1h}",
    );
    assert_eq!(
        problems(&terminal),
        ["workflows/w0.yaml:20:58: error[bad_value]: terminal stage `closed` has a deadline"]
    );
}

#[test]
fn stage_and_action_ids_are_unique_and_not_events() {
    let text = with("  - {id: closed", "  - {id: issued, name: Again}\n  - {id: closed").replace(
        "transitions:\n",
        "transitions:\n  - {action: close, name: Early, from: [issued], to: closed, roles: [duty_officer]}\n",
    );
    let (_, diagnostics) = compile_all(&[&text]);
    assert_eq!(
        lines(&diagnostics),
        [
            "workflows/w0.yaml:20:10: error[duplicate_id]: duplicate stage id `issued`",
            "workflows/w0.yaml:26:14: error[duplicate_id]: duplicate action `close`",
        ]
    );
    assert_eq!(
        diagnostics[1].hint.as_deref(),
        Some("first defined at workflows/w0.yaml:23:14")
    );
    let reserved = with(
        "  - {id: closed",
        "  - {id: recurred, name: R, terminal: true}\n  - {id: closed",
    );
    assert_eq!(
        problems(&reserved),
        [
            "workflows/w0.yaml:20:10: error[bad_value]: stage id `recurred` is reserved for an event",
            "workflows/w0.yaml:20:10: error[unreachable_stage]: stage `recurred` cannot be reached from the initial stage `open`",
        ]
    );
}

#[test]
fn each_domain_follows_one_workflow() {
    let gas = BASE
        .replace("id: w\n", "id: gas_only\n")
        .replace("default: true", "domains: [gas, nowhere]");
    let also_gas = BASE
        .replace("id: w\n", "id: also_gas\n")
        .replace("default: true", "domains: [water, gas]");
    let (_, diagnostics) = compile_all(&[BASE, &gas, &also_gas]);
    assert_eq!(
        lines(&diagnostics),
        [
            "workflows/w1.yaml:4:16: error[unknown_domain]: unknown domain `nowhere`",
            "workflows/w2.yaml:4:18: error[ambiguous_workflow]: domain `gas` is listed by workflows `gas_only` and `also_gas`",
        ]
    );
    assert_eq!(
        diagnostics[1].hint.as_deref(),
        Some("a domain follows one workflow; the other lists it at workflows/w1.yaml:4:11")
    );
}

#[test]
fn exactly_one_workflow_is_the_default() {
    let other = BASE.replace("id: w\n", "id: other\n");
    assert_eq!(
        lines(&compile_all(&[BASE, &other]).1),
        [
            "workflows/w1.yaml:4:10: error[ambiguous_workflow]: workflows `w` and `other` are both the default"
        ]
    );
    let gas = BASE.replace("default: true", "domains: [gas]");
    assert_eq!(
        lines(&compile_all(&[&gas]).1),
        [
            "workflows/w0.yaml:2:5: error[no_default_workflow]: no workflow is the default; domains without one: `water`"
        ]
    );
    let neither = BASE.replace("default: true\n", "");
    assert_eq!(
        lines(&compile_all(&[&neither]).1),
        [
            "workflows/w0.yaml:2:5: error[no_default_workflow]: workflow `w` is not the default and lists no domains"
        ]
    );
    let both = BASE.replace("default: true", "default: true\ndomains: [gas]");
    assert_eq!(
        lines(&compile_all(&[&both]).1),
        ["workflows/w0.yaml:5:1: error[bad_value]: the default workflow `w` also lists domains"]
    );
    assert_eq!(compile_all(&[]).1, Vec::new());
}
